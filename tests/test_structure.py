"""The package's shape: its parts in layers, no import cycles, every public module reachable, a light
``import minicnn``.

The import graph is read from the source (``ast``), counting every ``import``
statement wherever it stands: an import inside a function runs later, but the
two modules still depend on each other, so moving an import into a function
does not break a cycle. Lazy attribute access (``minicnn._lazy``) imports by
name at run time and is not an edge.
"""
import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "minicnn"
FORBIDDEN_AT_IMPORT = ("matplotlib", "sklearn", "tensorflow", "keras", "torch", "numba")


def module_files():
    """``{dotted module name: path}`` of every module and package in minicnn."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_modules(name, path, modules):
    """The minicnn modules that ``name`` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            base = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:     # minicnn.x.function -> minicnn.x
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph():
    modules = module_files()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_graph_reader_sees_imports_inside_functions():
    graph = import_graph()
    assert "minicnn.saving" in graph["minicnn.model"]
    assert "minicnn.io.atomic" in graph["minicnn.saving"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    graph = import_graph()
    found = cycles(graph)
    details = [" <-> ".join(component) for component in found]
    assert not found, "modules that import each other (directly or around a loop):\n" + "\n".join(details)


# The package's parts, top to bottom: a module imports only from its own part's level or below.
# A new module must be placed here, which is the moment to decide where it belongs.
LEVELS = [
    ["minicnn.__main__", "minicnn.runs"],                                    # the commands and their runs
    ["minicnn.course"],                                                      # what the notebooks share
    ["minicnn.interpret", "minicnn.cam", "minicnn.zoo", "minicnn.keras_bridge"],   # built on trained models
    ["minicnn.model", "minicnn.models", "minicnn.saving", "minicnn.keras_files", "minicnn.keras_weights",
     "minicnn.keras_config", "minicnn.training", "minicnn.gradcheck",
     "minicnn.summary"],                                                     # the model and its files
    ["minicnn.fast"],                                                        # what runs the layers fast
    ["minicnn.losses", "minicnn.metrics", "minicnn.optimizers", "minicnn.schedules", "minicnn.callbacks",
     "minicnn.progbar", "minicnn.datasets", "minicnn.utils"],
    ["minicnn.layers", "minicnn.plan"],                                      # the teaching code, what runs it
    ["minicnn.regularizers", "minicnn.checks", "minicnn.backend", "minicnn.io", "minicnn._lazy",
     "minicnn._version"],                                                    # knows nothing of models
]


def level_of(module):
    """The index in LEVELS of the part ``module`` belongs to (the longest matching prefix)."""
    matches = [(len(part), index) for index, parts in enumerate(LEVELS) for part in parts
               if module == part or module.startswith(part + ".")]
    assert matches, f"{module} belongs to no part of LEVELS in tests/test_structure.py: place it there."
    return max(matches)[1]


def test_no_part_imports_a_part_above_it():
    graph = import_graph()
    upward = [f"{name} imports {target}" for name, targets in sorted(graph.items()) if name != "minicnn"
              for target in sorted(targets) if target == "minicnn" or level_of(target) < level_of(name)]
    assert not upward, ("imports that run back up the package's levels (tests/test_structure.py LEVELS), "
                        "or into the package root:\n" + "\n".join(upward))


def test_the_parts_that_once_imported_each_other_have_one_order():
    # runs imports course (the tutorials command), never the other way; saving imports io, never the other way.
    assert level_of("minicnn.runs.cli") < level_of("minicnn.course.notebooks")
    assert level_of("minicnn.saving") < level_of("minicnn.io.atomic")


def run_fresh(code):
    """Run ``code`` in a fresh interpreter; returns what it printed as JSON."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_every_public_module_is_an_attribute_after_import_minicnn():
    public = [name for name in module_files()
              if name != "minicnn" and not any(part.startswith("_") for part in name.split("."))]
    code = ("import functools, json, minicnn\n"
            f"names = {public!r}\n"
            "missing = []\n"
            "for name in names:\n"
            "    try:\n"
            "        functools.reduce(getattr, name.split('.')[1:], minicnn)\n"
            "    except AttributeError as error:\n"
            "        missing.append(f'{name}: {error}')\n"
            "print(json.dumps(missing))")
    assert "minicnn.interpret.cam" in public and "minicnn.cam" in public
    assert run_fresh(code) == []


def test_import_minicnn_loads_nothing_heavy():
    # What it costs in seconds is measured by benchmarks/epoch_speed.py, not here.
    code = ("import json, sys\n"
            "import minicnn\n"
            f"print(json.dumps(sorted(m for m in {FORBIDDEN_AT_IMPORT!r} if m in sys.modules)))")
    assert run_fresh(code) == []


def test_the_keras_like_idioms_work_after_one_import():
    code = ("import json, minicnn\n"
            "print(json.dumps([minicnn.cam.grad_cam.__module__, minicnn.interpret.cam.grad_cam.__module__,\n"
            "                  minicnn.runs.metrics.evaluate_predictions.__module__,\n"
            "                  minicnn.datasets.explore.class_balance.__module__, minicnn.zoo.__name__]))")
    assert run_fresh(code) == ["minicnn.interpret.cam", "minicnn.interpret.cam", "minicnn.runs.metrics",
                               "minicnn.datasets.explore", "minicnn.zoo"]
