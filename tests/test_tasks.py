"""The task table: every trainable thing's builder, file names, loading and fitting through ``fit_or_load``."""

import dataclasses
import json
import math

import pytest
import torch

from jepa_lab import artifacts, config, evaluate, masks, tasks
from jepa_lab.train.__main__ import TRAINABLE, main


def test_the_table_names_every_shipped_file_and_no_file_is_parsed_for_its_task():
    expected = {("ijepa", None): "checkpoints/ijepa_shapes_cpu.pt",
                ("ijepa", "nopred"): "checkpoints/ijepa_shapes_cpu_nopred.pt",
                ("vjepa", "perframe"): "checkpoints/vjepa_moving_cpu_perframe.pt",
                ("pendulum", None): "checkpoints/pendulum_vjepa_cpu.pt",
                ("dynamics", "no prior"): "dynamics/no_prior_cpu.pt",
                ("dynamics", None): "dynamics/residual_prior_the_design_cpu.pt",
                ("field", "LNN"): "physics/lnn_cpu.pt",
                ("field_probed", "HNN"): "physics/hnn_probed_cpu.pt",
                ("collapse", None): "collapse/collapse_cpu.json"}
    for (name, variant), rel in expected.items():
        path = tasks.get(name).path("cpu", variant)
        assert path == artifacts.DATA / rel and path.is_file(), (name, variant)
    shipped = {p for folder in artifacts.SHIPPED_FOLDERS for p in folder.iterdir() if p.suffix in (".pt", ".json")
               and not (p.suffix == ".json" and p.with_suffix(".pt").is_file())}
    variants = {"dynamics": list(tasks.dynamics.VARIANTS), "field": ["MLP", "HNN", "LNN"],
                "field_probed": ["MLP", "HNN", "LNN"],
                "latent_field": ["HNN", "MLP"],
                "ijepa": [tasks.ijepa.seed_run(config.for_notebook("04", mode="cpu"), seed, predict, long)[1]
                          for long, seeds in ((False, tasks.ijepa.SEEDS), (True, tasks.ijepa.LONG_SEEDS))
                          for seed in seeds for predict in (True, False)],
                "mae": [None, "equal_time"], "mae_raw": [None, "equal_time"],
                "vjepa": ["perframe", "rope"] + [tasks.vjepa.position_run(config.for_notebook("05", mode="cpu"),
                                                                          seed, pos)[1]
                                                 for seed in tasks.vjepa.LENGTH_SEEDS
                                                 for pos in ("sincos", "rope_sincos")]
                + [tasks.vjepa.pan_run(config.for_notebook("05", mode="cpu"), seed, mask)[1]
                   for seed in tasks.vjepa.PAN_SEEDS for mask in ("multiblock3d", "per_frame")] + ["pan_tube"],
                "pendulum": [None] + [tasks.pendulum.camera_run(config.for_notebook("08", mode="cpu"), seed)[1]
                                      for seed in config.for_notebook("08", mode="cpu").camera_seeds],
                "collapse": [None], "planning": list(tasks.planning.VARIANTS),
                "ajepa": [None], "biojepa": [None, "film"],
                **{name: [tasks.vljepa.seed_run(config.for_notebook("10-vl", mode="cpu"), seed)[1]
                          for seed in tasks.vljepa.SEEDS] for name in ("vljepa", "vl_decoder")}}
    named = {t.path("cpu", v) for t in tasks.TASKS.values() for v in variants.get(t.name, [None])}
    assert shipped <= named, shipped - named  # every shipped file is some task's artifact: no name is parsed
    missing = {tasks.get(t).path("cpu", v) for t, vs in variants.items() for v in vs} - shipped
    assert not missing  # and the files notebooks 04-10 load are there
    with pytest.raises(ValueError, match="unknown task 'nosuchtask'; choose one of ijepa"):
        tasks.get("nosuchtask")
    assert {"dynamics", "ijepa", "pendulum", "vjepa"} <= set(TRAINABLE) and "collapse" not in TRAINABLE


def test_builders_match_the_model_a_checkpoint_is_loaded_into():
    for key, task in (("04", tasks.ijepa), ("05", tasks.vjepa)):
        preset = config.for_notebook(key, mode="fast")
        task_model = task.build(preset)[0]
        fresh = tasks.ijepa.initial_encoder(preset)
        assert all(torch.equal(a, b) for a, b in zip(task_model.context_encoder.state_dict().values(),
                                                     fresh.state_dict().values(), strict=True))
        # and the whole model, for loading checkpoints without generating the training data
        built = tasks.ijepa.jepa_model(preset)
        assert all(torch.equal(a, b) for a, b in zip(task_model.state_dict().values(), built.state_dict().values(),
                                                     strict=True))


