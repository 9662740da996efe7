"""Build the executed course book: every notebook run headless, as a static, offline HTML site.

Usage: ``python tools/build_book.py [--mode cpu] [--out build/book] [--executed DIR] [NN ...]``
(``make book``). Each notebook is executed with nbclient (or taken already executed from
``--executed``, e.g. ``build/`` after ``make course``), checked for error outputs, and exported with
nbconvert's JupyterLab HTML template: figures embedded as data URIs, no script or style fetched from
the network (MathJax, require.js and the widget manager are left out; the notebooks use none of
them). A widget cannot move without a kernel, so each one is replaced by a picture of its panel as
it stood when its cell ran, with a note to open the notebook to move it. ``index.html`` holds the
table of contents: every notebook with its sections, run time and mode, linked by anchor.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import time
from pathlib import Path

import jinja2
import nbformat
from kernels import local_kernel
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
COURSE = "jepa_lab: understand JEPA by running it"

TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block extra_css %}<style type="text/css">{{ resources.book_css }}</style>{% endblock extra_css %}
{%- block body_header -%}{{ super() }}{{ resources.book_nav }}{%- endblock body_header -%}
{% block body_footer %}{{ resources.book_nav }}{{ super() }}{% endblock body_footer %}
"""

CSS = """
nav.book-nav { display: flex; gap: 1.5em; padding: 0.6em 1em; margin: 0 0 1em 0; border-bottom: 1px solid #ddd;
  font-family: sans-serif; font-size: 14px; }
nav.book-nav a { text-decoration: none; }
.book-widget { border: 1px dashed #999; padding: 0.5em; margin: 0.3em 0; }
.book-widget p { font-family: sans-serif; font-size: 13px; color: #555; margin: 0.2em 0 0.5em 0; }
.book-widget img { max-width: 100%; }
"""

INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
li.section {{ font-size: 0.95em; }} .meta {{ color: #555; font-size: 0.9em; }}
</style></head>
<body><main>
<h1>{title}</h1>
<p>The course's notebooks, executed top to bottom in <code>{mode}</code> mode by <code>tools/build_book.py</code>
(torch {torch}, {threads} thread(s)). Every number and figure below comes from that run; the notebooks
themselves live in <code>notebooks/</code>. Widgets are shown as a picture of their panel when their cell ran:
open the notebook in JupyterLab to move them.</p>
<h2 id="contents">Contents</h2>
<ol class="book-toc">
{items}
</ol>
</main></body></html>
"""

HEADING = re.compile(r'<h([1-3]) id="([^"]+)">(.*?)</h\1>', re.S)
TAG = re.compile(r"<[^>]+>")


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The notebook's first Markdown heading, without the ``#``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def execute(path: Path, timeout: int) -> tuple[nbformat.NotebookNode, float, dict[str, list]]:
    """Run ``path`` with its folder as working directory. Returns the executed notebook, seconds, and for
    every widget view a snapshot of the PNGs its panel showed right after its cell ran."""
    nb = nbformat.read(path, as_version=4)
    snapshots: dict[str, list] = {}
    with local_kernel() as km:
        client = NotebookClient(nb, km=km, timeout=timeout, store_widget_state=True,
                                resources={"metadata": {"path": str(path.parent)}})

        def on_cell_executed(cell, cell_index, execute_reply):
            for output in cell.get("outputs", []):
                view = output.get("data", {}).get(WIDGET_VIEW)
                if view:
                    snapshots[view["model_id"]] = _panel_pngs(view["model_id"], client.widget_state)

        client.on_cell_executed = on_cell_executed
        start = time.perf_counter()
        client.execute()
    return nb, time.perf_counter() - start, snapshots


def _panel_pngs(model_id: str, state: dict, depth: int = 0) -> list[str]:
    """Base64 PNGs shown by a widget and its children (an ``interactive`` keeps its figure in an Output)."""
    model = state.get(model_id, {})
    pngs = [o["data"]["image/png"] for o in model.get("outputs", []) if "image/png" in o.get("data", {})]
    for child in model.get("children", []) if depth < 5 else []:
        if isinstance(child, str) and child.startswith("IPY_MODEL_"):
            pngs += _panel_pngs(child[len("IPY_MODEL_"):], state, depth + 1)
    return list(pngs)


def errors_in(nb: nbformat.NotebookNode) -> list[str]:
    """Error outputs of an executed notebook, one line each."""
    return [f"cell {i}: {o.get('ename')}: {o.get('evalue')}" for i, c in enumerate(nb.cells)
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def freeze_widgets(nb: nbformat.NotebookNode, snapshots: dict[str, list]) -> int:
    """Replace every widget view by its panel's picture (or a note). Returns how many were replaced."""
    n = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if not view:
                continue
            pngs = snapshots.get(view["model_id"]) or _panel_pngs(view["model_id"], _saved_state(nb))
            images = "".join(f'<img class="book-widget-snapshot" alt="widget panel" src="data:image/png;base64,{p}">'
                             for p in pngs[-1:])
            note = ("An interactive panel: this picture shows it as it stood when the cell ran. Open the "
                    "notebook in JupyterLab to move its controls.")
            output["data"] = {"text/html": f'<div class="book-widget"><p>{note}</p>{images}</div>'}
            n += 1
    nb.metadata.pop("widgets", None)
    return n


def _saved_state(nb: nbformat.NotebookNode) -> dict:
    return nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})


