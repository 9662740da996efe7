"""Keep every notebook pair honest and every notebook on the course template (design.md §5)."""

import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT / "tools"))
import clean_notebooks  # noqa: E402

SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
FIX = ".venv/bin/jupytext --to ipynb --update {py}  (then commit both files)"
CLEAN = ".venv/bin/python tools/clean_notebooks.py {ipynb}"
FILTER = "-jupytext.text_representation.jupytext_version,-jupytext.text_representation.format_version"


def test_there_are_notebooks():
    assert SOURCES, "no notebooks/NN_name.py found"
    assert sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) == [p.stem for p in SOURCES], (
        "every notebooks/NN_name.py needs its NN_name.ipynb and the other way round"
    )


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def _committed(path: Path) -> str | None:
    """The file as the last commit holds it (None outside a git checkout or for a new file)."""
    try:
        out = subprocess.run(["git", "show", f"HEAD:{path.relative_to(ROOT).as_posix()}"], cwd=ROOT,
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def pair_problems(py: Path, ipynb: nbformat.NotebookNode) -> list[str]:
    """What is wrong with a .py/.ipynb pair's sources and pairing metadata (outputs are allowed)."""
    fix = FIX.format(py=f"notebooks/{py.name}")
    problems = []
    text = jupytext.read(py)
    if _cells(ipynb) != _cells(text):
        problems.append(f"{py.name} and its .ipynb differ; fix with: {fix}")
    if ipynb.metadata.get("jupytext", {}).get("formats") != "ipynb,py:percent":
        problems.append(f"pairing metadata missing: {fix}")
    if text.metadata.get("jupytext", {}).get("notebook_metadata_filter") != FILTER:
        problems.append(f"{py.name}'s header needs 'notebook_metadata_filter: {FILTER}' (else saving from "
                        "JupyterLab adds version lines to it)")
    return problems


@pytest.mark.parametrize("py", SOURCES, ids=lambda p: p.name)
def test_pair_in_sync(py):
    assert not pair_problems(py, nbformat.read(py.with_suffix(".ipynb"), as_version=4))


@pytest.mark.parametrize("py", SOURCES, ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs(py):
    """The repository keeps notebooks without outputs. A learner's working copy may have them (saving
    from JupyterLab keeps them), so the check reads the committed file when there is one."""
    ipynb = py.with_suffix(".ipynb")
    committed = _committed(ipynb)
    nb = nbformat.reads(committed, as_version=4) if committed is not None else nbformat.read(ipynb, as_version=4)
    found = clean_notebooks.dirt(nb)
    assert not found, f"{ipynb.name} ({'committed' if committed else 'working copy'}): {', '.join(found)}; " \
                      f"fix with: {CLEAN.format(ipynb=f'notebooks/{ipynb.name}')}"
    if committed is not None and clean_notebooks.dirt(nbformat.read(ipynb, as_version=4)):
        warnings.warn(f"your copy of {ipynb.name} has outputs (fine while you play); before committing run "
                      f"{CLEAN.format(ipynb=f'notebooks/{ipynb.name}')}", stacklevel=1)


def test_saving_from_jupyterlab_keeps_the_pair_clean(tmp_path):
    """Save a notebook the way JupyterLab does (jupytext's contents manager, with outputs and Lab's metadata):
    the .py must not change, and the pair stays in sync; tools/clean_notebooks.py restores the .ipynb."""
    import asyncio

    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class

    py = SOURCES[0]
    for suffix in (".py", ".ipynb"):
        shutil.copy(py.with_suffix(suffix), tmp_path / py.with_suffix(suffix).name)
    manager = build_async_jupytext_contents_manager_class(AsyncLargeFileManager)(root_dir=str(tmp_path))
    name = py.with_suffix(".ipynb").name
    nb = asyncio.run(manager.get(name))["content"]
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs, code.execution_count = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")], 1
    nb.metadata["language_info"] = {"name": "python", "version": "3.11"}
    asyncio.run(manager.save({"type": "notebook", "content": nb}, name))

    assert (tmp_path / py.name).read_text() == py.read_text(), "saving from JupyterLab changed the .py"
    saved = nbformat.read(tmp_path / name, as_version=4)
    assert not pair_problems(tmp_path / py.name, saved)
    assert clean_notebooks.dirt(saved) == ["outputs in 1 cell(s)"]
    assert clean_notebooks.main([str(tmp_path / name)]) == 0
    assert (tmp_path / name).read_text() == py.with_suffix(".ipynb").read_text(), "cleaning should restore the file"


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
    explorers = re.findall(r"^(\w+) = widgets\.\w+_explorer\(", code, flags=re.M)
    moved = [n for n in explorers if re.search(rf"\b{n}\.(update\(|controls\b|params\[.*\] =)", code)]
    assert not moved, (f"{moved}: after Run All a widget must show its default state, the one its 'What to try' "
                       "starts from; test its interactions headless in tests/test_widgets.py")
    assert "**Next:**" in md, "every notebook ends with a **Next:** line"
    later = sorted(q.stem for q in py.parent.glob("[0-9][0-9]_*.py") if q.stem > py.stem)
    if later:
        assert f"{later[0]}.ipynb" in md.split("**Next:**")[-1], f"the **Next:** line should link {later[0]}.ipynb"
