"""binder/ (Binder, repo2docker) cannot be built here (no network): check what can be checked offline.
torch is the Makefile's pin as a CPU build, the package is installed editable with an extra that exists,
and the scripts are executable bash."""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"


def test_binder_pins_the_makefiles_torch_as_a_cpu_build():
    pin = re.search(r"^TORCH\s*:=\s*torch==(\S+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    lines = [ln.strip() for ln in (BINDER / "requirements.txt").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert f"torch=={pin}+cpu" in lines


def test_binder_installs_the_package_and_keeps_threads_low():
    pyproject = (ROOT / "pyproject.toml").read_text()  # (tomllib is 3.11+; the course supports 3.10)
    post = (BINDER / "postBuild").read_text()
    extra = re.search(r'-e "\.\[(\w+)\]"', post).group(1)
    assert re.search(rf"^{extra} = \[", pyproject, re.M), f"pyproject.toml has no [{extra}] extra"
    version = (BINDER / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", version)
    assert int(version.split(".")[1]) >= int(re.search(r'requires-python = ">=3\.(\d+)"', pyproject).group(1))
    start = (BINDER / "start").read_text()
    assert "OMP_NUM_THREADS" in start and start.rstrip().endswith('exec "$@"')
    for script in ("postBuild", "start"):
        path = BINDER / script
        assert path.read_text().startswith("#!/bin/bash") and os.access(path, os.X_OK), f"{script} must be executable"
