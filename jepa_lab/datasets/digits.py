"""scikit-learn's bundled handwritten digits (8x8, 1,797 images), resized; no download.

Introduced in notebook 01.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset


def make_digits(image_size: int = 32, channels: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 digits as ``[N, channels, S, S]`` floats in [0, 1] and ``[N]`` labels.

    Bilinear resizing from 8x8; ``channels=3`` repeats the grey level so RGB models take them.
    """
    from sklearn.datasets import load_digits  # ships inside scikit-learn

    if image_size < 8:
        raise ValueError(f"image_size must be at least 8 (the digits are 8x8), got {image_size}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32)[:, None] / 16.0  # [N, 1, 8, 8]
    x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)
    return x.clamp(0, 1).expand(-1, channels, -1, -1).contiguous(), torch.tensor(d.target)


class DigitsDataset(Dataset):
    """``make_digits`` as a ``Dataset`` of ``(image, label)`` pairs (classes ``0``-``9``).

    Introduced in notebook 01.
    """

    classes = tuple(str(i) for i in range(10))

    def __init__(self, image_size: int = 32, channels: int = 3) -> None:
        self.images, self.labels = make_digits(image_size, channels)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i], int(self.labels[i])
