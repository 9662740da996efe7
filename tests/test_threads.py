"""The busy-machine thread policy: OpenMP's spin set on import, the governor, pins and containers."""

import pytest
import torch

from jepa_lab import threads


def _python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter with a clean OpenMP environment plus ``env``; return its stdout."""
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items()
             if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "JEPA_LAB_THREADS")}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_sets_a_short_openmp_spin_before_torch_starts():
    code = "import jepa_lab, os; print(os.environ.get('GOMP_SPINCOUNT'), '|', jepa_lab.openmp_policy)"
    assert _python(code).startswith(f"{__import__('jepa_lab').SPIN_COUNT} | GOMP_SPINCOUNT=")


def test_a_wait_policy_the_user_set_wins():
    code = "import jepa_lab, os; print(os.environ.get('GOMP_SPINCOUNT'), '|', jepa_lab.openmp_policy)"
    assert _python(code, OMP_WAIT_POLICY="PASSIVE") == "None | OMP_WAIT_POLICY=PASSIVE (from the environment)"
    assert _python(code, JEPA_LAB_THREADS="off").startswith("None | OpenMP defaults")


def test_importing_torch_first_is_reported_not_hidden():
    out = _python("import torch, jepa_lab, os; print(os.environ.get('GOMP_SPINCOUNT'), '|', jepa_lab.openmp_policy)")
    assert out.startswith("None | ") and "too late" in out


def test_thread_setting_parses_and_rejects(monkeypatch):
    monkeypatch.delenv("JEPA_LAB_THREADS", raising=False)
    assert threads.thread_setting() == "auto"
    monkeypatch.setenv("JEPA_LAB_THREADS", " OFF ")
    assert threads.thread_setting() == "off"
    monkeypatch.setenv("JEPA_LAB_THREADS", "3")
    assert threads.thread_setting() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("JEPA_LAB_THREADS", bad)
        with pytest.raises(ValueError, match="JEPA_LAB_THREADS"):
            threads.thread_setting()


def test_pinned_threads_are_applied_and_governor_stands_down(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("JEPA_LAB_THREADS", "1")
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        assert "pinned" in threads.apply_thread_policy() and torch.get_num_threads() == 1
        assert threads.thread_governor() is None
        monkeypatch.setenv("JEPA_LAB_THREADS", "auto")
        monkeypatch.setenv("OMP_NUM_THREADS", "2")  # the user's own setting wins over auto
        assert threads.thread_governor() is None and "OMP_NUM_THREADS=2 (yours)" in threads.apply_thread_policy()
    finally:
        torch.set_num_threads(before)


def test_governor_takes_the_free_cores_never_fewer_than_one():
    gov = threads.ThreadGovernor(max_threads=2)
    assert [gov.choose(others) for others in (0.0, 0.3, 0.7, 1.0, 3.5)] == [2, 2, 1, 1, 1]  # half a core rounds away
    assert threads.ThreadGovernor(max_threads=8).choose(2.0) == 6


def test_governor_sees_a_busy_neighbour_and_backs_off():
    import subprocess
    import sys
    import time

    from jepa_lab.bench import busy

    before = torch.get_num_threads()
    gov = threads.ThreadGovernor(max_threads=2, interval=0.0)
    time.sleep(1.0)
    baseline = gov.others_busy()  # whatever else this machine is doing already
    spinner = subprocess.Popen([sys.executable, "-c", busy.SPINNER])
    try:
        time.sleep(0.3)
        gov.others_busy()  # start the reading window with the spinner running
        time.sleep(1.0)
        others = gov.others_busy()
    finally:
        spinner.kill()
        spinner.wait()
        torch.set_num_threads(before)
    if others is None:
        pytest.skip("this OS does not report CPU time per core")
    # a process spinning on one core adds about one busy core (less if the machine was already full)
    assert others - baseline >= min(0.6, 0.6 * (2 - baseline)), f"baseline {baseline:.2f}, with a spinner {others:.2f}"
    assert gov.choose(max(others, 1.0)) == 1


def test_training_threads_pins_restores_and_keeps_a_count_set_in_code(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("JEPA_LAB_THREADS", "2")
        torch.set_num_threads(1)
        with threads.training_threads() as governor:
            assert governor is None and torch.get_num_threads() == 2  # the pin holds on the command line too
        assert torch.get_num_threads() == 1  # what it found, restored
        monkeypatch.setenv("JEPA_LAB_THREADS", "auto")
        torch.set_num_threads(3)  # a count set in code that neither torch nor the policy chose
        with threads.training_threads() as governor:
            assert governor is None and torch.get_num_threads() == 3
        monkeypatch.setenv("JEPA_LAB_THREADS", "off")
        with threads.training_threads() as governor:
            assert governor is None
    finally:
        torch.set_num_threads(before)


def test_governor_stands_down_when_someone_else_changes_the_count():
    before = torch.get_num_threads()
    try:
        gov = threads.ThreadGovernor(max_threads=2, interval=0.0)
        torch.set_num_threads(1 if before != 1 else 2)
        changed = torch.get_num_threads()
        assert gov.tick() == changed and not gov.active
        assert gov.tick() == changed
    finally:
        torch.set_num_threads(before)


def test_shared_busy_seconds_reads_a_container_or_the_cores(tmp_path):
    (tmp_path / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
    assert threads._cgroup_usage_seconds(str(tmp_path)) == 2.5
    assert threads._cgroup_usage_seconds(str(tmp_path / "nowhere")) is None
    busy = threads.shared_busy_seconds()
    assert busy is None or busy >= 0


def test_a_container_cpu_quota_limits_the_usable_cores(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # cgroup v2: 1.5 cores
    assert threads.cgroup_cpu_limit(str(tmp_path)) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert threads.cgroup_cpu_limit(str(tmp_path)) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("400000\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert threads.cgroup_cpu_limit(str(v1)) == 4.0
    assert threads.cgroup_cpu_limit(str(tmp_path / "nowhere")) is None
    assert 1 <= threads.usable_cores() <= (__import__("os").cpu_count() or 1)


def test_the_command_line_applies_a_pin_and_records_it(monkeypatch, tmp_path, capsys):
    import json

    from jepa_lab.train.__main__ import main

    before = torch.get_num_threads()
    monkeypatch.setenv("JEPA_LAB_THREADS", "2")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    try:
        out = tmp_path / "pinned.pt"
        assert main(["ijepa", "--mode", "fast", "--steps", "1", "--out", str(out)]) == 0
    finally:
        torch.set_num_threads(before)
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["threads"] == 2 and "JEPA_LAB_THREADS=2" in card["thread_policy"]
    assert "threads: 2 (pinned" in capsys.readouterr().out


def test_the_policy_limits_numpy_and_scikit_learn_pools_too(monkeypatch):
    import numpy  # noqa: F401  (its BLAS is loaded)
    from threadpoolctl import threadpool_info

    before = torch.get_num_threads()
    monkeypatch.setenv("JEPA_LAB_THREADS", "1")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    try:
        threads.limit_threads(2)
        with threads.training_threads():
            assert torch.get_num_threads() == 1
            assert all(pool["num_threads"] == 1 for pool in threadpool_info())
        assert torch.get_num_threads() == 2
    finally:
        threads.limit_threads(before)
