"""Loaders for images a user already has on disk: an image folder, and CIFAR-10's python batches.

Nothing is downloaded. CIFAR-10 batches are pickles; they are read with an unpickler that
only admits the NumPy types those files contain, so a tampered file cannot run code.

Introduced in notebook 01.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError  # Pillow comes with matplotlib
from torch.utils.data import Dataset

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def _visible(path: Path) -> bool:
    """Not hidden: ``.ipynb_checkpoints``, ``.DS_Store``, macOS ``._*`` files and the like are skipped."""
    return not path.name.startswith(".")


def read_rgb(path: str | Path) -> np.ndarray:
    """An image file as ``[H, W, 3]`` float32 in [0, 1], at its own bit depth (a 16-bit grayscale PNG
    is scaled by 65535, not clipped at 255).

    Raises:
        ValueError: naming ``path``: unreadable, not an image, or larger than Pillow's
            decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``).

    Introduced in notebook 01.
    """
    try:
        with Image.open(path) as im:
            if im.mode.startswith("I;16") or im.mode == "I":  # 16-bit grayscale (Pillow reads it as I;16 or I)
                gray = np.asarray(im, dtype=np.float32) / 65535.0
                return np.repeat(gray.clip(0, 1)[..., None], 3, axis=2)
            if im.mode == "F":  # float images: taken as already in [0, 1]
                return np.repeat(np.asarray(im, dtype=np.float32).clip(0, 1)[..., None], 3, axis=2)
            return np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0
    except Image.DecompressionBombError as e:
        raise ValueError(f"image {str(path)!r} is too large to open safely: {e} (shrink the file, or raise "
                         "PIL.Image.MAX_IMAGE_PIXELS if you trust it)") from e
    except (UnidentifiedImageError, OSError) as e:
        raise ValueError(f"cannot read image {str(path)!r}: {e}") from e


class ImageFolder(Dataset):
    """A folder with one sub-folder per class, each holding images; resized to ``image_size``.

    Args:
        root: the folder (``root/<class>/<image>``).
        image_size: side S of the square output images.
    Items: ``(image [3, S, S] float in [0, 1], label)``; ``classes`` lists sub-folder names. Hidden
    folders and files (``.ipynb_checkpoints``, ``.DS_Store``) are skipped.

    Raises:
        ValueError: ``root`` is missing or not a folder, has no class sub-folders, or a class has
            no readable images.

    Introduced in notebook 01.
    """

    def __init__(self, root: str | Path, image_size: int = 32) -> None:
        root = Path(root)
        if not root.is_dir():
            raise ValueError(f"image folder {str(root)!r} does not exist or is not a folder")
        self.classes = tuple(sorted(p.name for p in root.iterdir() if p.is_dir() and _visible(p)))
        if not self.classes:
            raise ValueError(
                f"{str(root)!r} has no class sub-folders: lay images out as root/<class>/<image>.png"
            )
        self.image_size = image_size
        self.items: list[tuple[Path, int]] = []
        for k, name in enumerate(self.classes):
            files = sorted(p for p in (root / name).iterdir()
                           if p.suffix.lower() in IMAGE_SUFFIXES and _visible(p) and p.is_file())
            if not files:
                raise ValueError(f"class folder {str(root / name)!r} has no images ({', '.join(IMAGE_SUFFIXES)})")
            self.items += [(f, k) for f in files]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        path, label = self.items[i]
        x = torch.from_numpy(read_rgb(path)).permute(2, 0, 1)[None]  # [1, 3, H, W]
        x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear", align_corners=False)
        return x[0].clamp(0, 1), label


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Admits only what CIFAR-10 batches hold: dicts, lists, bytes, str, ints and NumPy arrays."""

    _allowed = {
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self._allowed:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")


def _load_batch(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            d = _NumpyOnlyUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError) as e:
        raise ValueError(f"{str(path)!r} is not a CIFAR-10 python batch: {e}") from e
    d = {k.decode() if isinstance(k, bytes) else k: v for k, v in d.items()}
    if "data" not in d or "labels" not in d:
        raise ValueError(f"{str(path)!r} is not a CIFAR-10 python batch (no 'data'/'labels' keys)")
    return d


class CIFAR10Batches(Dataset):
    """CIFAR-10 from its python batches (``cifar-10-batches-py``) already on disk.

    Args:
        root: the folder holding ``data_batch_1`` .. ``data_batch_5`` and ``test_batch``.
        train: the five training batches (True) or the test batch (False).
    Items: ``(image [3, 32, 32] float in [0, 1], label)``.

    Raises:
        ValueError: the folder or a batch is missing or not in CIFAR-10's format.

    Introduced in notebook 01.
    """

    classes = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

    def __init__(self, root: str | Path, train: bool = True) -> None:
        root = Path(root)
        if not root.is_dir():
            raise ValueError(
                f"CIFAR-10 folder {str(root)!r} does not exist: point root at the unpacked "
                "'cifar-10-batches-py' folder"
            )
        names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
        missing = [n for n in names if not (root / n).is_file()]
        if missing:
            raise ValueError(f"{str(root)!r} lacks CIFAR-10 batch file(s): {', '.join(missing)}")
        data, labels = [], []
        for n in names:
            d = _load_batch(root / n)
            arr = np.asarray(d["data"], dtype=np.uint8)
            if arr.ndim != 2 or arr.shape[1] != 3 * 32 * 32:
                raise ValueError(f"{str(root / n)!r}: expected data of shape [N, 3072], got {arr.shape}")
            data.append(arr)
            labels += list(d["labels"])
        self.images = torch.from_numpy(np.concatenate(data)).reshape(-1, 3, 32, 32).float() / 255.0
        self.labels = torch.tensor(labels, dtype=torch.int64)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i], int(self.labels[i])