def nav(pages: list[tuple[str, str]], i: int) -> str:
    """Previous / contents / next links for page ``i`` of ``pages`` ([(file, title)])."""
    links = []
    if i > 0:
        links.append(f'<a href="{pages[i - 1][0]}">← {html.escape(pages[i - 1][1])}</a>')
    links.append('<a href="index.html">Contents</a>')
    if i + 1 < len(pages):
        links.append(f'<a href="{pages[i + 1][0]}">{html.escape(pages[i + 1][1])} →</a>')
    return f'<nav class="book-nav">{" ".join(links)}</nav>'


def export(nb: nbformat.NotebookNode, name: str, book_nav: str) -> str:
    """The notebook as one self-contained HTML page; links to other notebooks point at their pages."""
    exporter = HTMLExporter(template_name="lab", template_file="book.html.j2",
                            extra_loaders=[jinja2.DictLoader({"book.html.j2": TEMPLATE})])
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name}, "book_nav": book_nav,
                                                          "book_css": CSS})
    return re.sub(r'href="(\d\d_[\w-]+)\.ipynb', r'href="\1.html', body)


def sections(page: str) -> list[tuple[int, str, str]]:
    """(level, anchor id, text) of the page's h1-h3 headings, as the exporter wrote them."""
    out = []
    for level, anchor, inner in HEADING.findall(page):
        text = html.unescape(TAG.sub("", inner)).replace("¶", "").strip()
        out.append((int(level), anchor, text))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="two-digit keys, e.g. 01 04 (default: all)")
    parser.add_argument("--mode", choices=("fast", "cpu", "full"), help="default: the learner's default")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "book")
    parser.add_argument("--executed", type=Path, help="take executed notebooks from this folder (make course's build/)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    if args.mode:
        os.environ["JEPA_LAB_MODE"] = args.mode
    from jepa_lab import config

    mode = config.get_mode()
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if p.name[:2] in args.notebooks]
    if not paths:
        print("no notebooks matched", args.notebooks)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)

    runs = []
    for path in paths:
        if args.executed and (args.executed / path.name).is_file():
            print(f"taking {path.name} from {args.executed} ...", flush=True)
            nb, seconds, snapshots = nbformat.read(args.executed / path.name, as_version=4), None, {}
        else:
            print(f"running {path.name} in {mode} mode ...", flush=True)
            nb, seconds, snapshots = execute(path, args.timeout)
            print(f"  {seconds / 60:.1f} min", flush=True)
        problems = errors_in(nb)
        if problems:
            print(f"{path.name} has error outputs:\n  " + "\n  ".join(problems))
            return 1
        freeze_widgets(nb, snapshots)
        runs.append((path, nb, seconds))

    pages = [(f"{p.stem}.html", title_of(nb, p.stem)) for p, nb, _ in runs]
    items = []
    for i, (_, nb, seconds) in enumerate(runs):
        page = export(nb, pages[i][1], nav(pages, i))
        (args.out / pages[i][0]).write_text(page, encoding="utf-8")
        minutes = f"{seconds / 60:.1f} min in this build" if seconds is not None else "executed earlier"
        subs = "".join(f'<li class="section"><a href="{pages[i][0]}#{html.escape(a)}">{html.escape(t)}</a></li>'
                       for level, a, t in sections(page) if level == 2)
        items.append(f'<li><a href="{pages[i][0]}">{html.escape(pages[i][1])}</a> '
                     f'<span class="meta">({minutes})</span><ul>{subs}</ul></li>')
    import torch

    index = INDEX.format(title=html.escape(COURSE), mode=mode, torch=torch.__version__,
                         threads=torch.get_num_threads(), items="\n".join(items))
    (args.out / "index.html").write_text(index, encoding="utf-8")
    (args.out / "book.json").write_text(json.dumps(
        {"mode": mode, "pages": [{"file": f, "title": t, "seconds": s} for (f, t), (_, _, s) in zip(pages, runs,
                                                                                                   strict=True)]},
        indent=1))
    print(f"the book is in {args.out} (open {args.out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
