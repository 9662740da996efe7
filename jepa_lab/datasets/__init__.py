"""Offline, seeded datasets: nothing is downloaded.

- ``shapes``: labelled RGB images of 10 shape classes (notebooks 01-04, 06).
- ``digits``: scikit-learn's bundled handwritten digits, resized.
- ``video``: clips of moving shapes with motion labels (notebooks 01, 05).
- ``rooms``: a point agent in two rooms joined by a door, its moves and images (notebook 09).
- ``files``: image folders and CIFAR-10 python batches that a user already has on disk.

Introduced in notebook 01.
"""

from __future__ import annotations

import torch
from torch.utils.data import Dataset, Subset, TensorDataset

from jepa_lab.datasets.digits import DigitsDataset, make_digits
from jepa_lab.datasets.files import CIFAR10Batches, ImageFolder
from jepa_lab.datasets.rooms import make_rooms, sample_pairs
from jepa_lab.datasets.shapes import SHAPE_CLASSES, ShapesDataset, make_shapes
from jepa_lab.datasets.video import DIRECTIONS, MovingShapesVideo, make_moving_shapes

__all__ = [
    "CIFAR10Batches", "DIRECTIONS", "DigitsDataset", "ImageFolder", "MovingShapesVideo",
    "SHAPE_CLASSES", "ShapesDataset", "make_digits", "make_moving_shapes", "make_rooms", "make_shapes", "sample_pairs",
    "split", "TensorDataset",
]


def split(dataset: Dataset, test_fraction: float = 0.25, seed: int = 0) -> tuple[Subset, Subset]:
    """Seeded train/test split of any dataset (for held-out probes).

    Raises:
        ValueError: ``test_fraction`` not in (0, 1), or a split would be empty.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n = len(dataset)
    n_test = round(n * test_fraction)
    if n_test == 0 or n_test == n:
        raise ValueError(f"a dataset of {n} items cannot be split with test_fraction={test_fraction}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return Subset(dataset, order[n_test:]), Subset(dataset, order[:n_test])
