"""Where the course keeps what it trains, and the one way to load it or train it.

- The data folders: ``CHECKPOINTS`` (JEPA models), ``DYNAMICS`` (notebook 07), ``PHYSICS`` (notebook 08's
  vector fields), ``COLLAPSE`` (notebook 06's ablations), all under ``DATA``.
- One naming scheme: ``<stem>_<mode>[_<variant>]<suffix>`` (``artifact_name``), e.g.
  ``ijepa_shapes_cpu_nopred.pt``; a task whose files are one per model (dynamics variants, vector
  fields) uses the model's slug as the stem (``residual_prior_the_design_cpu.pt``).
- Atomic writes (a temporary file beside the target, then a rename), the commit stamp of the code that
  made a file, cards (the JSON beside a checkpoint) and one ``fit_or_load``: the shipped artifact when it
  was made with exactly this preset, else train here, saying why.

This module knows no task: ``fit_or_load`` takes the task object (``tasks.Task``) as an argument.

Introduced in notebook 04.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import torch

DATA = Path(__file__).resolve().parent.parent / "data"
CHECKPOINTS = DATA / "checkpoints"
DYNAMICS = DATA / "dynamics"
PHYSICS = DATA / "physics"
COLLAPSE = DATA / "collapse"
SHIPPED_FOLDERS = (CHECKPOINTS, DYNAMICS, PHYSICS, COLLAPSE)
CHECKSUMS = DATA / "checksums.json"  # SHA-256 of the tensors of every shipped checkpoint: the reference under DATA
RUNS = Path("runs")  # where the command line writes a run that is not shipped (relative to where it runs)


def artifact_name(stem: str, mode: str, variant: str | None = None) -> str:
    """``artifact_name("ijepa_shapes", "cpu", "nopred") == "ijepa_shapes_cpu_nopred"`` (no suffix)."""
    return f"{stem}_{mode}" + (f"_{variant}" if variant else "")


def is_shipped(path: str | Path) -> bool:
    """Whether ``path`` lies in one of the course's shipped folders (``SHIPPED_FOLDERS``)."""
    folder = Path(path).resolve().parent
    return any(folder == f.resolve() for f in SHIPPED_FOLDERS)


STALE_SECONDS = 600  # a temporary file this old is a killed writer's, whatever its pid says


class CheckpointError(ValueError):
    """An artifact that cannot be used (missing, damaged, foreign, another preset, a malformed card,
    unfinished); the message names the path and what is wrong. ``fit_or_load`` falls back to training on it."""


