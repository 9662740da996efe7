"""Notebook 09's world models of two rooms as a task: the JEPA world model and its ablations (one file
each, ``data/checkpoints/planning_rooms_<mode>[_<variant>].pt``), trained by ``python -m jepa_lab.train
planning``; ``--ship`` records the planning success of the shipped model in its card.

The model, the planner and the evaluation are ``jepa_lab.planning``.

Introduced in notebook 09.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from torch import nn

from jepa_lab import artifacts, config, train
from jepa_lab.planning import evaluate
from jepa_lab.tasks.base import Task

# file tag -> what it changes in the preset (the ablations of notebook 09)
VARIANTS: dict[str | None, dict] = {
    None: {},
    "collapsed": {"var_weight": 0.0, "cov_weight": 0.0},
    "frozen": {"freeze_encoder": True},
    "tf_only": {"rollout_weight": 0.0},
    "rollout_only": {"tf_weight": 0.0},
    "pixel": {"model": "pixel"},
}


def variant_preset(preset: config.PlanningPreset, variant: str | None) -> config.PlanningPreset:
    """``preset`` with ``VARIANTS[variant]`` applied; ``ValueError`` naming the variants otherwise."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(map(str, VARIANTS))}")
    return preset.replace(**VARIANTS[variant])


def variant_of(preset: config.PlanningPreset) -> str | None:
    """The variant whose changes ``preset`` carries (the default design: ``None``)."""
    for name, changes in reversed(VARIANTS.items()):
        if name is not None and all(getattr(preset, k) == v for k, v in changes.items()):
            return name
    return None


def build(preset: config.PlanningPreset):
    """Model, batch function and ``TrainConfig`` for ``train.fit`` (the course engine)."""
    model = evaluate.build_model(preset)
    batch_fn = evaluate.batches(preset, evaluate.data(preset))
    cfg = train.TrainConfig(steps=preset.steps, lr=preset.lr, warmup_steps=min(preset.warmup_steps, preset.steps),
                            momentum=(preset.ema_start, 1.0), seed=preset.seed, weight_decay=(0.0, 0.0))
    return model, batch_fn, cfg


def load(path: Path, preset: config.PlanningPreset, variant: str | None = None) -> tuple[nn.Module, dict]:
    """A checkpoint made with exactly this variant of ``preset``."""
    vp = variant_preset(preset, variant)
    model = evaluate.build_model(vp)
    card = train.load_checkpoint(path, model, expect={"preset": vp.as_dict()})
    return model.eval(), card


def fit(preset: config.PlanningPreset, variant: str | None = None, progress: bool = False) -> tuple[nn.Module, dict]:
    """Train a variant here with the engine; the card of the run."""
    vp = variant_preset(preset, variant)
    model, batch_fn, cfg = build(vp)
    t0 = time.perf_counter()
    history = train.fit(model, batch_fn, cfg, progress=progress)
    return model.eval(), {"history": history, "preset": vp.as_dict(), "step": cfg.steps,
                          "wall_seconds": time.perf_counter() - t0}


@torch.no_grad()
def planning_report(model: nn.Module, preset: config.PlanningPreset) -> dict:
    """Success of the CEM planner with ``model`` on the held-out pairs of every evaluation seed (an ablation:
    the first seed's), the seconds per MPC step, and (for embedding models) the position probe's R²."""
    model.eval()
    seeds = evaluate.eval_seeds(preset)
    seeds = seeds if variant_of(preset) is None else seeds[:1]
    if preset.model == "pixel":  # ten times slower: a quarter as many pairs of the same seeds (still half across)
        preset = preset.replace(pairs=max(preset.pairs // 4, 1))
    runs = [evaluate.success(evaluate.planner_for(model, preset, seed=s), preset, s) for s in seeds]
    out = {"seeds": seeds, "runs": runs, "success": sum(r["success"] for r in runs) / len(runs),
           "seconds_per_step": evaluate.timing(model, preset), "pairs": preset.pairs}
    if preset.model == "latent":
        out["probe_r2"] = evaluate.probe_r2(model, preset)
    return out


def results(model: nn.Module, card: dict, preset: config.PlanningPreset) -> dict:
    """``planning_report`` of ``model``: the one its card records (``--ship`` measured it on exactly this preset),
    else measured here."""
    if "probe" in card and card.get("preset") == preset.as_dict():
        return card["probe"]
    return planning_report(model, preset)


def report(model: nn.Module, preset: config.PlanningPreset) -> tuple[dict, str]:
    """The command line's ``--probe``/``--ship``: ``planning_report`` and its printout."""
    r = planning_report(model, preset)
    lines = [f"seed {s}: success {x['success']:.3f} (different rooms {x['cross']:.3f}, same room {x['same']:.3f})"
             for s, x in zip(r["seeds"], r["runs"], strict=True)]
    lines.append(f"mean success {r['success']:.3f}; {1000 * r['seconds_per_step']:.1f} ms per MPC step "
                 f"({torch.get_num_threads()} thread)")
    if "probe_r2" in r:
        lines.append(f"position probe R² {r['probe_r2']:.3f}")
    return r, "\n".join(lines)


TASK = Task(name="planning", notebook="09", folder=artifacts.CHECKPOINTS, stem="planning_rooms", load=load, fit=fit,
            build=build, report=report, dataset="two_rooms")