@pytest.mark.slow
def test_vjepa_masks_probe_report_and_command_line(tmp_path):
    preset = config.for_notebook("05", mode="fast").replace(n_train=64, batch_size=8, steps=2, probe_train=40,
                                                          probe_test=30)
    model, batch_fn, cfg = tasks.vjepa.build(preset)
    clips, ctx, tgt = batch_fn(0, torch.Generator().manual_seed(0))
    assert clips.shape == (8, 3, 8, 32, 32) and model.context_encoder.grid == (4, 4, 4)
    _, pf_fn, _ = tasks.vjepa.build(preset.replace(mask="per_frame"))
    _, pctx, _ = pf_fn(0, torch.Generator().manual_seed(0))
    spatial = [set((pctx[0][(pctx[0] // 16) == f] % 16).tolist()) for f in range(4)]
    assert len({frozenset(s) for s in spatial}) > 1  # per-frame masks differ between time steps
    tube = [set((ctx[0][(ctx[0] // 16) == f] % 16).tolist()) for f in range(4)]
    assert all(s == tube[0] for s in tube)  # a tube is the same spatial mask in every time step
    with pytest.raises(ValueError, match="tube, per_frame"):
        tasks.vjepa.build(preset.replace(mask="random"))
    _, mb_fn, _ = tasks.vjepa.build(preset.replace(mask="multiblock3d", background="contrast"))
    mclips, mctx, _ = mb_fn(0, torch.Generator().manual_seed(0))
    assert mclips.shape == clips.shape and mctx.shape[1] < ctx.shape[1]  # V-JEPA's blocks hide more than a 25 % tube
    image = tasks.ijepa.build(config.for_notebook("04", mode="fast"))[0]
    readers = tasks.vjepa.motion_readers(model, preset, clips, frame_encoder=image.context_encoder)
    d = image.context_encoder.embed_dim
    assert readers["V-JEPA, in time order"].shape == (8, 4, model.context_encoder.embed_dim)  # 4 tubelet steps
    assert readers["frame-wise encoder, in time order"].shape == (8, 8, d)
    assert readers["pixels 8x8, in time order"].shape == (8, 8 * 64)
    # backwards clips: pooled frame features do not change, the ordered ones do
    back = tasks.vjepa.motion_readers(model, preset, clips.flip(2), frame_encoder=image.context_encoder)
    assert torch.allclose(back["frame-wise encoder, pooled"], readers["frame-wise encoder, pooled"], atol=1e-5)
    assert not torch.allclose(back["frame-wise encoder, in time order"], readers["frame-wise encoder, in time order"])
    assert torch.equal(back["pixels 8x8, in time order"].view(8, 8, 64).flip(1),
                       readers["pixels 8x8, in time order"].view(8, 8, 64))
    other = tasks.ijepa.jepa_model(preset.replace(seed=1))
    pair = tasks.vjepa.encoders_protocol({"a": model, "b": other}, preset, labels=("direction",), draws=1)
    assert set(pair["direction"]) == {"a, in time order", "a, pooled", "b, in time order", "b, pooled"}
    motion = tasks.vjepa.motion_protocol(model, preset, labels=("direction",), draws=1)
    assert pair["direction"]["a, in time order"] == motion["direction"]["V-JEPA, in time order"]  # one protocol
    assert pair["direction"]["a, pooled"] == motion["direction"]["V-JEPA, pooled"]
    out = tmp_path / "v.pt"
    assert main(["vjepa", "--mode", "fast", "--steps", "1", "--out", str(out)]) == 0
    assert json.loads(out.with_suffix(".json").read_text())["dataset"] == "moving_shapes"


def test_panning_runs_are_named_and_probed_on_the_pan():
    cpu = config.for_notebook("05", mode="cpu")
    runs = {(seed, mask): tasks.vjepa.pan_run(cpu, seed, mask) for seed in (0, 2) for mask in tasks.vjepa.PAN_MASKS}
    assert {k: tag for k, (_, tag) in runs.items()} == {
        (0, "multiblock3d"): "pan", (0, "tube"): "pan_tube", (0, "per_frame"): "pan_perframe",
        (2, "multiblock3d"): "seed2_pan", (2, "tube"): "seed2_pan_tube", (2, "per_frame"): "seed2_pan_perframe"}
    run = runs[2, "per_frame"][0]
    assert (run.background, run.mask, run.seed, run.steps, run.warmup_steps) == ("pan", "per_frame", 2, 1500, 30)
    assert tasks.vjepa.pan_run(config.for_notebook("05", mode="fast"), 0)[0].steps == 40  # fast: a smoke run
    with pytest.raises(ValueError, match="mask must be one of multiblock3d, tube, per_frame"):
        tasks.vjepa.pan_run(cpu, 0, "random")
    assert tasks.vjepa.pan_seeds(cpu) == tasks.vjepa.PAN_SEEDS
    assert tasks.vjepa.pan_ablations(cpu) == ("per_frame", "tube")
    fast = config.for_notebook("05", mode="fast")  # nothing shipped: the own seed, per-frame masks trained live
    assert tasks.vjepa.pan_seeds(fast) == (0,) and tasks.vjepa.pan_ablations(fast) == ("per_frame",)
    with pytest.raises(FileNotFoundError, match="no shipped run vjepa_moving_fast_pan.pt for fast mode"):
        tasks.vjepa.pan_card_probe(fast, 0)
    with pytest.raises(ValueError, match="panning camera"):
        tasks.vjepa.pan_protocol({}, cpu)
    small = tasks.vjepa.pan_run(fast, 0)[0].replace(probe_train=40, probe_test=30)
    rows = tasks.vjepa.pan_protocol({"a": tasks.ijepa.jepa_model(small)}, small, draws=1)
    assert set(rows) == {"a, in time order", "a, pooled", "random init, in time order", "pixels 8x8, in time order",
                         "pixels 16x16, in time order"}
    assert set(tasks.vjepa.pan_card_probe(cpu, 1, "per_frame")) >= set(rows) - {"a, in time order", "a, pooled"}


def test_prediction_errors_are_the_prediction_alone_under_the_models_own_masks(monkeypatch):
    small = config.for_notebook("05", mode="fast").replace(background="pan", probe_train=40, probe_test=30)
    model = tasks.ijepa.jepa_model(small).eval()
    clips = tasks.vjepa.video_probe_data(small)[2][:16]
    pf = tasks.vjepa.prediction_errors(model, small.replace(mask="per_frame"), clips)
    mb = tasks.vjepa.prediction_errors(model, small.replace(mask="multiblock3d"), clips)
    assert pf["copyable"] > 0.2 and mb["copyable"] == 0  # V-JEPA's blocks span every time step: nothing to copy
    assert pf["average_target"] == evaluate.copy_baselines(model, clips)["position_mean"]
    assert tasks.vjepa.prediction_errors(model, small.replace(mask="per_frame"), n=16) == pf  # the held-out clips
    # several mask kinds at once: each the same as asking with that kind as the preset's own
    both = tasks.vjepa.prediction_errors(model, small, clips, kinds=("multiblock3d", "per_frame"))
    assert list(both) == ["multiblock3d", "per_frame"]
    for kind, want in (("multiblock3d", mb), ("per_frame", pf)):
        assert both[kind].keys() == want.keys()
        assert all(v == want[k] or (math.isnan(v) and math.isnan(want[k])) for k, v in both[kind].items())
    batch = masks.sample_video_batch("per_frame", model.context_encoder.grid, len(clips),
                                     torch.Generator().manual_seed(small.seed), small.keep_ratio)
    with torch.no_grad():
        loss = float(model(clips, batch.ctx_idx, batch.tgt_idx))
        model.var_weight = model.cov_weight = 0.0
        prediction = float(model(clips, batch.ctx_idx, batch.tgt_idx))
    assert prediction == pytest.approx(pf["error"], rel=1e-5)  # the training loss less its VICReg terms...
    assert loss > prediction + 1e-3  # ...which the card's loss adds
    monkeypatch.setattr(tasks.vjepa, "motion_protocol", lambda *a, **k: {})
    monkeypatch.setattr(tasks.ijepa, "shipped_image_encoder", lambda size: None)
    results, text = tasks.vjepa.report(model, small.replace(mask="per_frame"))
    assert results["prediction"] == tasks.vjepa.prediction_errors(model, small.replace(mask="per_frame"))
    assert "prediction error under its own masks: error" in text  # --probe records it in the card
    assert "error_copyable" not in tasks.vjepa.report(model, small.replace(mask="multiblock3d"))[0]["prediction"]


@pytest.mark.slow
def test_default_output_is_the_name_fit_or_load_reads(tmp_path, monkeypatch):
    pendulum = dataclasses.replace(tasks.TASKS["pendulum"], folder=tmp_path)
    monkeypatch.setitem(tasks.TASKS, "pendulum", pendulum)
    monkeypatch.chdir(tmp_path)  # --ship trains in runs/ first
    assert main(["pendulum", "--mode", "fast", "--steps", "1", "--ship"]) == 0
    assert (tmp_path / "pendulum_vjepa_fast.pt").is_file()
    preset = config.for_notebook("08", mode="fast", steps=1)
    _, card = artifacts.fit_or_load(pendulum, preset)
    assert card["command"].startswith("python -m jepa_lab.train pendulum --mode fast --steps 1")
    assert set(card["probe"]["context encoder"]) == {"cos", "sin", "omega"}


def test_an_unreadable_artifact_is_refitted_with_the_reason(tmp_path, capsys):
    preset = config.for_notebook("06", mode="fast")
    (tmp_path / "collapse_fast.json").write_text("{not json")
    calls = []
    task = dataclasses.replace(tasks.TASKS["collapse"], fit=lambda p, v: calls.append(p) or ({"fresh": 1}, {}))
    result, _ = artifacts.fit_or_load(task, preset, directory=tmp_path)
    assert result == {"fresh": 1} and calls == [preset]
    assert "not using collapse_fast.json" in capsys.readouterr().out
