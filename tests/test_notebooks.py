"""Keep every notebook pair honest and every notebook on the course template (design.md §5)."""

import re
from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
FIX = "jupytext --to ipynb --update {py}  (then commit both files)"


def test_there_are_notebooks():
    assert SOURCES, "no notebooks/NN_name.py found"
    assert sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) == [p.stem for p in SOURCES], (
        "every notebooks/NN_name.py needs its NN_name.ipynb and the other way round"
    )


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


@pytest.mark.parametrize("py", SOURCES, ids=lambda p: p.name)
def test_pair_in_sync_and_clean(py):
    ipynb = nbformat.read(py.with_suffix(".ipynb"), as_version=4)
    text = jupytext.read(py)
    fix = FIX.format(py=f"notebooks/{py.name}")
    assert _cells(ipynb) == _cells(text), f"{py.name} and its .ipynb differ; fix with: {fix}"
    assert ipynb.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent", f"pairing metadata missing: {fix}"
    assert "widgets" not in ipynb.metadata, f"saved widget state in {py.stem}.ipynb: run nbstripout --keep-id"
    for cell in ipynb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"{py.stem}.ipynb has outputs: run 'nbstripout --keep-id' or {fix}"
            )


@pytest.mark.parametrize("py", SOURCES, ids=lambda p: p.name)
def test_template(py):
    nb = jupytext.read(py)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert re.match(r"# \d\d · \w+", nb.cells[0].source), "title '# NN · Verb ...' first"
    for heading in ("**What you'll do:**", "**What you'll learn:**", "**What you need:**",
                    "## Summary", "## Exercises", "## Going further", "## References"):
        assert heading in md, f"{py.name} lacks {heading!r}"
    assert re.search(r"about [\d.]+ min in `cpu` mode", md), "state the measured cpu-mode minutes in the header"
    assert f'config.for_notebook("{py.name[:2]}")' in code, "setup cell must take the notebook's preset"
    assert "runtime.describe(" in code, "setup cell must print mode, seed and device"
    assert "import *" not in code
    sections = re.findall(r"^## \d\. ", md, flags=re.M)
    assert 3 <= len(sections) <= 6, f"3-6 numbered sections, found {len(sections)}"
    assert code.count("assert ") >= len(sections), "each section should end with an assert"
    assert "checks.check_" in code and "NotImplementedError" in code, "exercises need stubs and checks"
    n_widgets = len(re.findall(r"widgets\.\w+_explorer\(", code))
    assert md.count("**What to try**") >= n_widgets, "every widget needs a 'What to try' after it"
    assert "**Next:**" in md or py.name.startswith("08"), "link to the next notebook"
