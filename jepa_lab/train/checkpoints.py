"""Checkpoints: a model's state (and optimizer's) with its card, written atomically, loaded safely.

A checkpoint is one ``torch.save`` file holding ``{"model", "step", "card"[, "optimizer"]}`` and a
JSON copy of its card beside it (``artifacts.card_path``). Saving refuses a state with a non-finite
value and stores a SHA-256 of the weights in the card (``artifacts.tensor_checksum``). Loading goes
through ``read_checkpoint``: ``torch.load(..., weights_only=True)`` (no pickled code runs), and every
way a file can be wrong (missing, empty, truncated, not a checkpoint, objects other than tensors,
another model or preset, weights that do not match their checksum) is a ``CheckpointError`` (a
``ValueError``) naming the path and what is wrong, so ``fit_or_load`` can fall back to training.

A file under ``data/`` is checked against ``data/checksums.json``, not against its own card (a replaced
file carries a checksum of its own, which proves nothing): ``--ship`` records each file it writes there
(``publish``), and ``python -m jepa_lab.train.checkpoints --write-shipped-checksums`` records shipped files
not recorded yet. Elsewhere the card's ``sha256`` is the reference; a file with neither loads with
``integrity: no checksum stored``.

Introduced in notebook 04.
"""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path

import torch
from torch import nn

from jepa_lab import artifacts

ZIP_MAGIC = b"PK\x03\x04"  # torch.save's format is a zip archive


CheckpointError = artifacts.CheckpointError  # defined low (artifacts) so that ``fit_or_load`` can catch it


def nonfinite_report(model: nn.Module) -> str | None:
    """``None`` when every parameter and buffer of ``model`` is finite; else a sentence naming the first
    non-finite tensor and how many values are non-finite in all."""
    first, count = None, 0
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        if t.is_floating_point() or t.is_complex():
            bad = int((~torch.isfinite(t.detach())).sum())
            if bad and first is None:
                first = name
            count += bad
    return None if first is None else f"parameter {first!r} is not finite ({count:,} non-finite values in all)"


def save_checkpoint(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer | None,
                    step: int, card: dict) -> None:
    """Write ``model`` (+ optimizer) state and a JSON card next to it, each atomically; the card gets the
    SHA-256 of the weights (``sha256``).

    Raises:
        CheckpointError: a non-finite parameter or buffer (nothing is written), or ``path`` ends in ``.json``.
    """
    path = Path(path)
    artifacts.card_path(path)  # refuses a .json checkpoint before anything is written
    problem = nonfinite_report(model)
    if problem:
        raise CheckpointError(f"not saving {path} at step {step}: {problem}")
    weights = model.state_dict()
    card = {**card, "sha256": artifacts.tensor_checksum(weights)}
    state = {"model": weights, "step": step, "card": json.dumps(card, sort_keys=True)}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    write(path, state, card)


def write(path: Path, state: dict, card: dict) -> None:
    """Write ``state`` to ``path`` atomically, record its checksum in ``data/checksums.json`` when ``path`` is
    under ``data/`` (what the course itself writes there is what loads there), then the card beside it."""
    artifacts.atomic_write(path, lambda tmp: torch.save(state, tmp))
    if artifacts.in_data(path):
        artifacts.record_checksum(path, card["sha256"])
    artifacts.write_card(path, card)


def read_checkpoint(path: str | Path) -> tuple[dict, dict]:
    """The state and the card of the checkpoint at ``path``, read safely (``weights_only=True``).

    Raises:
        CheckpointError: missing, a directory, empty, truncated or damaged, not a checkpoint, or holding
            Python objects other than tensors and plain data.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}")
    if path.is_dir():
        raise CheckpointError(f"{path} is a directory, not a checkpoint")
    with open(path, "rb") as f:
        head = f.read(4)
    if not head:
        raise CheckpointError(f"{path} is empty (0 bytes): a save that was cut off or a failed copy; "
                              "delete it and train again")
    if head != ZIP_MAGIC:
        raise CheckpointError(f"{path} is not a checkpoint (not a file written by torch.save)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise CheckpointError(f"{path} holds Python objects other than tensors and plain data: refused without "
                              "running them (a jepa_lab checkpoint holds only tensors, numbers and text)") from None
    except (RuntimeError, EOFError, OSError, ValueError) as e:
        reason = "truncated" if "central directory" in str(e) or isinstance(e, EOFError) else "damaged"
        raise CheckpointError(f"{path} is {reason} (torch cannot read it as a whole file): "
                              "delete it and train again") from None
    if not isinstance(state, dict) or not {"model", "step", "card"} <= set(state):
        raise CheckpointError(f"{path} is not a jepa_lab checkpoint (a torch file without model, step and card)")
    try:
        card = json.loads(state["card"])
    except (TypeError, ValueError):
        raise CheckpointError(f"{path} has a damaged card (not JSON)") from None
    if not isinstance(card, dict):
        raise CheckpointError(f"{path} has a malformed card (JSON, but not an object of named facts)")
    return state, card


def field_diff(old: dict, new: dict, ignore: tuple[str, ...] | set[str] = ()) -> dict[str, tuple]:
    """``{key: (old value, new value)}`` for every key (outside ``ignore``) on which two settings dicts
    differ; tuples in ``new`` compare equal to the lists a JSON card holds."""
    old, new = old or {}, json.loads(json.dumps(new or {}))
    return {k: (old.get(k), new.get(k)) for k in sorted(set(old) | set(new))
            if k not in ignore and old.get(k) != new.get(k)}


def describe_diff(differ: dict[str, tuple]) -> tuple[str, str]:
    """``("a=1, b=2", "a=3, b=4")``: the saved and the asked values of ``field_diff``'s fields."""
    return (", ".join(f"{k}={a!r}" for k, (a, _) in differ.items()),
            ", ".join(f"{k}={b!r}" for k, (_, b) in differ.items()))


