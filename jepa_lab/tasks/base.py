"""``Task``: one row of the task table (``jepa_lab.tasks.TASKS``), what the command line,
``artifacts.fit_or_load`` and the benches need to know about one trainable thing.

Introduced in notebook 04.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jepa_lab import artifacts


@dataclass(frozen=True)
class Task:
    """A trainable thing of the course.

    Attributes:
        name: its key in ``TASKS`` and on the command line (``python -m jepa_lab.train NAME``).
        notebook: the ``config.for_notebook`` key of its preset.
        folder: where its shipped artifacts live (an ``artifacts`` folder).
        stem: file stem (``artifacts.artifact_name(stem, mode, variant)``); a callable maps a variant
            to the stem, for tasks with one file per model (dynamics variants, vector fields).
        load: ``(path, preset, variant) -> (model or result, card)``; ``train.CheckpointError`` when the file was
            made with another preset or cannot be read.
        fit: ``(preset, variant, **options) -> (model or result, card)``: train here, write nothing.
        build: ``preset -> (model, batch_fn, TrainConfig)`` for ``train.fit`` (the command line, the
            benches); ``None`` for tasks with their own runner.
        report: ``(model, preset) -> (figures, text)``: the held-out probe figures the command line's
            ``--probe`` prints and records in the card.
        dataset: the card's ``dataset`` entry.
        suffix: file suffix of its artifacts.
    """

    name: str
    notebook: str
    folder: Path
    stem: str | Callable[[str | None], str]
    load: Callable[[Path, Any, str | None], tuple[Any, dict]]
    fit: Callable[..., tuple[Any, dict]]
    build: Callable[[Any], tuple] | None = None
    report: Callable[[Any, Any], tuple[dict, str]] | None = None
    dataset: str = ""
    suffix: str = ".pt"

    def path(self, mode: str, variant: str | None = None, directory: str | Path | None = None) -> Path:
        """Where this task's artifact of ``mode`` (and ``variant``) lives (``directory``: another folder)."""
        folder = Path(directory) if directory is not None else self.folder
        if callable(self.stem):
            return folder / f"{artifacts.artifact_name(self.stem(variant), mode)}{self.suffix}"
        return folder / f"{artifacts.artifact_name(self.stem, mode, variant)}{self.suffix}"


def seed_variant(preset: Any, seed: int, *tags: str) -> tuple[Any, str | None]:
    """The preset of training seed ``seed`` and its file tag for ``fit_or_load``: the preset's own seed keeps
    the plain name (``None``, or just ``tags`` joined), other seeds are tagged ``"seed1"``, ``"seed1_nopred"``...
    """
    tag = "_".join(([f"seed{seed}"] if seed != preset.seed else []) + list(tags))
    return preset.replace(seed=seed), tag or None
