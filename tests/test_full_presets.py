"""Every trainable ``full`` preset, built and trained for two real steps on CPU.

``full`` has not run on a GPU yet (it is opt-in, ``config.modes``): these tests keep its models and
configs honest until it has. Each builds the model of the ``full`` preset as it is (widths, depths,
image sizes, masks) and only shrinks what sets the run's length: training data, batch, steps, probe and
monitor sizes. A shape or config error in a ``full`` preset fails here, in CI, not on a class's GPU.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from jepa_lab import config, dynamics, physics, runtime, tasks, train

# what sets a run's length (shrunk), never what sets the model's shape
SMALL = {"n_train": 16, "batch_size": 4, "steps": 2, "warmup_steps": 1, "probe_train": 16, "probe_test": 8,
         "monitor_images": 16, "monitor_every": 1, "pairs": 2, "eval_seeds": 1, "n_test": 8,
         "field_trajectories": 2, "field_steps": 2, "frame_trajectories": 2, "frame_length": 4, "rollout_steps": 5}


def small(preset: config.Preset) -> config.Preset:
    """``preset`` with the length-setting fields it has replaced by ``SMALL``'s."""
    names = {f.name for f in dataclasses.fields(preset)}
    return preset.replace(**{k: v for k, v in SMALL.items() if k in names})


def full(key: str) -> config.Preset:
    return small(config.for_notebook(key, mode="full"))


def two_steps(model: torch.nn.Module, batch_fn, cfg: train.TrainConfig) -> dict:
    """Two real training steps of the engine; the losses must be finite."""
    assert cfg.steps == 2
    runtime.seed_everything(0)
    history = train.fit(model, batch_fn, cfg, device="cpu")
    assert len(history["loss"]) == 2 and all(math.isfinite(v) for v in history["loss"]), history["loss"]
    return history


BUILT = sorted(name for name, task in tasks.TASKS.items() if task.build is not None)
# the preset changes each notebook trains on top of its full preset (its variants and ablations)
VARIANTS = {"ijepa": {"nopred": {"pred_weight": 0.0}},
            "vjepa": {"perframe": {"mask": "per_frame"}, "rope": {"pos": "rope"},
                      "rope_sincos": {"pos": "rope_sincos"}}}


@pytest.mark.parametrize("name", BUILT)
def test_every_built_task_trains_two_steps_from_its_full_preset(name):
    """04 I-JEPA, 05 V-JEPA, 07 dynamics, 08 pendulum V-JEPA, and any task added to the table with a builder."""
    task = tasks.get(name)
    preset = full(task.notebook)
    for changes in [{}, *VARIANTS.get(name, {}).values()]:
        variant = preset.replace(**changes)
        model, batch_fn, cfg = task.build(variant)
        two_steps(model, batch_fn, cfg)


def test_notebook_05_longer_clips_from_the_full_preset():
    """Section 5: both position codes, trained on the preset's clips, run on clips twice as long."""
    preset = full("05")
    for pos in ("sincos", "rope", "rope_sincos"):
        model, batch_fn, cfg = tasks.vjepa.build(preset.replace(pos=pos))
        two_steps(model, batch_fn, cfg)
        out = tasks.vjepa.longer_clips_report(model, preset, tasks.vjepa.clip_lengths(preset), n=(24, 16), draws=1)
        assert sorted(out) == [preset.frames, 2 * preset.frames, 4 * preset.frames], pos
        assert all(math.isfinite(r["error"]) and 0 <= r["direction"] <= 1 for r in out.values()), pos


def test_full_presets_are_not_the_cpu_ones():
    """The smoke tests above would prove nothing about ``full`` if its models were ``cpu``'s."""
    for name in BUILT:
        key = tasks.get(name).notebook
        cpu, fullp = config.for_notebook(key, mode="cpu"), config.for_notebook(key, mode="full")
        assert cpu.replace(mode="full") != fullp, name


@pytest.mark.parametrize("variant", list(tasks.collapse.VARIANTS))
def test_notebook_06_variants_train_with_the_monitor_from_the_full_preset(variant):
    preset = full("06")
    out = tasks.collapse.run(preset, variant, probe=False)
    assert len(out["history"]["loss"]) == 2 and all(math.isfinite(v) for v in out["history"]["loss"])
    assert {"feature_std", "effective_rank"} <= set(out["final"])
    assert len(out["spectrum"]) == min(preset.monitor_images, preset.embed_dim)


def test_notebook_06_sweep_weights_of_the_full_preset_build():
    preset = full("06")
    for w in preset.sweep:
        for variant in tasks.collapse.SWEEP_TARGETS.values():
            model, batch_fn, cfg = tasks.ijepa.build(
                preset, **tasks.collapse.options(preset, variant, var_weight=w, cov_weight=w / 25))
            model(*batch_fn(0, torch.Generator().manual_seed(0)))  # one forward: the weights are accepted


@pytest.mark.parametrize("variant", list(dynamics.VARIANTS))
def test_notebook_07_variants_train_two_steps_from_the_full_preset(variant):
    preset = dynamics.variant_preset(full("07"), variant)
    two_steps(*tasks.dynamics.build(preset))


def test_notebook_08_vector_fields_fit_and_roll_out_from_the_full_preset():
    preset = full("08")
    states, derivatives = tasks.physics_fields.field_data(preset)
    starts = tasks.physics_fields.held_out_starts(preset, n=2)
    for name in physics.MODELS:
        model, losses = tasks.physics_fields.fit_named(name, preset, states, derivatives)
        assert losses and all(math.isfinite(v) for v in losses), name
        traj = physics.rollout(model, starts, preset.rollout_steps, preset.rollout_dt, preset.rollout_substeps)
        assert traj.shape[:2] == (2, preset.rollout_steps + 1) and torch.isfinite(traj).all(), name


def test_notebook_08_fields_on_states_read_from_frames_of_the_full_preset():
    preset = full("08")
    model = tasks.pendulum.build(preset)[0]  # an untrained full-preset V-JEPA reads the frames
    x, dx, read, true = tasks.physics_fields.probed_field_data(preset, model)
    assert read.shape == true.shape == (preset.frame_trajectories, preset.frame_length, 2)
    assert x.shape == dx.shape and x.shape[-1] == 2
    for name in physics.MODELS:
        _, losses = tasks.physics_fields.fit_named(name, preset, x, dx)
        assert all(math.isfinite(v) for v in losses), name
