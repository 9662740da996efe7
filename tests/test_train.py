import math

import pytest
import torch

from jepa_lab import jepa, masks, train, vit
from jepa_lab.datasets import make_shapes

IMAGES = make_shapes(64, 32, seed=0)[0]


def _model():
    torch.manual_seed(0)
    enc = vit.Encoder(image_size=32, patch_size=8, embed_dim=32, depth=1, num_heads=4)
    return jepa.JEPA(encoder=enc, predictor_dim=16, predictor_depth=1, predictor_heads=2)


def batch_fn(step, g):
    idx = torch.randint(len(IMAGES), (16,), generator=g)
    mb = masks.sample_batch("multiblock", (4, 4), 16, g, num_targets=2, min_context=2)
    return IMAGES[idx], mb.ctx_idx, mb.tgt_idx


def test_schedules():
    cfg = train.TrainConfig(steps=100, lr=1.0, min_lr=0.0, warmup_steps=10)
    assert train.learning_rate(0, cfg) == pytest.approx(0.1)
    assert train.learning_rate(9, cfg) == pytest.approx(1.0)
    assert train.learning_rate(10, cfg) == pytest.approx(1.0)
    assert train.learning_rate(100, cfg) == pytest.approx(0.0, abs=1e-12)
    assert train.cosine(50, 100, 0.996, 1.0) == pytest.approx(0.998)
    with pytest.raises(ValueError, match="warmup_steps"):
        train.TrainConfig(steps=5, warmup_steps=6)


def test_fit_reduces_loss_and_logs():
    hist = train.fit(_model(), batch_fn, train.TrainConfig(steps=40, lr=2e-3, log_every=5))
    assert hist["step"][0] == 0 and hist["step"][-1] == 39
    assert hist["loss"][-1] < hist["loss"][0]
    assert hist["momentum"][0] == pytest.approx(0.996) and hist["momentum"][-1] > 0.999


def test_resume_continues_exactly(tmp_path):
    cfg = train.TrainConfig(steps=6, lr=1e-3, log_every=1)
    straight = _model()
    train.fit(straight, batch_fn, cfg)
    ckpt = tmp_path / "run.pt"
    train.fit(_model(), batch_fn, cfg, checkpoint=ckpt, until=3)
    assert torch.load(ckpt, weights_only=True)["step"] == 3
    resumed = _model()
    hist = train.fit(resumed, batch_fn, cfg, checkpoint=ckpt, resume=True)
    assert hist["step"] == list(range(6))
    for a, b in zip(straight.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(a, b)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json", "run.pt"]  # no temp files left


def test_nan_stops_with_the_step():
    def nan_at_4(step, g):
        x, c, t = batch_fn(step, g)
        return (x * math.nan if step == 4 else x), c, t

    with pytest.raises(train.TrainingDiverged, match="at step 4"):
        train.fit(_model(), nan_at_4, train.TrainConfig(steps=10))


def test_checkpoint_of_another_model_is_refused(tmp_path):
    model = _model()
    train.save_checkpoint(tmp_path / "m.pt", model, None, 1, {"model": "JEPA", "preset": "a"})
    card = train.load_checkpoint(tmp_path / "m.pt", _model(), expect={"preset": "a"})
    assert card["step"] == 1 and (tmp_path / "m.json").is_file()
    with pytest.raises(ValueError, match="preset='a'"):
        train.load_checkpoint(tmp_path / "m.pt", _model(), expect={"preset": "b"})
    other = vit.Encoder(image_size=32, patch_size=8, embed_dim=64, depth=1, num_heads=4)
    with pytest.raises(ValueError, match="does not fit"):
        train.load_checkpoint(tmp_path / "m.pt", jepa.JEPA(encoder=other))
    with pytest.raises(ValueError, match="no checkpoint"):
        train.load_checkpoint(tmp_path / "none.pt", model)


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError):
        train.save_checkpoint(tmp_path / "x.pt", _model(), None, 1, {})
    assert list(tmp_path.iterdir()) == []


