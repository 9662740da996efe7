"""Pieces several test files share: a tiny I-JEPA with its batches, and the headless-Chromium set-up."""

from __future__ import annotations

import os
import shutil

import pytest
import torch

from jepa_lab import jepa, masks, vit
from jepa_lab.datasets import make_shapes

IMAGES = make_shapes(64, 32, seed=0)[0]

# Debian's Chromium, started as the course's browser tests need it on a machine without network
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def tiny_jepa() -> jepa.JEPA:
    """A one-block I-JEPA on 32-pixel images (4×4 tokens), the same weights every call."""
    torch.manual_seed(0)
    enc = vit.Encoder(image_size=32, patch_size=8, embed_dim=32, depth=1, num_heads=4)
    return jepa.JEPA(encoder=enc, predictor_dim=16, predictor_depth=1, predictor_heads=2)


def tiny_batch(step: int, g: torch.Generator):
    """``train.fit``'s batch function for ``tiny_jepa``: 16 shapes with multi-block masks."""
    idx = torch.randint(len(IMAGES), (16,), generator=g)
    mb = masks.sample_batch("multiblock", (4, 4), 16, g, num_targets=2, min_context=2)
    return IMAGES[idx], mb.ctx_idx, mb.tgt_idx


def need(condition: bool, why: str, what: str) -> None:
    """Skip locally when ``condition`` fails; under CI (which installs everything) fail instead."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{why} (CI must run the {what}; .ci/run installs it)")
        pytest.skip(why)
