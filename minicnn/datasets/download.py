"""One fetcher for every data set: the official files, checksum-verified, into the user cache.

    >>> from minicnn.datasets.download import REGISTRY, fetch
    >>> sorted(REGISTRY)
    ['cifar10', 'fashion_mnist', 'mnist']
    >>> fetch("mnist", "/tmp/mnist")                   # doctest: +SKIP
    {'train-images-idx3-ubyte.gz': PosixPath('/tmp/mnist/train-images-idx3-ubyte.gz'), ...}

The transfer and the check are ``pooch``'s (the fetcher of SciPy, scikit-image and
MetPy): each file is streamed to a temporary file beside its target, its hash
compared with the known one, and only a file that matches is renamed into place.
A mismatch or a broken connection leaves nothing in the cache, and a file already
there with the right hash is not fetched again.

``REGISTRY`` names, per data set, the mirrors tried in order and the hash of each
file as its publishers list it: the MD5s of the Fashion-MNIST README and of the
CIFAR page (www.cs.toronto.edu/~kriz/cifar.html), and for MNIST the MD5s that
torchvision checks (``torchvision/datasets/mnist.py``). Keras's own loaders check
no hash for these files (Fashion-MNIST), or fetch other files (``mnist.npz``,
CIFAR-10's pickled Python version, which we avoid: unpickling can run code).
"""
import os
import sys
from pathlib import Path

FASHION_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

REGISTRY = {
    "fashion_mnist": {
        # The S3 website endpoint only speaks plain HTTP; safe enough, every file is hash-checked.
        "mirrors": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"),
        "files": dict(zip(FASHION_FILES, ("md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d", "md5:25c81989df183df01b3e8a0aad5dffbe",
                                          "md5:bef4ecab320f06d8554ea6380940ec79", "md5:bb300cfdad3c16e7a12a480ee83cd310"))),
    },
    "mnist": {
        "mirrors": ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
        "files": dict(zip(FASHION_FILES, ("md5:f68b3c2dcbeaaa9fbdd348bbdeb94873", "md5:d53e105ee54ea40749a09fcbcd1e9432",
                                          "md5:9fb629c4189551a2d022fa330f9573f3", "md5:ec29112dd5afa0611ce80d1b7f02629c"))),
    },
    "cifar10": {
        "mirrors": ("https://www.cs.toronto.edu/~kriz/",),
        "files": {"cifar-10-binary.tar.gz": "md5:c32a1d4ab5d03f1284b67883e8d87530"},
    },
}


class DataNotFoundError(FileNotFoundError):
    """A data set is in none of the places we look, and downloading failed or was off."""


def cache_dir(name):
    """``$XDG_CACHE_HOME/minicnn/<name>`` (``~/.cache`` when unset); ``fashion_mnist`` keeps its old folder."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "minicnn" / {"fashion_mnist": "fashion-mnist"}.get(name, name)


def fetch(name, dest=None, base_url=None, registry=None, verbose=True, timeout=60):
    """Download the files of data set ``name`` that ``dest`` lacks; ``{file name: path}``.

    Parameters
    ----------
    name : a key of ``REGISTRY``
    dest : folder to download into (default ``cache_dir(name)``)
    base_url : download from this URL instead of trying each mirror
    registry : ``{"mirrors": (...), "files": {file name: "md5:..." or "sha256:..."}}`` instead of
        ``REGISTRY[name]`` (tests serve their own files)

    Raises
    ------
    OSError
        Every mirror failed; the message says what went wrong with each URL
        (a hash mismatch, a cut connection, a missing file).
    """
    import pooch   # imported when a download is really needed

    entry = registry or REGISTRY[name]
    dest = Path(dest or cache_dir(name))
    pooch.get_logger().setLevel("INFO" if verbose else "WARNING")
    downloader = pooch.HTTPDownloader(timeout=timeout, progressbar=False)
    found = {}
    for filename, known_hash in entry["files"].items():
        errors = []
        for mirror in [base_url] if base_url else entry["mirrors"]:
            url = mirror.rstrip("/") + "/" + filename
            try:
                found[filename] = Path(pooch.retrieve(url, known_hash, fname=filename, path=dest,
                                                      downloader=downloader))
                break
            except ValueError as err:      # pooch: the hash does not match; nothing was kept
                errors.append(f"{url}: {err}")
            except OSError as err:         # requests' errors are OSErrors: refused, 404, cut short
                errors.append(f"{url}: {type(err).__name__}: {err}")
        else:
            raise OSError(f"could not download {filename} of {name}: " + "; ".join(errors))
        if verbose:
            print(f"{filename}: {found[filename]}", file=sys.stderr)
    return found


def locate(name, is_complete, path=None, env_var=None, download=True, base_url=None, registry=None,
           verbose=True):
    """``(label, folder)``: where data set ``name`` is, downloading it into the cache as a last resort.

    Looks at ``path`` (when given, it must hold the data: a typo is an error, not a reason to
    train on other data), then ``$env_var``, then ``cache_dir(name)``; ``is_complete(folder)``
    says whether a folder holds the whole data set.

    Raises
    ------
    DataNotFoundError
        Naming every place tried and how to get the data.
    """
    fixes = [f"python datasets.py fetch --dataset {name}   (downloads and checks it into {cache_dir(name)})",
             f"export {env_var}=/folder/with/the/files" if env_var else None]
    if path is not None:
        if is_complete(Path(path)):
            return "path argument", Path(path)
        why = "no such folder" if not Path(path).is_dir() else "it does not hold the files"
        raise DataNotFoundError(f"{path} does not hold {name} ({why}). Check the path, or leave it out "
                                f"to use {'$' + env_var + ', ' if env_var else ''}the cache or a download.")
    tried = []
    places = [(f"${env_var}", os.environ.get(env_var)) if env_var else None, ("user cache", cache_dir(name))]
    for label, folder in filter(None, places):
        if folder and is_complete(Path(folder)):
            return label, Path(folder)
        tried.append(f"{label}: {folder or 'not set'}")
    if download:
        try:
            fetch(name, cache_dir(name), base_url, registry, verbose)
            return "download", cache_dir(name)
        except OSError as err:
            tried.append(f"download into {cache_dir(name)}: {err}")
    else:
        tried.append("download: switched off (download=False)")
    raise DataNotFoundError(f"{name} was not found. Places tried: " + "; ".join(tried) + ". Fix it with: "
                            + " or ".join(filter(None, fixes)) + ".")
