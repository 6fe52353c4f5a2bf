"""The course notebooks: each runs top to bottom in a real Jupyter kernel, and is well formed.

Every notebook in ``tutorials/`` is executed with ``nbclient`` in FAST mode
(``MINICNN_FAST=1``: the bundled sample, tiny settings) from a temporary folder,
so a cell that raises fails CI and no notebook depends on where it is stored.
A notebook with graded tasks runs twice: with the solutions swapped into its
stubs, and as the learner gets it (only its task cells: each check says "not
implemented yet"). The executed copies in ``tutorials/executed/``
(``python -m minicnn.runs.build_pages``) must hold their source's code, solutions swapped in.
"""
import re

import nbformat
import pytest

from minicnn.course import tasks
from minicnn.course.notebooks import find_notebooks
from minicnn.course.tasks import cells
from minicnn.runs import build_pages

TUTORIALS = find_notebooks()
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))
EXECUTED = TUTORIALS / "executed"


def read(path):
    return nbformat.read(path, as_version=4)


def test_the_course_is_there_in_order():
    names = [path.name for path in NOTEBOOKS]
    assert names[:5] == ["00_start_here.ipynb", "01_explore_fashion_mnist.ipynb", "02_first_cnn.ipynb",
                         "03_convolution_arithmetic.ipynb", "04_layers_and_gradients.ipynb"]
    assert [name[:2] for name in names] == sorted({name[:2] for name in names}), "one notebook per number"
    readme = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in names), "tutorials/README.md should list every notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_saved_clean_and_ends_with_checked_exercises(path):
    notebook = read(path)
    executed = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
                and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not executed, f"{path.name}: clear the outputs of cells {executed} before committing"
    assert notebook.cells[0].cell_type == "markdown", "a notebook opens with what it teaches"
    headings = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "markdown"
                and any(line.startswith("#") and "Exercises" in line for line in cell.source.splitlines())]
    assert headings, f"{path.name}: end with a heading that says Exercises"
    after = "\n".join(cell.source for cell in notebook.cells[headings[-1]:] if cell.cell_type == "code")
    assert f"checkers.nb{path.name[:2]}.check_1(" in after, "each exercise is followed by its checker"


def with_tasks(path):
    return any(cells.task_of(cell) for cell in read(path).cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_each_task_stub_is_its_solution_cut_short_with_its_check_under_it(path):
    notebook = read(path)
    found = [(i, cells.task_of(cell)) for i, cell in enumerate(notebook.cells) if cells.task_of(cell)]
    assert [name for _, name in found] == [task.name for task in tasks.all_tasks() if task.notebook == path.stem]
    for i, name in found:
        assert notebook.cells[i].source.strip() == cells.stub_source(name).strip(), (
            f"{path.name}: the stub of {name} is not its solution's functions cut short; regenerate it with "
            f"minicnn.course.tasks.cells.stub_source({name!r})")
        check = notebook.cells[i + 1]
        assert cells.CHECK in check.metadata.get("tags", []) and f"tasks.check({name!r}" in check.source


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_in_a_kernel_with_the_solutions(path):
    notebook, seconds = build_pages.execute(path, fast=True, timeout=900)
    errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if output.get("output_type") == "error"]
    assert not errors    # execute raises on the first error; this guards allow_errors cells
    assert not noise(notebook), f"{path.name}: output a learner should not see: {noise(notebook)}"
    for cell in notebook.cells:
        if cells.CHECK in cell.metadata.get("tags", []):
            assert ": right." in "".join(output.get("text", "") for output in cell.outputs)


NOISE = re.compile(r"IProgress not found|TqdmWarning|^[IWE]\d{4} |absl::|oneDNN custom operations", re.MULTILINE)


