"""Execute every notebook headless, as a learner would, and keep the results under build/.

Usage: ``python tools/run_course.py [--mode cpu] [NN ...]`` (``make course``). Without
``--mode`` the learner's default applies (``full`` with CUDA, else ``cpu``). Writes the executed
notebook, its figures as PNG files and a timing table to ``build/``, so a teacher can check a
machine before a workshop.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from pathlib import Path

import nbformat
from kernels import local_kernel
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def run(path: Path, out: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    with local_kernel() as km:
        NotebookClient(nb, km=km, timeout=timeout, resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, out / path.name)
    figures = out / f"{path.stem}_figures"
    figures.mkdir(exist_ok=True)
    k = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                k += 1
                (figures / f"figure_{k:02d}.png").write_bytes(base64.b64decode(png))
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="two-digit keys, e.g. 01 04 (default: all)")
    parser.add_argument("--mode", choices=("fast", "cpu", "full"), help="default: the learner's default")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args()
    if args.mode:
        os.environ["JEPA_LAB_MODE"] = args.mode
    out = ROOT / "build"
    out.mkdir(exist_ok=True)
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if p.name[:2] in args.notebooks]
    from jepa_lab import config

    mode = config.get_mode()
    rows = []
    for p in paths:
        print(f"running {p.name} in {mode} mode ...", flush=True)
        seconds = run(p, out, args.timeout)
        print(f"  {seconds / 60:.1f} min", flush=True)
        rows.append(f"| {p.name} | {mode} | {seconds / 60:.1f} |")
    table = "| notebook | mode | minutes |\n|---|---|---|\n" + "\n".join(rows) + "\n"
    (out / f"timings_{mode}.md").write_text(table)
    print(table)
    print(f"executed notebooks and figures are in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
