import pytest
import torch

from jepa_lab import runtime


def test_seed_everything_reproducible():
    g = runtime.seed_everything(3)
    a = (torch.rand(4, generator=g), torch.rand(4))
    g = runtime.seed_everything(3)
    b = (torch.rand(4, generator=g), torch.rand(4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_seed_must_be_non_negative_int():
    with pytest.raises(ValueError):
        runtime.seed_everything(-1)


def test_get_device_cpu_and_unavailable():
    assert runtime.get_device("cpu").type == "cpu"
    assert runtime.get_device().type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="not available"):
            runtime.get_device("cuda")


def test_autocast_is_noop_on_cpu():
    with runtime.autocast("cpu"):
        y = torch.ones(2, 2) @ torch.ones(2, 2)
    assert y.dtype == torch.float32


def test_count_params():
    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    assert runtime.count_params(m) == 3 * 4 + 4 + 4 * 2 + 2
    m[0].requires_grad_(False)
    assert runtime.count_params(m, trainable_only=True) == 4 * 2 + 2


def test_timer_and_time_call():
    with runtime.Timer() as t:
        sum(range(1000))
    assert t.seconds >= 0
    assert runtime.time_call(lambda: None, repeats=2) >= 0


def test_num_threads_restores():
    before = torch.get_num_threads()
    with runtime.num_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_describe_mentions_everything():
    line = runtime.describe("fast", 0, "cpu")
    for word in ("mode=fast", "seed=0", "device=cpu", "torch="):
        assert word in line


# ----------------------------------------------------------------------------- the busy-machine thread policy

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
    assert runtime.thread_setting() == "auto"
    monkeypatch.setenv("JEPA_LAB_THREADS", " OFF ")
    assert runtime.thread_setting() == "off"
    monkeypatch.setenv("JEPA_LAB_THREADS", "3")
    assert runtime.thread_setting() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("JEPA_LAB_THREADS", bad)
        with pytest.raises(ValueError, match="JEPA_LAB_THREADS"):
            runtime.thread_setting()


def test_pinned_threads_are_applied_and_governor_stands_down(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("JEPA_LAB_THREADS", "1")
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        assert "pinned" in runtime.apply_thread_policy() and torch.get_num_threads() == 1
        assert runtime.thread_governor() is None
        monkeypatch.setenv("JEPA_LAB_THREADS", "auto")
        monkeypatch.setenv("OMP_NUM_THREADS", "2")  # the user's own setting wins over auto
        assert runtime.thread_governor() is None and "OMP_NUM_THREADS=2 (yours)" in runtime.apply_thread_policy()
    finally:
        torch.set_num_threads(before)


def test_governor_takes_the_free_cores_never_fewer_than_one():
    gov = runtime.ThreadGovernor(max_threads=2)
    assert [gov.choose(others) for others in (0.0, 0.3, 0.7, 1.0, 3.5)] == [2, 2, 1, 1, 1]  # half a core rounds away
    assert runtime.ThreadGovernor(max_threads=8).choose(2.0) == 6


def test_governor_sees_a_busy_neighbour_and_backs_off():
    import subprocess
    import sys
    import time

    from jepa_lab.bench import busy

    before = torch.get_num_threads()
    gov = runtime.ThreadGovernor(max_threads=2, interval=0.0)
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
        with runtime.training_threads() as governor:
            assert governor is None and torch.get_num_threads() == 2  # the pin holds on the command line too
        assert torch.get_num_threads() == 1  # what it found, restored
        monkeypatch.setenv("JEPA_LAB_THREADS", "auto")
        torch.set_num_threads(3)  # a count set in code that neither torch nor the policy chose
        with runtime.training_threads() as governor:
            assert governor is None and torch.get_num_threads() == 3
        monkeypatch.setenv("JEPA_LAB_THREADS", "off")
        with runtime.training_threads() as governor:
            assert governor is None
    finally:
        torch.set_num_threads(before)


def test_governor_stands_down_when_someone_else_changes_the_count():
    before = torch.get_num_threads()
    try:
        gov = runtime.ThreadGovernor(max_threads=2, interval=0.0)
        torch.set_num_threads(1 if before != 1 else 2)
        changed = torch.get_num_threads()
        assert gov.tick() == changed and not gov.active
        assert gov.tick() == changed
    finally:
        torch.set_num_threads(before)


def test_shared_busy_seconds_reads_a_container_or_the_cores(tmp_path):
    (tmp_path / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
    assert runtime._cgroup_usage_seconds(str(tmp_path)) == 2.5
    assert runtime._cgroup_usage_seconds(str(tmp_path / "nowhere")) is None
    busy = runtime.shared_busy_seconds()
    assert busy is None or busy >= 0


def test_count_flops_sees_matmuls_and_attention():
    a, b = torch.randn(8, 16), torch.randn(16, 4)
    assert runtime.count_flops(lambda: a @ b) == 2 * 8 * 16 * 4
    q = torch.randn(1, 2, 32, 8)  # [B, heads, N, d]: QK^T and AV, 2 * N * N * d each per head
    flops = runtime.count_flops(lambda: torch.nn.functional.scaled_dot_product_attention(q, q, q))
    assert flops == 2 * (2 * 32 * 32 * 8) * 2


def test_a_container_cpu_quota_limits_the_usable_cores(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # cgroup v2: 1.5 cores
    assert runtime.cgroup_cpu_limit(str(tmp_path)) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert runtime.cgroup_cpu_limit(str(tmp_path)) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("400000\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert runtime.cgroup_cpu_limit(str(v1)) == 4.0
    assert runtime.cgroup_cpu_limit(str(tmp_path / "nowhere")) is None
    assert 1 <= runtime.usable_cores() <= (__import__("os").cpu_count() or 1)
