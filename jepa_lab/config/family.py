"""Presets and expectations of notebook 10 (the JEPA family), in their own file so ``presets.py`` stays short.

``FamilyPreset`` (key ``"10"``) holds one preset per member; each member's preset is also in the table under
its own key (``"10-audio"``, ``"10-vl"``, ``"10-bio"``) so that its task, its command line and its
checkpoint card see only its own fields (changing a Bio-JEPA field never invalidates the A-JEPA checkpoint).

Introduced in notebook 10.
"""

from __future__ import annotations

from dataclasses import dataclass

from jepa_lab.config.expectations import Expectations
from jepa_lab.config.presets import Preset


@dataclass(frozen=True)
class AJEPAPreset(Preset):
    """A-JEPA on log-mel spectrograms of synthetic sounds (``python -m jepa_lab.train ajepa``)."""

    n_mels: int  # frequency bands (rows); equal to frames: the patch embedding takes square inputs
    frames: int  # time steps (columns) of 125 samples at 8 kHz
    patch_size: int  # a patch covers patch_size bands x patch_size frames
    n_train: int  # training sounds (seed)
    embed_dim: int
    depth: int
    num_heads: int
    predictor_dim: int
    predictor_depth: int
    predictor_heads: int
    mask: str  # masks.SPECTROGRAM_MASKS: "time_frequency", "time", "frequency" or "multiblock"
    num_targets: int
    mask_width: tuple[int, ...]  # (low, high) width of a stripe in tokens
    batch_size: int
    steps: int
    lr: float
    warmup_steps: int
    var_weight: float
    cov_weight: float
    ema_start: float
    probe_n: int  # held-out labelled sounds (seed + 1) the probe protocol splits
    probe_draws: int  # fit/test draws of the probe protocol


@dataclass(frozen=True)
class VLJEPAPreset(Preset):
    """VL-JEPA and the token decoder on two-shape scenes (``python -m jepa_lab.train vljepa`` / ``vl_decoder``)."""

    image_size: int
    patch_size: int
    n_train: int  # training scenes, one question each (seed)
    n_test: int  # held-out scenes and questions (seed + 1)
    embed_dim: int
    depth: int  # image encoder
    num_heads: int
    predictor_depth: int  # VL-JEPA's predictor
    text_depth: int  # VL-JEPA's text encoder
    text_dim: int  # text-embedding width
    temperature: float  # InfoNCE temperature
    negatives: str  # InfoNCE negatives: "bank" (every possible answer) or "batch" (the batch's answers)
    decoder_depth: int  # the token decoder's depth (sized to match VL-JEPA's parameters)
    batch_size: int
    steps: int
    lr: float
    warmup_steps: int


@dataclass(frozen=True)
class BioJEPAPreset(Preset):
    """Bio-JEPA on simulated knock-downs (``python -m jepa_lab.train biojepa``)."""

    n_genes: int
    n_modules: int
    n_held_out: int  # perturbations never seen in training
    embed_dim: int
    depth: int
    num_heads: int
    predictor_depth: int
    conditioning: str  # "cross" (cross-attention to the perturbation) or "film"
    var_weight: float
    cov_weight: float
    ema_start: float
    batch_size: int
    steps: int
    lr: float
    warmup_steps: int
    eval_cells: int  # fresh cells per perturbation in the evaluation


@dataclass(frozen=True)
class FamilyPreset(Preset):
    """Notebook 10: one preset per member of the family."""

    audio: AJEPAPreset
    vl: VLJEPAPreset
    bio: BioJEPAPreset


@dataclass(frozen=True)
class FamilyExpect(Expectations):
    """Notebook 10: what each member must reach against its baselines."""

    audio_margin: float  # A-JEPA's linear probe over the better of random init and the raw spectrogram
    vl_accuracy: float  # VL-JEPA's exact-answer accuracy on held-out scenes and questions
    vl_speedup: float  # the decoder's seconds per answer over VL-JEPA's, at least this (every seed)
    vl_over_decoder: float  # VL-JEPA's accuracy minus the decoder's, at least this on every seed
    bio_vs_no_change: float  # "no change"'s error over Bio-JEPA's, held-out perturbations
    bio_vs_mean_shift: float  # "mean shift"'s error over Bio-JEPA's, held-out perturbations


