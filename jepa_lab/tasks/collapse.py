"""Collapse on purpose: notebook 06's controlled ablations of I-JEPA, each a short run of the same engine.

Every variant is the notebook-06 preset's small I-JEPA with one thing changed (``VARIANTS``); ``run``
trains it with the collapse monitor logged every ``preset.monitor_every`` steps and ends with a
held-out linear probe, next to the same encoder at random init. ``sweep`` finds where VICReg's
weights tip into collapse. ``python -m jepa_lab.collapse --mode cpu --out FILE`` writes all of it to a
JSON file (shipped: ``data/collapse/collapse_<mode>.json``) that ``fit_or_load`` and the notebook's
collapse dial load instead of re-running.

Introduced in notebook 06.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from jepa_lab import artifacts, config, evaluate, runtime, train
from jepa_lab.datasets import make_shapes
from jepa_lab.tasks import ijepa
from jepa_lab.tasks.base import Task

_NO_VICREG = {"var_weight": 0.0, "cov_weight": 0.0}

# name -> (what changes, JEPA options); "wide predictor" gets the encoder's width at build time
VARIANTS: dict[str, tuple[str, dict]] = {
    "I-JEPA": ("EMA target, stop-gradient, narrow predictor", dict(_NO_VICREG)),
    "no stop-gradient": ("target = the online encoder, gradients through both branches",
                         {"target": "online", "stop_grad": False, **_NO_VICREG}),
    "momentum 0": ("target = the online encoder with stop-gradient (EMA momentum 0)",
                   {"target": "online", **_NO_VICREG}),
    "wide predictor": ("EMA target, predictor as wide as the encoder", {"predictor_dim": "encoder", **_NO_VICREG}),
    "VICReg, no EMA": ("momentum 0 + VICReg variance/covariance terms", {"target": "online"}),
    "SIGReg, no EMA": ("LeJEPA-style: online target with gradients + SIGReg", {"target": "online", "stop_grad": False,
                                                                           "sigreg_weight": "preset", **_NO_VICREG}),
    "C-JEPA": ("I-JEPA (EMA) + VICReg variance/covariance terms", {}),
}


def options(preset: config.CollapsePreset, variant: str, **changes) -> dict:
    """The ``jepa.JEPA`` options of ``variant`` under ``preset`` (plus ``changes``)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    opts = dict(VARIANTS[variant][1])
    if opts.get("predictor_dim") == "encoder":
        opts["predictor_dim"] = preset.embed_dim
    if opts.get("sigreg_weight") == "preset":
        opts["sigreg_weight"] = preset.sigreg_weight
    return {**opts, **changes}


def monitor_images(preset: config.CollapsePreset) -> torch.Tensor:
    """The fixed held-out batch the collapse monitor encodes (seed + 3: neither training nor probe data)."""
    return make_shapes(preset.monitor_images, preset.image_size, seed=preset.seed + 3, colour=preset.colour)[0]


def run(preset: config.CollapsePreset, variant: str, probe: bool = True, **changes) -> dict:
    """Train one variant with the collapse monitor; return its history, final report and probe.

    Returns:
        ``{"variant", "options", "history", "final", "probe", "seconds"}`` (``final``: the last
        monitor reading; ``probe``: held-out linear-probe accuracy of the context encoder).
    """
    opts = options(preset, variant, **changes)
    runtime.seed_everything(preset.seed)
    model, batch_fn, cfg = ijepa.build(preset, **opts)
    images = monitor_images(preset)
    t0 = time.perf_counter()
    history = train.fit(model, batch_fn, cfg, device=runtime.get_device(),
                        monitor=evaluate.collapse_monitor(images), monitor_every=preset.monitor_every)
    seconds = time.perf_counter() - t0
    summary = _summary(model.context_encoder, preset, images, probe)
    return {"variant": variant, "options": opts, "history": history, "final": history["monitor"][-1],
            "spectrum": summary["spectrum"], "seconds": seconds, **({"probe": summary["probe"]} if probe else {})}


def _summary(encoder: torch.nn.Module, preset: config.CollapsePreset, images: torch.Tensor, probe: bool = True) -> dict:
    """Collapse report and spectrum of ``encoder`` on the monitor images, and (``probe``) its held-out probe."""
    z = evaluate.extract_features(encoder, images)
    out = {**evaluate.collapse_report(z), "spectrum": evaluate.spectrum(z).tolist()}
    if probe:
        tr_x, tr_y, te_x, te_y = ijepa.probe_data(preset)
        out["probe"] = evaluate.linear_probe(evaluate.extract_features(encoder, tr_x), tr_y,
                                             evaluate.extract_features(encoder, te_x), te_y)
    return out