def _ddp_worker(rank, world, store_path, out_dir):
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{store_path}", rank=rank, world_size=world)
    try:
        model = _model()
        train.fit(model, batch_fn, train.TrainConfig(steps=3, lr=1e-3))
        torch.save(model.state_dict(), f"{out_dir}/rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_ddp_two_cpu_processes_end_identical(tmp_path):
    import torch.multiprocessing as mp

    mp.spawn(_ddp_worker, args=(2, str(tmp_path / "store"), str(tmp_path)), nprocs=2, join=True)
    a = torch.load(tmp_path / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    untrained = _model().state_dict()
    key = "context_encoder.blocks.0.attn.qkv.weight"
    assert not torch.equal(a[key], untrained[key])


def test_batch_smaller_than_world_is_refused():
    with pytest.raises(ValueError, match="cannot be split over 4 processes"):
        train._shard(torch.zeros(3, 2), 0, 4, torch.device("cpu"))


def test_command_line_and_fit_or_load(tmp_path, capsys):
    from jepa_lab import config

    out = tmp_path / "ijepa_shapes_fast.pt"
    assert train.main(["ijepa", "--mode", "fast", "--steps", "3", "--out", str(out)]) == 0
    card = __import__("json").loads(out.with_suffix(".json").read_text())
    assert card["command"] == f"python -m jepa_lab.train ijepa --mode fast --steps 3 --out {out}"
    assert card["preset"]["steps"] == 3 and card["dataset"] == "shapes" and len(card["commit"]) >= 7
    preset = config.for_notebook("04", mode="fast", steps=3)
    model, loaded = train.fit_or_load("ijepa_shapes_fast", preset, directory=tmp_path, progress=False)
    assert loaded["step"] == 3 and "history" in loaded
    # a checkpoint of another preset is not used silently: it trains instead, and says why
    other = preset.replace(steps=2)
    _, fresh = train.fit_or_load("ijepa_shapes_fast", other, directory=tmp_path, progress=False)
    assert "not using ijepa_shapes_fast.pt" in capsys.readouterr().out
    assert fresh["step"] == 2 and fresh["history"]["step"][-1] == 1
    with pytest.raises(ValueError, match="unknown task"):
        train.fit_or_load("mae_x", preset)


def test_command_line_overrides_and_probe(tmp_path, capsys):
    out = tmp_path / "o.pt"
    argv = ["ijepa", "--mode", "fast", "--steps", "2", "--set", "lr=0.002", "--set", "colour=white",
            "--out", str(out), "--probe"]
    assert train.main(argv) == 0
    card = __import__("json").loads(out.with_suffix(".json").read_text())
    assert card["preset"]["lr"] == 0.002 and card["preset"]["colour"] == "white"
    assert card["command"].endswith(f"--steps 2 --set lr=0.002 --set colour=white --out {out} --probe")
    printed = capsys.readouterr().out
    for row in ("context encoder", "target encoder", "random init", "raw pixels"):
        assert f"{row}: " in printed and 0 <= card["probe"][row]["probe"] <= 1
    assert "optimizer" in torch.load(out, weights_only=True)
    size = out.stat().st_size
    train.update_card(out, {"note": "shipped"}, drop_optimizer=True)  # what --ship does after --probe
    state = torch.load(out, weights_only=True)
    assert "optimizer" not in state and out.stat().st_size < size / 2
    assert __import__("json").loads(out.with_suffix(".json").read_text())["note"] == "shipped"
    assert "probe" in __import__("json").loads(state["card"])
    with pytest.raises(ValueError, match="valid keys: mode, seed"):
        train.main(["ijepa", "--mode", "fast", "--set", "learning_rate=1"])
    with pytest.raises(ValueError, match="not a valid int"):
        train.main(["ijepa", "--mode", "fast", "--set", "steps=many"])
    with pytest.raises(ValueError, match="KEY=VALUE"):
        train.main(["ijepa", "--mode", "fast", "--set", "lr"])


def test_monitor_logs_collapse_metrics(tmp_path):
    from jepa_lab import evaluate

    cfg = train.TrainConfig(steps=5, seed=0)
    monitor = evaluate.collapse_monitor(IMAGES[:16])
    history = train.fit(_model(), batch_fn, cfg, monitor=monitor, monitor_every=2, checkpoint=tmp_path / "m.pt")
    assert [m["step"] for m in history["monitor"]] == [0, 2, 4, 5]
    assert {"feature_std", "effective_rank", "mean_cosine"} <= set(history["monitor"][0])
    assert history["monitor"][0]["feature_std"] != history["monitor"][-1]["feature_std"]
    card = __import__("json").loads((tmp_path / "m.json").read_text())
    assert card["history"]["monitor"] == history["monitor"]
    with pytest.raises(ValueError, match="at least two"):
        evaluate.collapse_monitor(IMAGES[:1])


def test_compile_flag_compiles_the_forward_and_keeps_plain_names(monkeypatch, tmp_path):
    seen = []

    def fake_compile(module):
        seen.append(module)
        return module

    monkeypatch.setattr(torch, "compile", fake_compile)
    model = _model()
    train.fit(model, batch_fn, train.TrainConfig(steps=1, compile=True), checkpoint=tmp_path / "c.pt")
    assert seen == [model]
    state = torch.load(tmp_path / "c.pt", weights_only=True)["model"]
    assert not any(k.startswith("_orig_mod") for k in state)


def test_vjepa_task_and_command_line(tmp_path, capsys):
    from jepa_lab import config

    preset = config.for_notebook("05", mode="fast").replace(n_train=64, batch_size=8, steps=2, probe_train=40,
                                                          probe_test=30)
    model, batch_fn, cfg = train.vjepa_task(preset)
    clips, ctx, tgt = batch_fn(0, torch.Generator().manual_seed(0))
    assert clips.shape == (8, 3, 8, 32, 32) and model.context_encoder.grid == (4, 4, 4)
    per_frame = preset.replace(mask="per_frame")
    _, pf_fn, _ = train.vjepa_task(per_frame)
    _, pctx, _ = pf_fn(0, torch.Generator().manual_seed(0))
    spatial = [set((pctx[0][(pctx[0] // 16) == f] % 16).tolist()) for f in range(4)]
    assert len({frozenset(s) for s in spatial}) > 1  # per-frame masks differ between time steps
    tube = [set((ctx[0][(ctx[0] // 16) == f] % 16).tolist()) for f in range(4)]
    assert all(s == tube[0] for s in tube)  # a tube is the same spatial mask in every time step
    with pytest.raises(ValueError, match="tube, per_frame"):
        train.vjepa_task(preset.replace(mask="random"))
    report = train.vjepa_probe_report(model, preset, frame_encoder=train.ijepa_task(
        config.for_notebook("04", mode="fast"))[0].context_encoder)
    assert set(report) == {"context encoder", "target encoder", "random init", "frame-wise image encoder"}
    assert all(set(r) == {"direction", "speed", "shape"} for r in report.values())
    out = tmp_path / "v.pt"
    assert train.main(["vjepa", "--mode", "fast", "--steps", "1", "--out", str(out)]) == 0
    assert __import__("json").loads(out.with_suffix(".json").read_text())["dataset"] == "moving_shapes"


def test_initial_encoder_is_the_task_encoder_before_training():
    from jepa_lab import config

    for key in ("04", "05"):
        preset = config.for_notebook(key, mode="fast")
        task_model = (train.ijepa_task if key == "04" else train.vjepa_task)(preset)[0]
        fresh = train.initial_encoder(preset)
        assert all(torch.equal(a, b) for a, b in zip(task_model.context_encoder.state_dict().values(),
                                                     fresh.state_dict().values(), strict=True))
        # and the whole model, for loading checkpoints without generating the training data
        built = train.jepa_model(preset)
        assert all(torch.equal(a, b) for a, b in zip(task_model.state_dict().values(), built.state_dict().values(),
                                                     strict=True))


def test_checkpoint_names_match_the_shipped_files_and_the_cli_default(tmp_path, monkeypatch):
    assert [train.checkpoint_name(t, "cpu") for t in ("ijepa", "vjepa", "pendulum")] == [
        "ijepa_shapes_cpu", "vjepa_moving_cpu", "pendulum_vjepa_cpu"]
    assert all((train.CHECKPOINTS / f"{train.checkpoint_name(t, 'cpu')}.pt").is_file() for t in train.TASKS)
    with pytest.raises(ValueError, match="unknown task"):
        train.checkpoint_name("mae", "cpu")
    monkeypatch.setattr(train, "CHECKPOINTS", tmp_path)  # the CLI writes its default name there
    assert train.main(["pendulum", "--mode", "fast", "--steps", "1"]) == 0
    assert (tmp_path / "pendulum_vjepa_fast.pt").is_file()