def _audio(mode: str, small: bool, steps: int, n_train: int, probe_n: int) -> AJEPAPreset:
    return AJEPAPreset(mode=mode, seed=0, n_mels=32, frames=32, patch_size=8 if small else 4, n_train=n_train,
                       embed_dim=64 if small else 128, depth=2 if small else 4, num_heads=4,
                       predictor_dim=32 if small else 64, predictor_depth=1 if small else 2, predictor_heads=4,
                       mask="time_frequency", num_targets=2 if small else 4, mask_width=(1, 1) if small else (1, 2),
                       batch_size=32 if small else 128, steps=steps, lr=2e-3, warmup_steps=steps // 10,
                       var_weight=1.0, cov_weight=0.04, ema_start=0.98, probe_n=probe_n, probe_draws=2 if small else 3)


def _vl(mode: str, small: bool, steps: int, n_train: int, n_test: int) -> VLJEPAPreset:
    return VLJEPAPreset(mode=mode, seed=0, image_size=32, patch_size=4, n_train=n_train, n_test=n_test,
                        embed_dim=32 if small else 64, depth=1 if small else 2, num_heads=4, predictor_depth=2,
                        text_depth=1, text_dim=32 if small else 64, temperature=0.1, negatives="bank", decoder_depth=3,
                        batch_size=64 if small else 128, steps=steps, lr=2e-3, warmup_steps=steps // 10)


def _bio(mode: str, small: bool, steps: int) -> BioJEPAPreset:
    return BioJEPAPreset(mode=mode, seed=0, n_genes=96, n_modules=8, n_held_out=8, embed_dim=32 if small else 48,
                         depth=1 if small else 2, num_heads=4, predictor_depth=1 if small else 2, conditioning="cross",
                         var_weight=1.0, cov_weight=0.04, ema_start=0.98, batch_size=64 if small else 128,
                         steps=steps, lr=2e-3, warmup_steps=steps // 10, eval_cells=50 if small else 200)


_MEMBERS = {
    "fast": (_audio("fast", True, 40, 512, 600), _vl("fast", True, 60, 2000, 250), _bio("fast", True, 60)),
    "cpu": (_audio("cpu", False, 600, 4000, 3000), _vl("cpu", False, 4000, 20000, 1000), _bio("cpu", False, 600)),
    "full": (_audio("full", False, 1500, 20000, 3000), _vl("full", False, 6000, 50000, 2000),
             _bio("full", False, 3000)),
}

FAMILY_PRESETS: dict[str, dict[str, Preset]] = {
    "10": {m: FamilyPreset(mode=m, seed=0, audio=a, vl=v, bio=b) for m, (a, v, b) in _MEMBERS.items()},
    "10-audio": {m: a for m, (a, _, _) in _MEMBERS.items()},
    "10-vl": {m: v for m, (_, v, _) in _MEMBERS.items()},
    "10-bio": {m: b for m, (_, _, b) in _MEMBERS.items()},
}

# cpu (seed 0, shipped): A-JEPA +0.199 over the better baseline (+0.196 +- 0.008 over seeds 0-2, 600 steps, nine
# sound classes); VL-JEPA 0.997 / 0.996 / 0.995 exact answers on seeds 0-2 (4,000 steps, all-answer negatives)
# against the token decoder's 0.987 / 0.989 / 0.989, 2-4x cheaper per answer; Bio-JEPA 10x / 5.5x lower effect
# error than no change / mean shift.
_TRAINED = {"audio_margin": 0.15, "vl_accuracy": 0.90, "vl_speedup": 1.5, "vl_over_decoder": 0.0,
            "bio_vs_no_change": 2.0, "bio_vs_mean_shift": 1.0}
FAMILY_EXPECTATIONS: dict[str, dict[str, Expectations]] = {
    "10": {  # fast: a few real steps, held to "runs and is measured against its baselines"
        "fast": FamilyExpect(mode="fast", audio_margin=-1.0, vl_accuracy=0.0, vl_speedup=1.0, vl_over_decoder=-1.0,
                             bio_vs_no_change=0.0, bio_vs_mean_shift=0.0),
        "cpu": FamilyExpect(mode="cpu", **_TRAINED),
        "full": FamilyExpect(mode="full", **_TRAINED),
    },
}