def random_init_probe(preset: config.CollapsePreset) -> dict:
    """Probe accuracy, collapse report and spectrum of the untrained encoder (the floor every variant is judged by)."""
    return _summary(ijepa.initial_encoder(preset), preset, monitor_images(preset))


SWEEP_TARGETS = {"EMA": "C-JEPA", "momentum 0": "VICReg, no EMA"}  # dial setting -> variant it runs


def sweep(preset: config.CollapsePreset, weights: tuple[float, ...] | None = None) -> list[dict]:
    """Each VICReg variance weight (covariance = var / 25) with the EMA target and with momentum 0: where
    does each tip into collapse? Every result also carries ``target`` and ``var_weight``."""
    out = []
    for target, variant in SWEEP_TARGETS.items():
        for w in weights or preset.sweep:
            out.append({"target": target, "var_weight": w,
                        **run(preset, variant, var_weight=w, cov_weight=w / 25)})
    return out


def run_all(preset: config.CollapsePreset, with_sweep: bool = True) -> dict:
    """Every variant, the random-init floor and (optionally) the sweep, as one JSON-ready dict."""
    out = {"preset": preset.as_dict(), "random init": random_init_probe(preset),
           "runs": {v: run(preset, v) for v in VARIANTS}}
    if with_sweep:
        out["sweep"] = sweep(preset)
    return out


def load(path: Path, preset: config.CollapsePreset, variant: str | None = None) -> tuple[dict, dict]:
    """The results in ``path`` when they were made with exactly ``preset`` (the results are their own card)."""
    try:
        result = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        raise train.CheckpointError(f"{path.name} is damaged (not JSON)") from None
    if not isinstance(result, dict) or not isinstance(result.get("preset"), dict):
        raise train.CheckpointError(f"{path.name} is malformed (no preset)")
    saved = {k: tuple(v) if isinstance(v, list) else v for k, v in result["preset"].items()}
    if differ := sorted(k for k in {*saved, *preset.as_dict()} if saved.get(k) != preset.as_dict().get(k)):
        raise train.CheckpointError("it was made with another preset (" + ", ".join(
            f"{k}={saved.get(k)!r}" for k in differ) + "; this run needs " + ", ".join(
            f"{k}={preset.as_dict().get(k)!r}" for k in differ) + ")")
    return result, result


def fit(preset: config.CollapsePreset, variant: str | None = None) -> tuple[dict, dict]:
    """Every ablation and the sweep, run here (in ``fast`` mode in about a minute)."""
    result = run_all(preset)
    return result, result


def main(argv: list[str] | None = None) -> int:
    """``python -m jepa_lab.collapse --mode MODE --out FILE``: every ablation and the sweep, to JSON."""
    parser = argparse.ArgumentParser(description="Run notebook 06's collapse ablations and sweep.")
    parser.add_argument("--mode", choices=config.MODES)
    parser.add_argument("--out", type=Path, required=True)  # shipped: data/collapse/collapse_<mode>.json
    args = parser.parse_args(argv)
    preset = config.for_notebook("06", mode=args.mode)
    commit = artifacts.commit()  # the code that runs, read before it runs
    result = run_all(preset)
    result["command"] = f"python -m jepa_lab.collapse --mode {preset.mode} --out {args.out}"
    result["commit"], result["threads"] = commit, torch.get_num_threads()
    text = json.dumps(result, indent=1)
    artifacts.write_text(args.out, text)
    for name, r in result["runs"].items():
        f = r["final"]
        print(f"{name:>18}: probe {r['probe']:.3f}  feature std {f['feature_std']:.4f}  "
              f"effective rank {f['effective_rank']:.1f}  ({r['seconds']:.0f} s)")
    print(f"{'random init':>18}: probe {result['random init']['probe']:.3f}")
    for r in result["sweep"]:
        print(f"{r['target']:>10}, VICReg var {r['var_weight']:<6}: probe {r['probe']:.3f}  "
              f"feature std {r['final']['feature_std']:.4f}")
    return 0


TASK = Task(name="collapse", notebook="06", folder=artifacts.COLLAPSE, stem="collapse", load=load, fit=fit,
            dataset="shapes", suffix=".json")

if __name__ == "__main__":
    raise SystemExit(main())