def check_fit(path: str | Path, card: dict, want: dict, hint: str = "") -> None:
    """Refuse a fitted model whose card's ``preset`` differs from ``want`` on any of ``want``'s keys (what the
    fit depends on; the other preset fields may change without a refit). ``hint`` (e.g. the refit command)
    ends the ``CheckpointError``'s message."""
    tail = f"; {hint}" if hint else ""
    saved = card.get("preset")
    if not isinstance(saved, dict):
        raise CheckpointError(f"{Path(path).name} has a malformed card (no preset){tail}")
    if differ := field_diff({k: saved.get(k) for k in want}, want):
        was, now = describe_diff(differ)
        raise CheckpointError(f"fitted with {was}; this preset has {now}{tail}")


def verify_checksum(path: str | Path, state: dict, card: dict) -> str:
    """Check the weights against ``data/checksums.json`` for a file it records (authoritative under
    ``data/``: a replaced file's own card is not trusted there), else against the card's ``sha256``.

    Returns:
        ``"sha256 verified"`` or ``"no checksum stored"``.
    Raises:
        CheckpointError: the weights do not match the stored checksum.
    """
    want = artifacts.shipped_checksum(path) or card.get("sha256")
    if want is None:
        return "no checksum stored"
    if artifacts.tensor_checksum(state["model"]) != want:
        where = " recorded in data/checksums.json" if artifacts.shipped_checksum(path) else ""
        raise CheckpointError(f"{path}: checksum mismatch, the weights are not the ones that were saved{where} "
                              "(a damaged or replaced file): delete it and train again")
    return "sha256 verified"


def load_checkpoint(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    expect: dict | None = None, loaded: tuple[dict, dict] | None = None) -> dict:
    """Load a checkpoint into ``model`` (and ``optimizer``); return its card with ``step`` and ``integrity``.
    ``loaded``: ``read_checkpoint(path)``'s result when the caller already has it (the file is read once).

    Raises:
        CheckpointError (a ``ValueError``): anything ``read_checkpoint`` refuses; its card disagrees with
            ``expect`` on any key (another model or configuration); a checksum mismatch; weights that do
            not fit ``model``.
    """
    path = Path(path)
    state, card = loaded or read_checkpoint(path)
    for key, want in (expect or {}).items():
        if isinstance(want, dict) and isinstance(card.get(key), dict) and (differ := field_diff(card[key], want)):
            was, now = describe_diff(differ)
            raise CheckpointError(f"checkpoint {path.name} was made with another {key} ({was}); this run needs "
                                  f"{now}: train a new one or pick the matching {key}")
        if card.get(key) != json.loads(json.dumps(want)):  # tuples in ``want`` are lists in the card
            raise CheckpointError(f"checkpoint {path.name} was made with {key}={card.get(key)!r}, this run needs "
                                  f"{want!r}: train a new one or pick the matching preset")
    integrity = verify_checksum(path, state, card)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as e:
        raise CheckpointError(f"checkpoint {path.name} does not fit this model: {str(e).splitlines()[0]}") from None
    if optimizer is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    return {**card, "step": int(state["step"]), "integrity": integrity}


RESUME_IGNORES = ("compile", "log_every")  # settings that do not change what a run computes


