"""The headless runners (make course, make book) use a quiet, local kernel."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_local_kernel_runs_a_cell_without_the_tcp_warning():
    code = (
        "import sys; sys.path.insert(0, 'tools')\n"
        "import nbformat\nfrom nbclient import NotebookClient\nfrom kernels import local_kernel\n"
        "nb = nbformat.v4.new_notebook(); nb.cells.append(nbformat.v4.new_code_cell('print(6 * 7)'))\n"
        "with local_kernel() as km:\n    NotebookClient(nb, km=km, timeout=120).execute()\n"
        "print(nb.cells[0].outputs[0]['text'].strip())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("42")
    assert "without encryption" not in done.stderr and "Parent appears to have exited" not in done.stderr, done.stderr
