"""The install story: environment.yml, Makefile and README agree with each other."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_environment_yml_pins_python_and_torch():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "torch==2.13.0" in pip and "-e .[dev]" in pip
    # a CPU machine must not pull the multi-GB CUDA build: the CPU index comes before the torch line
    cpu = [i for i, d in enumerate(pip) if d.startswith("--extra-index-url") and d.rstrip("/").endswith("/whl/cpu")]
    assert cpu and cpu[0] < pip.index("torch==2.13.0")


def test_makefile_pins_the_same_torch():
    make = (ROOT / "Makefile").read_text()
    assert "TORCH  := torch==2.13.0" in make
    for target in ("lab:", "test:", "course:"):
        assert target in make


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
