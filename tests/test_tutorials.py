"""The course notebooks: each runs top to bottom in a real Jupyter kernel, and is well formed.

Every notebook in ``tutorials/`` is executed with ``nbclient`` in FAST mode
(``MINICNN_FAST=1``: the bundled sample, tiny settings) from a temporary folder,
so a cell that raises fails CI and no notebook depends on where it is stored.
A notebook with graded tasks runs twice: with the solutions swapped into its
stubs, and as the learner gets it (only its task cells: each check says "not
implemented yet"). The executed copies in ``tutorials/executed/``
(``python -m minicnn.runs.build_pages``) must hold their source's code, solutions swapped in,
and every number the markdown quotes is marked: a figure of the run is checked against the
output beside it, any other number is marked as given (the rule is written out further down).
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
def test_executed_copy_has_the_source_code_ran_in_full_mode_and_shows_no_noise(path):
    copy = EXECUTED / path.name
    assert copy.is_file(), f"no executed copy: run python -m minicnn.runs.build_pages {path.stem}"
    source, executed = cells.with_solutions(read(path)), read(copy)   # the copies show the worked solutions
    assert build_pages.code_sources(executed) == build_pages.code_sources(source), (
        f"{copy} is stale: run python -m minicnn.runs.build_pages {path.stem}")
    assert executed.metadata["minicnn"]["mode"] == "full", "the copies show the real run: build without MINICNN_FAST"
    assert not noise(executed), f"{copy.name}: output a learner should not see: {noise(executed)}"


def test_the_kernel_captures_file_descriptor_output_under_pytest_too():
    # Under pytest (PYTEST_CURRENT_TEST is set now) ipykernel would leave fd 1 and 2 alone.
    assert "PYTEST_CURRENT_TEST" not in list(build_pages.kernel_environment(fast=True))   # names only in a failure


@pytest.mark.slow
def test_output_written_to_the_file_descriptors_reaches_the_notebook(tmp_path):
    import nbformat.v4 as nbf
    path = tmp_path / "fd.ipynb"
    nbformat.write(nbf.new_notebook(cells=[nbf.new_code_cell("import os\nos.write(2, b'I0000 a C++ log line\\n')")]),
                   path)
    notebook, _ = build_pages.execute(path, fast=True, timeout=120)
    assert noise(notebook), "fd-level output (TensorFlow's C++ logs) must reach the notebook, as in Jupyter"


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


# Numbers in the markdown. Every percentage (89.36%, 12%) and every decimal number (0.383, 2.5, 2.1e-11)
# in a markdown cell carries one of two markers (HTML comments: they do not render), right before it, an optional
# sign between:
#   <!--#-->89.36%      a figure this notebook's full run printed: it must appear, digits as printed, in the
#                       text output of the code cells right before or right after that markdown cell
#                       (a percentage may be written 89.36 % where the output prints 89.36%);
#   <!--given-->0.9     a number that is not this run's output: a constant, a setting, a seed project's
#                       reported figure, a figure of another named run, a time measured on some machine.
# Numbers in `code`, fenced code blocks, $math$, link targets and HTML comments need no marker. Integers and
# bare powers of ten (1e-5) need none (most are settings or orders of magnitude), but one a run printed may be
# marked <!--#--> and is then checked.
RUN, GIVEN = "<!--#-->", "<!--given-->"
WHOLE = r"(?:\d{1,3}(?:,\d{3})+|\d+)"          # 1,000 or 22, never the comma after "epoch 22, at"
NUMBER = rf"[-+]?{WHOLE}(?:\.\d+)?(?:e[-+]?\d+)?(?: ?%)?"
MARKED = re.compile(rf"{re.escape(RUN)}({NUMBER})")
MARKER = re.compile(rf"(?:{re.escape(RUN)}|{re.escape(GIVEN)})(?={NUMBER})")
WANTS_A_MARKER = re.compile(rf"(?<![\w.,]){WHOLE}(?:\.\d+(?:e[-+]?\d+)?(?: ?%)?| ?%)(?![\w.]*\d)")
EXEMPT = re.compile(r"```.*?```|`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]*\$|<!--.*?-->|\]\([^)]*\)|https?://\S+", re.DOTALL)


def unmarked_numbers(text):
    """The percentages and decimal numbers in markdown ``text`` that carry neither marker."""
    exempt = [(span.start(), span.end()) for span in EXEMPT.finditer(text)]
    marked = {marker.end() for marker in MARKER.finditer(text)}
    found = []
    for number in WANTS_A_MARKER.finditer(text):
        start = number.start() - (text[number.start() - 1:number.start()] in ("-", "+"))
        if not (number.start() in marked or start in marked or any(a <= number.start() < b for a, b in exempt)):
            found.append(text[max(0, start - 30):number.end()].replace("\n", " "))
    return found


def printed_in(number, output):
    """Is the marked ``number`` in ``output``, digits as printed (a space before % or not)?"""
    printed = re.escape(number.replace(" %", "%")).replace("%", " ?%")
    return re.search(rf"(?<![\d.]){printed}(?!\d)", output) is not None


def test_unmarked_numbers_are_found_and_marked_ones_matched():
    text = ("the loss <!--#-->0.383, lr <!--given-->0.01, <!--#-->-1.5, `lr=0.1`, $\\beta_1 = 0.9$, "
            "[v](https://x.org/1.5), 5 epochs on 1,000 images, version 3.11.2, h = 1e-5, <!--#-->2.1e-11, "
            "2.303 and 88.2% and 12% and 9.5e-11, chance (10 %)")
    assert [found.split()[-1] for found in unmarked_numbers(text)] == ["2.303", "88.2%", "12%", "9.5e-11", "%"]
    assert MARKED.findall(text) == ["0.383", "-1.5", "2.1e-11"]
    assert MARKED.findall("epoch <!--#-->22, at <!--#-->1,000 images, <!--#-->12,345.5%") == [
        "22", "1,000", "12,345.5%"]
    assert printed_in("29 %", "PC1: 29%") and printed_in("0.38", "loss 0.38\n")
    assert not printed_in("0.38", "loss 0.383") and not printed_in("8.3", "18.3") and not printed_in("29 %", "29.5%")


def outputs_beside(cells, index):
    """The text output of the code cells right before and right after markdown cell ``index``
    (streams, and a result's or display's plain text or Markdown, such as a table shown with ``Markdown``)."""
    near = []
    for step in (-1, 1):
        i = index + step
        while 0 <= i < len(cells) and cells[i].cell_type == "code":
            near.append(cells[i])
            i += step
    return "\n".join(output.get("text", "") or "\n".join(output.get("data", {}).get(kind, "")
                                                         for kind in ("text/plain", "text/markdown"))
                     for cell in near for output in cell.get("outputs", []))


def test_the_outputs_beside_a_markdown_cell_include_printed_text_and_markdown_tables():
    import nbformat.v4 as nbf
    before, after = nbf.new_code_cell("print(0.5)"), nbf.new_code_cell("Markdown(table)")
    before.outputs = [nbf.new_output("stream", name="stdout", text="loss 0.5\n")]
    after.outputs = [nbf.new_output("display_data", data={"text/plain": "<Markdown object>",
                                                          "text/markdown": "| seed | 89.36% |"})]
    far = nbf.new_code_cell("print(7.5)")
    far.outputs = [nbf.new_output("stream", name="stdout", text="7.5\n")]
    cells = [far, nbf.new_markdown_cell("far"), before, nbf.new_markdown_cell("here"), after]
    beside = outputs_beside(cells, 3)
    assert printed_in("0.5", beside) and printed_in("89.36 %", beside) and not printed_in("7.5", beside)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_number_in_the_markdown_is_marked_and_each_run_figure_equals_the_output_beside_it(path):
    source, copy = read(path), read(EXECUTED / path.name)
    texts = [cell.source for cell in source.cells if cell.cell_type == "markdown"]
    unmarked = [found for text in texts for found in unmarked_numbers(text)]
    assert not unmarked, (f"{path.name}: mark each number {RUN} (this run's output, checked) or {GIVEN} "
                          f"(not this run's output): {unmarked}")
    stray = [text[:80] for text in texts if text.count(RUN) + text.count(GIVEN) != len(MARKER.findall(text))]
    assert not stray, f"{path.name}: a marker not followed by a number in: {stray}"
    marked = [text for text in texts if RUN in text]
    if marked:
        assert copy.metadata["minicnn"]["mode"] == "full", "marked numbers quote the full run"
    for text in marked:
        places = [i for i, cell in enumerate(copy.cells) if cell.cell_type == "markdown" and cell.source == text]
        assert places, (f"{path.name}: the executed copy lacks this paragraph (python -m minicnn.runs.build_pages "
                        f"--text {path.stem} copies the markdown if the code is unchanged): {text[:80]}")
        beside = outputs_beside(copy.cells, places[0])
        for number in MARKED.findall(text):
            assert printed_in(number, beside), (
                f"{path.name}: the markdown says {number}, the output beside it does not: {text[:80]}")
