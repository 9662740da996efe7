"""VL-JEPA and the token decoder it is compared with, on two-shape scenes and questions (notebook 10).

Introduced in notebook 10.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from jepa_lab import artifacts, config, train
from jepa_lab.datasets.captions import make_vqa
from jepa_lab.family import vljepa
from jepa_lab.tasks.base import Task, seed_variant
from jepa_lab.tasks.ijepa import fitter

MODELS = {"vljepa": vljepa.VLJEPA, "vl_decoder": vljepa.TokenDecoder}
SEEDS = (0, 1, 2)  # the training seeds notebook 10 compares the two models over (each shipped in cpu mode)


def seed_run(preset: config.VLJEPAPreset, seed: int) -> tuple[config.VLJEPAPreset, str | None]:
    """The preset and file tag of training seed ``seed`` (the preset's own seed keeps the plain name)."""
    return seed_variant(preset, seed)


def held_out(preset: config.VLJEPAPreset) -> dict:
    """Held-out scenes with one question each (seed + 1: no training scene or question)."""
    return make_vqa(preset.n_test, preset.image_size, preset.seed + 1)


def builder(kind: str):
    """``build(preset) -> (model, batch_fn, TrainConfig)`` of ``kind`` (``vljepa`` or ``vl_decoder``)."""

    def build(preset: config.VLJEPAPreset):
        images, questions, answers = vljepa.encode_vqa(make_vqa(preset.n_train, preset.image_size, preset.seed))
        if preset.batch_size > len(images):
            raise ValueError(f"batch_size {preset.batch_size} is larger than the {len(images)} training scenes")
        model = MODELS[kind](preset)

        def batch_fn(step: int, g: torch.Generator):
            idx = torch.randint(len(images), (preset.batch_size,), generator=g)
            return images[idx], questions[idx], answers[idx]

        cfg = train.TrainConfig(steps=preset.steps, lr=preset.lr,
                                warmup_steps=min(preset.warmup_steps, preset.steps), seed=preset.seed)
        return model, batch_fn, cfg

    return build


def loader(kind: str):
    """``load(path, preset, variant)`` of ``kind``: a checkpoint made with exactly ``preset``."""

    def load(path: Path, preset: config.VLJEPAPreset, variant: str | None = None) -> tuple[nn.Module, dict]:
        model = MODELS[kind](preset)
        return model, train.load_checkpoint(path, model, expect={"preset": preset.as_dict()})

    return load


def report(model: nn.Module, preset: config.VLJEPAPreset) -> tuple[dict, str]:
    """The command line's ``--probe``: accuracy and cost per answer on the held-out questions."""
    r = vljepa.evaluate_answers(model, held_out(preset))
    r.pop("answers")
    kinds = ", ".join(f"{k} {v:.3f}" for k, v in r["per_kind"].items())
    return r, (f"accuracy {r['accuracy']:.3f} ({kinds}); {r['seconds_per_answer'] * 1e3:.2f} ms per answer, "
               f"{r['passes']:.1f} passes per batch, {r['params']:,} parameters")


VLJEPA = Task(name="vljepa", notebook="10-vl", folder=artifacts.CHECKPOINTS, stem="vljepa_scenes",
              load=loader("vljepa"), fit=fitter(builder("vljepa")), build=builder("vljepa"), report=report,
              dataset="scenes")
DECODER = Task(name="vl_decoder", notebook="10-vl", folder=artifacts.CHECKPOINTS, stem="vl_decoder_scenes",
               load=loader("vl_decoder"), fit=fitter(builder("vl_decoder")), build=builder("vl_decoder"),
               report=report, dataset="scenes")