def _writer_alive(tmp: Path) -> bool:
    """Whether the process that made ``tmp`` (``.<name>.<pid>.<random>.tmp``) still runs (POSIX only)."""
    pid = tmp.name.rsplit(".", 3)[-3] if tmp.name.count(".") >= 4 else ""
    if not pid.isdigit():
        return False
    if os.name != "posix":
        return True  # no cheap liveness check: only the age removes it
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, another user's
        return True
    return True


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Delete ``.<name>.*.tmp`` files beside ``path`` that a killed ``atomic_write`` of it left behind: older
    than ``STALE_SECONDS``, or whose writer's pid (in the name) no longer runs. A live concurrent writer's
    temporary file is left alone."""
    path = Path(path)
    candidates = sorted(path.parent.glob(f".{path.name}.*.tmp")) if path.parent.is_dir() else []
    stale = []
    for tmp in candidates:
        try:
            age = time.time() - tmp.stat().st_mtime
        except FileNotFoundError:
            continue
        if age > STALE_SECONDS or not _writer_alive(tmp):
            tmp.unlink(missing_ok=True)
            stale.append(tmp)
    return stale


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable, where the OS lets a folder be opened (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_writable(path: str | Path) -> None:
    """Make sure a file can be written at ``path`` before any long work (nothing is created).

    Raises:
        ValueError: ``path`` is a directory, a parent is a file, or the nearest existing folder cannot be
            written in (the message names the path and the reason).
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"cannot write {path}: it is an existing directory; name a file, e.g. {path / 'model.pt'}")
    existing = next(p for p in (path.parent, *path.parent.parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"cannot write {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write {path}: no permission to write in {existing}")


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, flush it to disk, rename it onto ``path``
    and flush the folder (so a power cut leaves the old file or the new one).

    Readers see the old file or the new one, never half of one; on any error (or an interrupt) the
    temporary file is removed and ``path`` is untouched. Temporary files of ``path`` left by a process
    that was killed (``kill -9`` leaves no chance to clean up) are removed first; another live writer's
    are not (``remove_stale_temporaries``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
    try:
        write(tmp)
        with open(tmp, "r+b") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_folder(path.parent)


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (``atomic_write``)."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def commit() -> str:
    """The git commit of the code that runs (``"unknown"`` outside a git checkout)."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                              cwd=Path(__file__).resolve().parent).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def card_path(path: str | Path) -> Path:
    """The JSON card beside a checkpoint: ``model.pt`` -> ``model.json``.

    Raises:
        ValueError: ``path`` itself ends in ``.json`` (the card would replace the weights).
    """
    path = Path(path)
    if path.suffix == ".json":
        raise ValueError(f"a checkpoint cannot be called {path.name}: its JSON card goes beside it as "
                         f"{path.stem}.json and would replace it; use {path.with_suffix('.pt')}")
    return path.with_suffix(".json")


def write_card(path: str | Path, card: dict) -> None:
    """Write ``card`` as the JSON beside the checkpoint ``path``, atomically."""
    write_text(card_path(path), json.dumps(card, indent=2, sort_keys=True))


def read_card(path: str | Path) -> dict:
    """The JSON card beside the checkpoint ``path``."""
    return json.loads(card_path(path).read_text())


def tensor_checksum(tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over a state dict's names, dtypes, shapes and bytes (in name order): the same weights give
    the same checksum whatever file holds them, and one flipped bit changes it."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def in_data(path: str | Path) -> bool:
    """Whether ``path`` lies under ``DATA`` (where ``CHECKSUMS``, not a file's own card, says what it must hold)."""
    return DATA.resolve() in Path(path).resolve().parents


def shipped_checksum(path: str | Path) -> str | None:
    """The checksum ``CHECKSUMS`` records for a file under ``DATA``, if any."""
    if not CHECKSUMS.is_file() or not in_data(path):
        return None
    return json.loads(CHECKSUMS.read_text()).get(Path(path).resolve().relative_to(DATA.resolve()).as_posix())


def record_checksum(path: str | Path, checksum: str) -> None:
    """Record ``checksum`` for the file ``path`` under ``DATA`` in ``CHECKSUMS`` (rewritten atomically)."""
    sums = json.loads(CHECKSUMS.read_text()) if CHECKSUMS.is_file() else {}
    sums[Path(path).resolve().relative_to(DATA.resolve()).as_posix()] = checksum
    write_text(CHECKSUMS, json.dumps(sums, indent=1, sort_keys=True) + "\n")


def describe_card(card: dict) -> str:
    """One line about a checkpoint's card (or a fresh run's from ``fit_or_load``): the command that made
    it, its steps, where and how long it ran, and its first and last loss."""
    where = (f", {card['wall_seconds']:.0f} s on {card['device']} ({card['threads']} thread)"
             if "threads" in card else "")
    loss = card["history"]["loss"]
    return (f"{card.get('command', 'trained in this notebook')}: {card['step']} steps{where}; "
            f"loss {loss[0]:.3f} -> {loss[-1]:.3f}")


class Loadable(Protocol):
    """What ``fit_or_load`` needs of a task (``tasks.Task`` is one)."""

    def path(self, mode: str, variant: str | None = None, directory: str | Path | None = None) -> Path: ...

    def load(self, path: Path, preset: Any, variant: str | None) -> tuple[Any, dict]: ...

    def fit(self, preset: Any, variant: str | None, **options: Any) -> tuple[Any, dict]: ...


def fit_or_load(task: Loadable, preset: Any, variant: str | None = None, *, retrain: bool = False,
                directory: str | Path | None = None, **fit_options: Any) -> tuple[Any, dict]:
    """The artifact ``task.path(preset.mode, variant, directory)`` when it was made with exactly ``preset``;
    else (or with ``retrain=True``) train here with ``task.fit(preset, variant, **fit_options)``, writing
    nothing.

    An artifact made with another preset (another mode, size or seed), one that cannot be read, one with a
    malformed card, or an unfinished one (its ``step`` below its configured ``steps``: a run that was
    stopped) is never used silently: the loader's ``CheckpointError`` is printed and the model is trained
    (in ``fast`` mode, for real, a few steps). Returns ``(model or result, card)``.
    """
    path = task.path(preset.mode, variant, directory)
    if path.is_file() and not retrain:
        try:
            loaded, card = task.load(path, preset, variant)
            steps = (card.get("config") or {}).get("steps")
            if isinstance(card.get("step"), int) and isinstance(steps, int) and card["step"] < steps:
                raise CheckpointError(f"it is unfinished: step {card['step']} of its configured {steps} steps "
                                      "(a run that was stopped; resume it with --resume)")
            return loaded, card
        except CheckpointError as e:
            print(f"not using {path.name}: {e}; training here instead")
    return task.fit(preset, variant, **fit_options)
