"""A task in a notebook: its stub cell, its check cell, and the two ways CI runs a notebook.

A stub cell is the solution file with every function's body replaced by
``raise NotImplementedError`` (the docstring, which gives the shapes, stays).
It is tagged ``task-stub`` and names its task in ``metadata.minicnn.task``; the
check cell under it is tagged ``task-check``. CI and ``build_pages`` run a
notebook

- as the learner gets it, but only its tagged cells (:func:`task_cells_only`):
  every check then says "not implemented yet" and the notebook goes on;
- whole, with the solutions swapped in (:func:`with_solutions`): what the
  executed copies in ``tutorials/executed/`` show.
"""
import ast
import copy

from .feedback import solution_path

STUB, CHECK = "task-stub", "task-check"
STUB_BODY = "# Your code here.\nraise NotImplementedError"


def stub_source(name):
    """The solution file of task ``name`` with each function body cut down to ``raise NotImplementedError``."""
    source = solution_path(name).read_text(encoding="utf-8")
    lines = source.splitlines()
    functions = [node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]
    for function in reversed(functions):          # from the bottom up, so earlier line numbers stay valid
        body = function.body[1:] if ast.get_docstring(function) is not None else function.body
        indent = " " * body[0].col_offset
        lines[body[0].lineno - 1:function.end_lineno] = [indent + line for line in STUB_BODY.splitlines()]
    return "\n".join(lines).strip() + "\n"


def check_source(task):
    """``tasks.check("dense", dense_forward, dense_backward)``: the check cell's last line."""
    return f"tasks.check({task.name!r}, {', '.join(task.functions)})"


def task_of(cell):
    """The task a stub cell is for, or None for any other cell."""
    return cell.metadata.get("minicnn", {}).get("task") if STUB in cell.metadata.get("tags", []) else None


def with_solutions(notebook):
    """A copy of ``notebook`` whose stub cells hold the solutions instead."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        if task_of(cell):
            cell.source = solution_path(task_of(cell)).read_text(encoding="utf-8").strip()
    return notebook


def task_cells_only(notebook):
    """A copy of ``notebook`` with only its stub and check cells: the learner's run before writing anything."""
    notebook = copy.deepcopy(notebook)
    notebook.cells = [cell for cell in notebook.cells if {STUB, CHECK} & set(cell.metadata.get("tags", []))]
    return notebook


def new_cells(task):
    """The three cells a notebook carries for ``task``: what to write, the stub, the check."""
    import nbformat.v4 as nbf
    names = " and ".join(f"`{name}`" for name in task.functions)
    intro = nbf.new_markdown_cell(
        f"### Your turn: {task.title}\n\n"
        f"Write {names} below (the docstring gives the shapes), then run the cell under it. The check "
        f"runs your code beside minicnn's own on a few drawn cases and says what is wrong (the shape, "
        f"the values, which gradient, where), never the answer. The worked answer is in "
        f"`solutions/tasks/{task.name}.py`.")
    stub = nbf.new_code_cell(stub_source(task.name).strip(),
                             metadata={"tags": [STUB], "minicnn": {"task": task.name}})
    check = nbf.new_code_cell(f"from minicnn.course import tasks\n{check_source(task)};",
                              metadata={"tags": [CHECK], "minicnn": {"task": task.name}})
    return [intro, stub, check]
