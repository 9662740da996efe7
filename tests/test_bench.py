import pytest

from jepa_lab import bench


def test_bench_masks_runs_and_reports(capsys):
    r = bench.bench_masks(n=32, repeats=1)
    assert r["batched_s"] > 0 and r["one_at_a_time_s"] > 0
    assert bench.main(["masks", "-n", "16"]) == 0
    out = capsys.readouterr().out
    assert "threads 1" in out and "ratio reference / ours" in out


def test_reference_stack_computes_what_our_blocks_compute():
    import torch
    from torch import nn

    from jepa_lab import vit

    torch.manual_seed(0)
    ours = nn.ModuleList(vit.Block(32, 4) for _ in range(3))
    ours.apply(vit.init_weights)
    ref = bench.reference_stack(ours, 4).eval()
    x = torch.randn(2, 10, 32)
    with torch.no_grad():
        assert torch.allclose(nn.Sequential(*ours)(x), ref(x), atol=1e-5)


def test_bench_encoder_rows():
    rows = bench.bench_encoder(tokens=(16,), size="nano", batch=2, repeats=1)
    assert rows[0]["tokens"] == 16 and rows[0]["jepa_lab"] > 0 and rows[0]["nn.TransformerEncoderLayer"] > 0


def test_flop_count_and_peak():
    # one block, N=1, D=1, mlp 4: 2*(4+8) + 4 = 28 forward FLOPs, x3 with backward
    assert bench.block_flops(1, 1, 1) == 84
    assert bench.matmul_peak(size=64) > 0


def test_bench_ijepa_fast():
    r = bench.bench_ijepa("fast", repeats=1)
    assert r["ijepa_s"] > 0 and r["encoder_s"] > 0 and 0 < r["context_tokens"] < r["tokens"]


def test_bench_vjepa_fast(capsys):
    r = bench.bench_vjepa("fast", repeats=1)
    assert r["vjepa_s"] > 0 and r["frame_s"] > 0
    assert r["tokens"] == r["frame_tokens"] * r["frames"] // r["tubelet"]
    assert bench.main(["vjepa", "--mode", "fast"]) == 0
    assert "ratio clip step / frame step" in capsys.readouterr().out


def test_bench_ijepa_cli_reports_its_settings(capsys):
    # --bf16 is a no-op off CUDA (runtime.autocast), but the run must say what it was asked for
    assert bench.main(["ijepa", "--mode", "fast", "--bf16", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "device cpu, bf16 True, compile False" in out and "ratio I-JEPA step time / encoder time" in out


def test_busy_policies_have_their_environment():
    from jepa_lab.bench import busy

    env = busy.policy_env("one thread")
    assert env["JEPA_LAB_THREADS"] == "1" and "OMP_NUM_THREADS" not in env
    assert busy.policy_env("OMP_WAIT_POLICY=PASSIVE")["OMP_WAIT_POLICY"] == "PASSIVE"
    with pytest.raises(ValueError, match="unknown policy"):
        busy.policy_env("turbo")


@pytest.mark.slow
def test_busy_bench_runs_every_scenario_and_reports_ratios(capsys):
    # two policies, two training steps: checks the machinery (processes, spinner, crowd), not the speed
    from jepa_lab.bench import busy

    assert bench.main(["busy", "--mode", "fast", "--steps", "2", "--repeats", "1", "--kernels", "2",
                       "--policy", "one thread", "--policy", "jepa_lab (auto)"]) == 0
    out = capsys.readouterr().out
    assert "busy/idle" in out and "2 at once/idle" in out and "one thread" in out
    assert busy.report({"a": {"idle": 2.0, "busy": float("inf"), "crowd": 5.0}}, 2, reference="a").count("x") >= 2


def test_bench_mae_times_both_steps_on_one_batch(capsys):
    r = bench.bench_mae("fast", repeats=1)
    assert r["ijepa_s"] > 0 and r["mae_s"] > 0 and r["ratio"] == r["mae_s"] / r["ijepa_s"]
    assert 0 < r["context_tokens"] < r["tokens"] and r["targets"] >= 1
    assert bench.main(["mae", "--mode", "fast", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "ms/step" in out and "ratio MAE step time / I-JEPA step time" in out
