"""The install story: environment.yml, Makefile and README agree with each other."""

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def torch_pin() -> str:
    """The torch version the Makefile installs (its ``TORCH := torch==X`` line)."""
    return re.search(r"^TORCH\s*:=\s*torch==(\S+)", (ROOT / "Makefile").read_text(), re.M).group(1)


def test_environment_yml_pins_python_and_the_makefiles_torch():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert f"torch=={torch_pin()}" in pip and "-e .[dev]" in pip
    # a CPU machine must not pull the multi-GB CUDA build: the CPU index comes before the torch line
    cpu = [i for i, d in enumerate(pip) if d.startswith("--extra-index-url") and d.rstrip("/").endswith("/whl/cpu")]
    assert cpu and cpu[0] < pip.index(f"torch=={torch_pin()}")


def test_the_tests_run_on_the_torch_the_makefile_pins():
    import torch

    assert torch.__version__.split("+")[0] == torch_pin(), "rebuild the environment: make install"


def test_every_make_target_the_readme_names_exists():
    readme = (ROOT / "README.md").read_text()
    targets = sorted(set(re.findall(r"`make (\w+)`", readme)) | {"lab", "test"})
    assert {"lab", "test", "course", "book"} <= set(targets)
    for target in targets:
        done = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"README names make {target}, which the Makefile lacks: {done.stderr}"


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        assert nb.stem in readme, f"README's notebook map lacks {nb.stem}"


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_makefile_spin_matches_the_package():
    import jepa_lab

    make = (ROOT / "Makefile").read_text()
    assert f"export GOMP_SPINCOUNT ?= {jepa_lab.SPIN_COUNT}" in make