def noise(notebook):
    """Outputs that are not the lesson: widget warnings, TensorFlow's log lines, an echoed True/False."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.get("output_type") == "stream" else ""
            echoed = output.get("data", {}).get("text/plain") if output.get("output_type") == "execute_result" else None
            if NOISE.search(text) or echoed in ("True", "False"):
                found.append((index, (text or echoed)[:80]))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("path", [path for path in NOTEBOOKS if with_tasks(path)], ids=lambda path: path.stem)
def test_the_learners_notebook_runs_its_task_cells_and_each_check_says_not_implemented_yet(path):
    notebook, seconds = build_pages.execute(path, fast=True, timeout=300, learner=True)
    checks = [cell for cell in notebook.cells if cells.CHECK in cell.metadata.get("tags", [])]
    assert checks
    for cell in checks:
        printed = "".join(output.get("text", "") for output in cell.outputs if output.get("name") == "stdout")
        assert printed.count("\n") == 1 and "not implemented yet" in printed
    assert not noise(notebook), f"{path.name}: output a learner should not see: {noise(notebook)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_executed_copy_has_the_source_code(path):
    copy = EXECUTED / path.name
    assert copy.is_file(), f"no executed copy: run python -m minicnn.runs.build_pages {path.stem}"
    source = cells.with_solutions(read(path))            # the copies show the worked solutions
    assert build_pages.code_sources(read(copy)) == build_pages.code_sources(source), (
        f"{copy} is stale: run python -m minicnn.runs.build_pages {path.stem}")
    assert read(copy).metadata["minicnn"]["mode"] in ("full", "fast")


def test_text_refreshes_only_the_markdown_and_is_refused_when_the_code_changed(tmp_path):
    import nbformat.v4 as nbf
    ran = nbf.new_notebook(cells=[nbf.new_markdown_cell("old words"), nbf.new_code_cell("print(1)"),
                                  nbf.new_markdown_cell("gone")], metadata={"minicnn": {"mode": "full"}})
    ran.cells[1].outputs = [nbf.new_output("stream", name="stdout", text="1\n")]
    copy, source = tmp_path / "executed.ipynb", tmp_path / "nb.ipynb"
    nbformat.write(ran, copy)
    edited = nbf.new_notebook(cells=[nbf.new_markdown_cell("new words"), nbf.new_markdown_cell("added"),
                                     nbf.new_code_cell("print(1)")])
    nbformat.write(edited, source)
    build_pages.refresh_text(source, copy)
    refreshed = read(copy)
    assert [cell.source for cell in refreshed.cells] == ["new words", "added", "print(1)"]
    assert refreshed.cells[2].outputs[0].text == "1\n" and refreshed.metadata["minicnn"]["mode"] == "full"
    edited.cells[2].source = "print(2)"
    nbformat.write(edited, source)
    with pytest.raises(ValueError, match="code cell 0 .* differs.*build_pages nb"):
        build_pages.refresh_text(source, copy)
    assert read(copy).cells[2].source == "print(1)", "a refused refresh leaves the copy alone"
    edited.cells.append(nbf.new_code_cell("print(1)"))
    edited.cells[2].source = "print(1)"
    nbformat.write(edited, source)
    with pytest.raises(ValueError, match="the copy has 1 code cells, the source 2"):
        build_pages.refresh_text(source, copy)


# A number a run produced, quoted in the markdown, is written <!--#-->89.36% (the comment does not render).
MARKED = re.compile(r"<!--#-->([-+]?\d[\d,]*(?:\.\d+)?%?)")


def outputs_beside(cells, index):
    """The text output of the code cells right before and right after markdown cell ``index``."""
    near = []
    for step in (-1, 1):
        i = index + step
        while 0 <= i < len(cells) and cells[i].cell_type == "code":
            near.append(cells[i])
            i += step
    return "\n".join(output.get("text", "") or output.get("data", {}).get("text/plain", "")
                     for cell in near for output in cell.get("outputs", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_marked_number_equals_the_output_beside_it(path):
    source, copy = read(path), read(EXECUTED / path.name)
    marked = [cell.source for cell in source.cells if cell.cell_type == "markdown" and "<!--#-->" in cell.source]
    if not marked:
        pytest.skip(f"{path.name} marks no numbers")
    assert copy.metadata["minicnn"]["mode"] == "full", "marked numbers quote the full run"
    for text in marked:
        assert text.count("<!--#-->") == len(MARKED.findall(text)), f"a marker not followed by a number: {text[:80]}"
        places = [i for i, cell in enumerate(copy.cells) if cell.cell_type == "markdown" and cell.source == text]
        assert places, (f"{path.name}: the executed copy lacks this paragraph (python -m minicnn.runs.build_pages "
                        f"--text {path.stem} copies the markdown if the code is unchanged): {text[:80]}")
        beside = outputs_beside(copy.cells, places[0])
        for number in MARKED.findall(text):
            assert re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", beside), (
                f"{path.name}: the markdown says {number}, the output beside it does not: {text[:80]}")