def check_resume(path: str | Path, card: dict, steps: int, allow_new_steps: bool = False,
                 loaded: tuple[dict, dict] | None = None) -> tuple[int, dict]:
    """Whether the run described by ``card`` (its ``config``, ``model`` and ``preset``) may continue the
    checkpoint at ``path`` (``loaded``: ``read_checkpoint(path)``'s result, if read already); returns
    ``(step, saved card)``.

    Raises:
        CheckpointError: the checkpoint was made by another model, or with another preset, seed or
            schedule (the message names every differing field; ``steps``, and the warm-up clamped to
            them, may differ with ``allow_new_steps``), has no optimizer state (a shipped file is for
            loading), or is already past ``steps``.
    """
    state, saved = loaded or read_checkpoint(path)
    if saved.get("model") != card.get("model"):
        raise CheckpointError(f"cannot resume {path}: it holds a {saved.get('model')}, this run trains a "
                              f"{card.get('model')}")
    differ = {}
    # a new budget changes the run's steps and the warm-up clamped to them (the preset's warm-up still counts)
    budget = {"config": {"steps", "warmup_steps"}, "preset": {"steps"}} if allow_new_steps else {}
    for part in ("config", "preset"):
        ignore = {*RESUME_IGNORES, *budget.get(part, ()), *differ}
        differ.update(field_diff(saved.get(part), card.get(part), ignore))
    if differ:
        was, now = describe_diff(differ)
        hint = " (--allow-new-steps continues with another step budget)" if "steps" in differ else ""
        raise CheckpointError(f"cannot resume {path}: it was made with {was}; this run asks {now}{hint}. "
                              f"Resume with the same settings, or write a new run elsewhere (--out)")
    if "optimizer" not in state:
        raise CheckpointError(f"cannot resume {path}: it has no optimizer state (a shipped checkpoint is for "
                              "loading, not for resuming); train a new run with another --out")
    step = int(state["step"])
    if step > steps:
        raise CheckpointError(f"cannot resume {path}: it is already at step {step}, past this run's {steps} steps")
    return step, saved


def update_card(path: str | Path, facts: dict, drop_optimizer: bool = False) -> None:
    """Add ``facts`` to a checkpoint's card (both the embedded one and the JSON beside it), atomically;
    ``drop_optimizer`` removes the optimizer state (a shipped checkpoint is for loading, not resuming)."""
    path = Path(path)
    state, card = read_checkpoint(path)
    verify_checksum(path, state, card)
    card = {**card, **facts, "sha256": artifacts.tensor_checksum(state["model"])}
    state["card"] = json.dumps(card, sort_keys=True)
    if drop_optimizer:
        state.pop("optimizer", None)
    write(path, state, card)


def publish(source: str | Path, dest: str | Path, facts: dict | None = None) -> str:
    """Ship the finished checkpoint ``source``: write it to ``dest`` atomically with ``facts`` added to its card
    and without its optimizer state (``source`` keeps both), then its card; under ``data/`` its checksum goes
    into ``data/checksums.json`` too (the reference there). Returns the checksum.

    Raises:
        CheckpointError: ``source`` cannot be read or does not match its checksum.
    """
    source, dest = Path(source), Path(dest)
    state, card = read_checkpoint(source)
    verify_checksum(source, state, card)
    checksum = artifacts.tensor_checksum(state["model"])
    card = {**card, **(facts or {}), "sha256": checksum}
    write(dest, {"model": state["model"], "step": state["step"], "card": json.dumps(card, sort_keys=True)}, card)
    return checksum


def write_shipped_checksums() -> dict[str, str]:
    """Record in ``artifacts.CHECKSUMS`` the checksum of every shipped checkpoint it does not record yet (a file
    shipped before ``--ship`` recorded them); the entries already there are the reference and are kept.
    Returns the new entries."""
    known = json.loads(artifacts.CHECKSUMS.read_text()) if artifacts.CHECKSUMS.is_file() else {}
    sums = {}
    for folder in artifacts.SHIPPED_FOLDERS:
        for path in sorted(folder.glob("*.pt")):
            name = path.resolve().relative_to(artifacts.DATA.resolve()).as_posix()
            if name not in known:
                state, card = read_checkpoint(path)
                verify_checksum(path, state, card)  # against its card's sha256, if it has one
                sums[name] = artifacts.tensor_checksum(state["model"])
    artifacts.write_text(artifacts.CHECKSUMS, json.dumps({**known, **sums}, indent=1, sort_keys=True) + "\n")
    return sums


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m jepa_lab.train.checkpoints",
                                     description="Checksums of the shipped checkpoints.")
    parser.add_argument("--write-shipped-checksums", action="store_true", required=True,
                        help="add to data/checksums.json the shipped files it does not record yet")
    parser.parse_args()
    print(f"{len(write_shipped_checksums())} checksums added to {artifacts.CHECKSUMS}")
