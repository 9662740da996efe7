"""Frozen dataclass presets, one class per kind of experiment, and the table of them per notebook and mode.

A preset's ``as_dict()`` goes into every checkpoint card and loaders compare it, so a field of a preset
with shipped checkpoints is never removed or renamed without handling those cards.

Introduced in notebook 01.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Preset:
    """Base class of every notebook preset: frozen, with a checked ``replace``."""

    mode: str
    seed: int

    def replace(self, **changes: Any) -> Preset:
        """Return a copy with ``changes`` applied; unknown keys raise ``ValueError``."""
        _check_keys(type(self), changes)
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """All fields as a plain dict (for checkpoint cards and printing)."""
        return dataclasses.asdict(self)


def _check_keys(cls: type, changes: dict[str, Any]) -> None:
    valid = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(changes) - set(valid))
    if unknown:
        raise ValueError(
            f"unknown preset key(s) {', '.join(unknown)} for {cls.__name__}; "
            f"valid keys: {', '.join(valid)}"
        )


@dataclass(frozen=True)
class TokenisePreset(Preset):
    """Notebook 01: tokenisation."""

    image_size: int  # side of the square images shown
    n_images: int  # images drawn from the shapes dataset
    patch_sizes: tuple[int, ...]  # patch sizes compared in the token-count table
    attn_tokens: tuple[int, ...]  # token counts for the measured attention-cost curve
    attn_dim: int  # head width used for the attention timing
    attn_repeats: int  # timing repeats (the minimum is reported)
    clip_frames: int  # frames of the video clip used for tubelets


@dataclass(frozen=True)
class MaskingPreset(Preset):
    """Notebook 02: masking."""

    image_size: int  # image side; with patch_size 4 and 56 px the grid is I-JEPA's 14x14
    patch_size: int
    n_images: int
    clip_frames: int  # frames per clip for tube masks
    clip_size: int
    coverage_samples: int  # masks drawn for the where-do-masks-fall histogram
    batch_sizes: tuple[int, ...]  # batch sizes for the collator's truncation cost


@dataclass(frozen=True)
class EncoderPreset(Preset):
    """Notebook 03: the ViT encoder."""

    image_size: int
    patch_size: int
    size: str  # vit.SIZES key of the encoder whose attention maps are shown
    cost_tokens: tuple[int, ...]  # token counts for the measured cost curve
    cost_size: str  # vit.SIZES key of the block timed in the cost curve
    batch: int  # images per timed batch
    repeats: int  # timing repeats (minimum reported)


@dataclass(frozen=True)
class IJEPAPreset(Preset):
    """Notebook 04 and ``python -m jepa_lab.train ijepa``: I-JEPA on shapes.

    The ``cpu`` recipe (white shapes, lr 2e-3, EMA momentum from 0.98, VICReg terms on the context
    features) is the one notebook 04 measures; its section 3 says what each choice buys.
    """

    image_size: int
    patch_size: int
    n_train: int  # training images (shapes, seed 0)
    colour: str  # shapes' colour: "random" hues or "white" (see notebook 04 on why it matters)
    embed_dim: int
    depth: int
    num_heads: int
    predictor_dim: int
    predictor_depth: int
    predictor_heads: int
    num_targets: int
    min_context: int
    batch_size: int
    steps: int
    lr: float
    warmup_steps: int
    var_weight: float  # VICReg variance term on context features (0 = plain I-JEPA)
    cov_weight: float  # VICReg covariance term
    pred_weight: float  # weight of the prediction loss (0 = the "regulariser only" ablation)
    ema_start: float  # EMA momentum at step 0 (cosine to 1.0 at the end); I-JEPA uses 0.996 over far longer runs
    probe_train: int  # held-out shapes to fit the linear probe (seed + 2)
    probe_test: int  # held-out shapes to test it (seed + 1)


@dataclass(frozen=True)
class VJEPAPreset(Preset):
    """Notebook 05 and ``python -m jepa_lab.train vjepa``: V-JEPA on clips of moving shapes."""

    image_size: int
    patch_size: int
    frames: int  # frames T per clip
    speeds: tuple[float, ...]  # pixels per frame, one speed class each
    background: str  # clips: datasets.video.BACKGROUNDS; pendulum (notebook 08): datasets.pendulum.BACKGROUNDS
    tubelet: int  # frames per tubelet token (2, as in V-JEPA)
    n_train: int  # training clips (seed 0)
    embed_dim: int
    depth: int
    num_heads: int
    pos: str  # "sincos" (3-D table), "rope" (3-D axial RoPE: head width divisible by 6) or "rope_sincos"
    predictor_dim: int
    predictor_depth: int
    predictor_heads: int
    mask: str  # "tube" (same spatial mask in every frame) or "per_frame" (the shortcut ablation)
    keep_ratio: float  # context share per frame (random spatial masks: tube and per-frame alike)
    batch_size: int
    steps: int
    lr: float
    warmup_steps: int
    var_weight: float
    cov_weight: float
    ema_start: float
    probe_train: int  # held-out clips to fit the motion/appearance probes (seed + 2)
    probe_test: int  # held-out clips to test them (seed + 1)


@dataclass(frozen=True)
class CollapsePreset(IJEPAPreset):
    """Notebook 06: collapse and its cures, on a small I-JEPA so every ablation runs in seconds."""

    monitor_every: int  # steps between collapse-monitor readings
    monitor_images: int  # held-out images the monitor encodes each time
    sigreg_weight: float  # SIGReg's weight in the LeJEPA-style variant
    sweep: tuple[float, ...]  # VICReg variance weights tried by the tipping-point sweep (cov = var / 25)


@dataclass(frozen=True)
class PendulumPreset(VJEPAPreset):
    """Notebook 08: V-JEPA on pendulum clips (``VJEPAPreset``'s fields, ``speeds`` unused), then vector fields."""

    dt: float  # seconds between frames
    field_trajectories: int  # trajectories of true states to fit the vector fields (seed)
    field_hidden: int
    field_steps: int  # optimiser steps per vector field, the same for MLP, HNN and LNN
    rollout_steps: int  # steps of the held-out rollouts
    rollout_dt: float
    rollout_substeps: int  # RK4 steps per rollout_dt (2 left the exact pendulum itself drifting 0.03 %: 4)
    frame_trajectories: int  # held-out trajectories whose states are read from frames (seed + 3)
    frame_length: int  # states read per trajectory
    camera_steps: int  # training steps of the V-JEPA runs on "camera" clips (datasets.pendulum.make_pendulum)
    camera_seeds: tuple[int, ...]  # their training seeds (one shipped checkpoint each in cpu mode)


@dataclass(frozen=True)
class DynamicsPreset(Preset):
    """Notebook 07: a latent forward model of bouncing balls (``jepa_lab.dynamics``)."""

    n_train: int  # training trajectories (seed)
    n_test: int  # held-out trajectories (seed + 1) for probes and rollouts
    length: int  # states per trajectory
    dt: float  # time between states (box side 1)
    history: int  # states the encoders see (t - history + 1 ... t)
    latent_dim: int
    hidden: int  # MLP width of encoders and predictor
    horizons: tuple[int, ...]  # k drawn from these each step (one value = fixed k)
    residual: bool  # z_hat = z + dz (else z_hat = predictor output)
    prior: bool  # dz includes dynamics_prior(z) = k * A z
    feature_masks: tuple[str, ...]  # kinds the context may hide (masks.FEATURE_MASKS); ("none",) = no masking
    mask_prob: float  # share of samples whose context is feature-masked
    target: str  # "ema" or "online"
    stop_grad: bool
    var_weight: float  # VICReg terms on the context latents
    cov_weight: float
    sigreg_weight: float
    ema_start: float
    batch_size: int
    steps: int
    lr: float
    warmup_steps: int


@dataclass(frozen=True)
class PlanningPreset(Preset):
    """Notebook 09 and ``python -m jepa_lab.train planning``: a world model of two rooms, and CEM planning with it."""

    image_size: int
    patch_size: int
    max_step: float  # the longest move per axis (the arena is 1 wide)
    door: float  # door width
    floor_tint: float  # floors' colour, left blue, right green (0: black, the rooms mirror images; rooms.render)
    n_train: int  # offline trajectories (seed)
    length: int  # moves per trajectory
    door_share: float  # share of trajectories that head for the door (the rest walk at random)
    model: str  # "latent" (the JEPA world model) or "pixel" (the same predictor on pixel patches)
    embed_dim: int
    depth: int
    num_heads: int
    latent_dim: int
    predictor_dim: int
    predictor_depth: int
    predictor_heads: int
    horizon: int  # steps per training window, and the planner's horizon
    tf_weight: float  # teacher-forcing loss
    rollout_weight: float  # multi-step rollout loss
    var_weight: float  # VICReg variance term on the embeddings (0 with cov_weight 0: the collapse ablation)
    cov_weight: float
    freeze_encoder: bool  # keep the encoder at its random initialisation (the random-init baseline)
    ema_start: float
    batch_size: int
    steps: int
    lr: float
    warmup_steps: int
    pairs: int  # held-out start/goal pairs per evaluation seed
    cross_share: float  # share of pairs with start and goal in different rooms
    eval_seeds: int  # evaluation seeds (pairs and planner noise), seed + 100 + i
    budget: int  # moves per episode
    radius: float  # success: this close to the goal
    samples: int  # CEM candidates per plan
    elites: int
    iterations: int
    step_price: float  # the planner's cost: min over imagined steps t of (distance_t / distance_now + step_price * t)


PRESETS: dict[str, dict[str, Preset]] = {
    "01": {
        "fast": TokenisePreset(
            mode="fast", seed=0, image_size=32, n_images=8, patch_sizes=(2, 4, 8, 16),
            attn_tokens=(64, 256, 1024, 2048, 4096), attn_dim=64, attn_repeats=3, clip_frames=8,
        ),
        "cpu": TokenisePreset(
            mode="cpu", seed=0, image_size=64, n_images=16, patch_sizes=(4, 8, 16, 32),
            attn_tokens=(64, 256, 1024, 2048, 4096), attn_dim=64, attn_repeats=5,
            clip_frames=16,
        ),
        "full": TokenisePreset(
            mode="full", seed=0, image_size=64, n_images=16, patch_sizes=(4, 8, 16, 32),
            attn_tokens=(256, 1024, 4096, 8192, 16384), attn_dim=64, attn_repeats=10,
            clip_frames=16,
        ),
    },
    "02": {
        "fast": MaskingPreset(mode="fast", seed=0, image_size=56, patch_size=4, n_images=8, clip_frames=8,
                          clip_size=32, coverage_samples=1000, batch_sizes=(4, 32, 256)),
        "cpu": MaskingPreset(mode="cpu", seed=0, image_size=56, patch_size=4, n_images=16, clip_frames=8,
                         clip_size=32, coverage_samples=5000, batch_sizes=(4, 32, 256, 2048)),
        "full": MaskingPreset(mode="full", seed=0, image_size=56, patch_size=4, n_images=16, clip_frames=16,
                          clip_size=64, coverage_samples=20000, batch_sizes=(4, 32, 256, 2048)),
    },
    "03": {
        "fast": EncoderPreset(mode="fast", seed=0, image_size=32, patch_size=4, size="micro",
                          cost_tokens=(64, 256, 1024, 2048), cost_size="nano", batch=4, repeats=3),
        "cpu": EncoderPreset(mode="cpu", seed=0, image_size=32, patch_size=4, size="micro",
                         cost_tokens=(64, 256, 1024, 2048, 4096), cost_size="nano", batch=8, repeats=3),
        "full": EncoderPreset(mode="full", seed=0, image_size=64, patch_size=8, size="tiny",
                          cost_tokens=(64, 256, 1024, 4096, 8192), cost_size="tiny", batch=16, repeats=5),
    },
    "04": {
        "fast": IJEPAPreset(mode="fast", seed=0, image_size=32, patch_size=8, n_train=512, colour="white",
                        embed_dim=64, depth=2, num_heads=4, predictor_dim=32, predictor_depth=1, predictor_heads=4,
                        num_targets=2, min_context=2, batch_size=32, steps=60, lr=2e-3, warmup_steps=6,
                        var_weight=1.0, cov_weight=0.04, pred_weight=1.0,
                        ema_start=0.98, probe_train=600, probe_test=400),
        "cpu": IJEPAPreset(mode="cpu", seed=0, image_size=32, patch_size=4, n_train=4000, colour="white",
                       embed_dim=128, depth=4, num_heads=4, predictor_dim=64, predictor_depth=2, predictor_heads=4,
                       num_targets=4, min_context=8, batch_size=128, steps=2000, lr=2e-3, warmup_steps=20,
                       var_weight=1.0, cov_weight=0.04, pred_weight=1.0,
                       ema_start=0.98, probe_train=2000, probe_test=1000),
        "full": IJEPAPreset(mode="full", seed=0, image_size=64, patch_size=8, n_train=20000, colour="white",
                        embed_dim=192, depth=6, num_heads=3, predictor_dim=96, predictor_depth=4, predictor_heads=4,
                        num_targets=4, min_context=8, batch_size=256, steps=3000, lr=1e-3, warmup_steps=200,
                        var_weight=1.0, cov_weight=0.04, pred_weight=1.0,
                        ema_start=0.996, probe_train=2000, probe_test=1000),
    },
    "05": {
        mode: VJEPAPreset(mode=mode, seed=0, image_size=32, patch_size=8, frames=8, speeds=(1.0, 2.0),
                      background="plain", tubelet=2,
                      n_train=n_train, embed_dim=96, depth=depth, num_heads=4, pos="sincos", predictor_dim=48,
                      predictor_depth=2, predictor_heads=4, mask="tube", keep_ratio=0.25, batch_size=batch,
                      steps=steps, lr=2e-3, warmup_steps=steps // 10, var_weight=1.0, cov_weight=0.04, ema_start=0.98,
                      probe_train=probe[0], probe_test=probe[1])
        for mode, n_train, depth, batch, steps, probe in (("fast", 512, 2, 32, 80, (300, 200)),
                                                          ("cpu", 4000, 4, 64, 300, (1500, 1000)),
                                                          ("full", 20000, 6, 256, 3000, (2000, 1000)))
    },
    "06": {
        mode: CollapsePreset(mode=mode, seed=0, image_size=32, patch_size=8, n_train=2048, colour="white", embed_dim=64,
                         depth=2, num_heads=4, predictor_dim=32, predictor_depth=1, predictor_heads=4, num_targets=2,
                         min_context=2, batch_size=64, steps=steps, lr=2e-3, warmup_steps=steps // 10,
                         var_weight=1.0, cov_weight=0.04, pred_weight=1.0, ema_start=0.98,
                         probe_train=probe[0], probe_test=probe[1], monitor_every=max(steps // 10, 1),
                         monitor_images=256, sigreg_weight=0.05, sweep=sweep)
        for mode, steps, probe, sweep in (("fast", 40, (600, 400), (0.0, 1.0)),
                                          ("cpu", 300, (2000, 1000), (0.0, 0.01, 0.1, 1.0)),
                                          ("full", 1000, (2000, 1000), (0.0, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)))
    },
    "08": {
        mode: PendulumPreset(mode=mode, seed=0, image_size=32, patch_size=8, frames=8, speeds=(1.0,),
                         background="plain", tubelet=2, n_train=n_train, embed_dim=96, depth=depth, num_heads=4,
                         pos="sincos", predictor_dim=48, predictor_depth=2, predictor_heads=4, mask="tube",
                         keep_ratio=0.25, batch_size=batch, steps=steps, lr=2e-3, warmup_steps=steps // 10,
                         var_weight=1.0, cov_weight=0.04, ema_start=0.98, probe_train=probe[0], probe_test=probe[1],
                         dt=0.05, field_trajectories=fields[0], field_hidden=fields[1], field_steps=fields[2],
                         rollout_steps=fields[3], rollout_dt=0.1, rollout_substeps=4, frame_trajectories=fields[4],
                         frame_length=fields[5], camera_steps=camera[0], camera_seeds=camera[1])
        for mode, n_train, depth, batch, steps, probe, fields, camera in (
            ("fast", 512, 2, 32, 80, (400, 300), (128, 64, 400, 300, 16, 60), (400, (0,))),
            ("cpu", 4000, 4, 64, 300, (1500, 1000), (512, 256, 10000, 1000, 64, 200), (6000, (0, 1, 2))),
            ("full", 20000, 6, 256, 3000, (2000, 1000), (1024, 256, 30000, 1000, 128, 200), (12000, (0, 1, 2))))
    },
    "07": {
        mode: DynamicsPreset(mode=mode, seed=0, n_train=n_train, n_test=256, length=64, dt=0.05, history=2,
                         latent_dim=16, hidden=hidden, horizons=(1, 2, 4, 8, 10), residual=True, prior=True,
                         feature_masks=("none", "position", "velocity", "random_k", "all"), mask_prob=0.5,
                         target="ema", stop_grad=True, var_weight=1.0, cov_weight=1.0, sigreg_weight=0.0,
                         ema_start=0.995, batch_size=256, steps=steps, lr=2e-3, warmup_steps=steps // 20)
        for mode, n_train, hidden, steps in (("fast", 256, 64, 1500), ("cpu", 1024, 128, 4000),
                                             ("full", 4096, 256, 10000))
    },
    "09": {
        mode: PlanningPreset(mode=mode, seed=0, image_size=32, patch_size=8, max_step=0.15, door=0.2, floor_tint=0.5,
                         n_train=n_train, length=32, door_share=0.5, model="latent", embed_dim=64, depth=2,
                         num_heads=4, latent_dim=16, predictor_dim=64, predictor_depth=2, predictor_heads=4, horizon=8,
                         tf_weight=10.0, rollout_weight=10.0, var_weight=1.0, cov_weight=0.04, freeze_encoder=False,
                         ema_start=0.99, batch_size=batch, steps=steps, lr=1e-3, warmup_steps=steps // 10, pairs=pairs,
                         cross_share=0.5, eval_seeds=seeds, budget=budget, radius=0.08, samples=samples,
                         elites=samples // 8, iterations=iterations, step_price=0.02)
        for mode, n_train, batch, steps, pairs, seeds, budget, samples, iterations in (
            ("fast", 64, 16, 30, 12, 1, 12, 32, 2),
            ("cpu", 2000, 32, 3000, 200, 3, 30, 64, 3),
            ("full", 8000, 256, 6000, 500, 3, 30, 128, 4))
    },
}
