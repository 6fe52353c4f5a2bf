"""Lazy submodules for every package of minicnn (PEP 562), so ``import minicnn`` stays fast.

After ``import minicnn``, ``minicnn.cam.grad_cam(...)`` or ``minicnn.runs.metrics``
work without importing them first, as in Keras; a submodule (which may pull in
matplotlib or scikit-learn) is imported the first time someone reads it. Each
package's ``__init__`` calls :func:`attach` once::

    __getattr__, __dir__ = attach(__name__, __path__, {"load_fashion_mnist": "fashion"})

Submodules are found on disk, so a new module is reachable without being listed.
Names starting with ``_`` are private and never loaded this way.
"""
import importlib
import pkgutil


def attach(package, path, exports=None):
    """``(__getattr__, __dir__)`` for the package ``package`` whose folder list is ``path``.

    ``exports`` maps a name the package offers to the submodule that defines it,
    e.g. ``{"grad_cam": "cam"}``: ``package.grad_cam`` imports ``package.cam`` and
    returns its ``grad_cam``.
    """
    exports = dict(exports or {})
    submodules = {info.name for info in pkgutil.iter_modules(path) if not info.name.startswith("_")}

    def __getattr__(name):
        if name in exports:
            return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(importlib.import_module(package).__dict__) | submodules | set(exports))

    return __getattr__, __dir__
