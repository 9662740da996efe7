import os
import pickle

import numpy as np
import pytest
import torch

from jepa_lab.datasets import CIFAR10Batches, ImageFolder


def _write_folder(root):
    from PIL import Image

    for k, name in enumerate(["cats", "dogs"]):
        (root / name).mkdir(parents=True)
        for i in range(3):
            arr = np.full((10, 12, 3), 40 * (k + 1) + i, dtype=np.uint8)
            Image.fromarray(arr).save(root / name / f"{i}.png")


def test_image_folder(tmp_path):
    _write_folder(tmp_path)
    ds = ImageFolder(tmp_path, image_size=16)
    assert ds.classes == ("cats", "dogs") and len(ds) == 6
    x, y = ds[4]
    assert x.shape == (3, 16, 16) and y == 1
    assert torch.allclose(x, torch.full_like(x, 81 / 255), atol=1e-6)


def test_image_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        ImageFolder(tmp_path / "nope")
    with pytest.raises(ValueError, match="no class sub-folders"):
        ImageFolder(tmp_path)
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="has no images"):
        ImageFolder(tmp_path)
    (tmp_path / "a" / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="cannot read image"):
        ImageFolder(tmp_path)[0]


def test_image_folder_skips_hidden_folders_and_files(tmp_path):
    _write_folder(tmp_path)
    (tmp_path / ".ipynb_checkpoints").mkdir()  # Jupyter leaves one in every folder it opens
    (tmp_path / "cats" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "cats" / "._0.png").write_bytes(b"macOS resource fork")
    ds = ImageFolder(tmp_path, image_size=8)
    assert ds.classes == ("cats", "dogs") and len(ds) == 6
    ds[0]  # the hidden file was not taken for an image


def test_image_folder_reads_16_bit_grayscale_at_its_intensity(tmp_path):
    from PIL import Image

    (tmp_path / "gray").mkdir()
    Image.fromarray(np.full((8, 8), 32768, dtype=np.uint16)).save(tmp_path / "gray" / "half.png")  # 16-bit PNG
    x, _ = ImageFolder(tmp_path, image_size=8)[0]
    assert torch.allclose(x, torch.full_like(x, 32768 / 65535), atol=1e-4)  # half, not white


def test_image_over_the_decompression_bomb_limit_names_its_path(tmp_path, monkeypatch):
    from PIL import Image

    _write_folder(tmp_path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50)  # 10x12 = 120 pixels: over twice the limit
    with pytest.raises(ValueError, match=r"0\.png'? is too large to open safely.*MAX_IMAGE_PIXELS"):
        ImageFolder(tmp_path)[0]


def _write_cifar(root, n=4):
    root.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        d = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), b"labels": list(range(n))}
        with open(root / name, "wb") as f:
            pickle.dump(d, f)


def test_cifar_batches(tmp_path):
    _write_cifar(tmp_path / "c")
    train = CIFAR10Batches(tmp_path / "c", train=True)
    test = CIFAR10Batches(tmp_path / "c", train=False)
    assert len(train) == 20 and len(test) == 4
    x, y = test[2]
    assert x.shape == (3, 32, 32) and y == 2 and 0 <= x.min() and x.max() <= 1


def test_cifar_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        CIFAR10Batches(tmp_path / "missing")
    _write_cifar(tmp_path / "c")
    os.remove(tmp_path / "c" / "data_batch_3")
    with pytest.raises(ValueError, match="data_batch_3"):
        CIFAR10Batches(tmp_path / "c")
    (tmp_path / "c" / "test_batch").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a CIFAR-10"):
        CIFAR10Batches(tmp_path / "c", train=False)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_cifar_refuses_code_in_pickles(tmp_path):
    _write_cifar(tmp_path / "c")
    with open(tmp_path / "c" / "test_batch", "wb") as f:
        pickle.dump({b"data": _Evil(), b"labels": []}, f)
    with pytest.raises(ValueError, match="refusing to load"):
        CIFAR10Batches(tmp_path / "c", train=False)
