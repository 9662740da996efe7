from jepa_lab import bench


def test_bench_masks_runs_and_reports(capsys):
    r = bench.bench_masks(n=32, repeats=1)
    assert r["batched_s"] > 0 and r["one_at_a_time_s"] > 0
    assert bench.main(["masks", "-n", "16"]) == 0
    out = capsys.readouterr().out
    assert "threads 1" in out and "ratio reference / ours" in out
