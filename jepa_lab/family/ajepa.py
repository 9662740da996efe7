"""A-JEPA: I-JEPA on log-mel spectrograms. The same ``jepa.JEPA`` and ``vit.Encoder`` (one input channel,
patches on the frequency x time plane), with time-frequency-aware masks (``masks.sample_spectrogram_batch``),
and the probe protocol on held-out sounds against a random-init encoder and the raw spectrogram.

Introduced in notebook 10.
"""

from __future__ import annotations

import torch
from torch import nn

from jepa_lab import evaluate, jepa, masks, vit
from jepa_lab.datasets.audio import make_sounds
from jepa_lab.probes import probe_protocol


def initial_encoder(preset) -> vit.Encoder:
    """The context encoder exactly as the A-JEPA task builds it before training (seeded): the random-init baseline."""
    torch.manual_seed(preset.seed)
    if preset.n_mels != preset.frames:
        raise ValueError(f"the course's patch embedding takes square inputs: n_mels ({preset.n_mels}) must equal "
                         f"frames ({preset.frames})")
    return vit.Encoder(image_size=preset.n_mels, patch_size=preset.patch_size, in_chans=1,
                       embed_dim=preset.embed_dim, depth=preset.depth, num_heads=preset.num_heads)


def jepa_model(preset) -> jepa.JEPA:
    """The A-JEPA model of ``preset`` before training (same seed, same weights as the task builds)."""
    return jepa.JEPA(encoder=initial_encoder(preset), predictor_dim=preset.predictor_dim,
                     predictor_depth=preset.predictor_depth, predictor_heads=preset.predictor_heads,
                     var_weight=preset.var_weight, cov_weight=preset.cov_weight)


def training_sounds(preset) -> tuple[torch.Tensor, torch.Tensor]:
    """The training spectrograms (seed ``preset.seed``) and their labels (never used in training)."""
    return make_sounds(preset.n_train, preset.seed, n_mels=preset.n_mels, frames=preset.frames)


def batch_function(preset, specs: torch.Tensor, grid: tuple[int, int]):
    """``batch_fn(step, g) -> (spectrograms, ctx_idx, tgt_idx)`` for ``train.fit``."""
    if preset.batch_size > len(specs):
        raise ValueError(f"batch_size {preset.batch_size} is larger than the {len(specs)} training sounds")

    def batch_fn(step: int, g: torch.Generator):
        idx = torch.randint(len(specs), (preset.batch_size,), generator=g)
        mb = masks.sample_spectrogram_batch(preset.mask, grid, preset.batch_size, g, num_targets=preset.num_targets,
                                            width=tuple(preset.mask_width))
        return specs[idx], mb.ctx_idx, mb.tgt_idx

    return batch_fn


def probe_sounds(preset) -> tuple[torch.Tensor, torch.Tensor]:
    """The labelled pool the probes draw their fit/test splits from (seed + 1: never seen in training)."""
    return make_sounds(preset.probe_n, preset.seed + 1, n_mels=preset.n_mels, frames=preset.frames)


def probe_report(encoders: dict[str, nn.Module], preset, draws: int | None = None) -> dict[str, dict[str, float]]:
    """``probe_protocol`` of each encoder's pooled features, the same encoder at random init and the raw
    log-mel spectrogram, on ``probe_sounds``: every row gets the same splits and the same C search."""
    specs, labels = probe_sounds(preset)
    feats = {name: evaluate.extract_features(enc, specs) for name, enc in encoders.items()}
    feats["random init"] = evaluate.extract_features(initial_encoder(preset), specs)
    feats["raw spectrogram"] = specs.flatten(1)
    return probe_protocol(feats, labels, draws=draws or preset.probe_draws, seed=preset.seed)
