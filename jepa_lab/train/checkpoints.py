"""Checkpoints: a model's state (and optimizer's) with its card, written atomically, loaded safely.

A checkpoint is one ``torch.save`` file holding ``{"model", "step", "card"[, "optimizer"]}`` and a
JSON copy of its card beside it (``artifacts.card_path``). Loading uses
``torch.load(..., weights_only=True)`` (no pickled code runs) and refuses a checkpoint of another
model or configuration with a ``ValueError``.

Introduced in notebook 04.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from jepa_lab import artifacts


def save_checkpoint(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer | None,
                    step: int, card: dict) -> None:
    """Write ``model`` (+ optimizer) state and a JSON card next to it, each atomically."""
    path = Path(path)
    state = {"model": model.state_dict(), "step": step, "card": json.dumps(card, sort_keys=True)}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    artifacts.atomic_write(path, lambda tmp: torch.save(state, tmp))
    artifacts.write_card(path, card)


def load_checkpoint(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    expect: dict | None = None) -> dict:
    """Load a checkpoint into ``model`` (and ``optimizer``); return its card with ``step``.

    Raises:
        ValueError: missing file, or its card disagrees with ``expect`` on any key (another
            model or configuration), or the weights do not fit ``model``.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no checkpoint at {str(path)!r}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    card = json.loads(state["card"])
    for key, want in (expect or {}).items():
        if card.get(key) != json.loads(json.dumps(want)):  # tuples in ``want`` are lists in the card
            raise ValueError(f"checkpoint {path.name} was made with {key}={card.get(key)!r}, this run needs "
                             f"{want!r}: train a new one or pick the matching preset")
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as e:
        raise ValueError(f"checkpoint {path.name} does not fit this model: {str(e).splitlines()[0]}") from e
    if optimizer is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    return {**card, "step": int(state["step"])}


def update_card(path: str | Path, facts: dict, drop_optimizer: bool = False) -> None:
    """Add ``facts`` to a checkpoint's card (both the embedded one and the JSON beside it), atomically;
    ``drop_optimizer`` removes the optimizer state (a shipped checkpoint is for loading, not resuming)."""
    path = Path(path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    card = {**json.loads(state["card"]), **facts}
    state["card"] = json.dumps(card, sort_keys=True)
    if drop_optimizer:
        state.pop("optimizer", None)
    artifacts.atomic_write(path, lambda tmp: torch.save(state, tmp))
    artifacts.write_card(path, card)
