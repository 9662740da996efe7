"""Strip outputs, execution counts and saved widget state from notebooks, keeping cell ids.

Usage: ``python tools/clean_notebooks.py [--check] [NOTEBOOK.ipynb ...]`` (default: every
``notebooks/NN_*.ipynb``). Saving from JupyterLab leaves outputs in the ``.ipynb``; that is fine
while you play, and this puts the files back the way the repository keeps them (``git diff``
then shows only what you changed in the cells). ``--check`` changes nothing and exits 1 if a
notebook has outputs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def dirt(nb: nbformat.NotebookNode) -> list[str]:
    """What would be stripped: a list of short descriptions (empty when clean)."""
    found = []
    if "widgets" in nb.metadata:
        found.append("saved widget state")
    n_out = sum(1 for c in nb.cells if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")))
    if n_out:
        found.append(f"outputs in {n_out} cell(s)")
    return found


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs, execution counts, widget state and Lab's ``language_info`` in place; return ``nb``."""
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("language_info", None)  # JupyterLab adds it on save; the repository does not keep it
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            for key in ("execution", "collapsed", "scrolled"):
                cell.metadata.pop(key, None)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="report only; exit 1 if a notebook has outputs")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    dirty = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        found = dirt(nb)
        if not found:
            continue
        dirty += 1
        if args.check:
            print(f"{path}: {', '.join(found)}")
        else:
            nbformat.write(clean(nb), path)
            print(f"cleaned {path}: {', '.join(found)}")
    if args.check and dirty:
        print(f"fix with: python tools/clean_notebooks.py {' '.join(str(p) for p in paths)}")
    return 1 if args.check and dirty else 0


if __name__ == "__main__":
    sys.exit(main())
