import math

import pytest
import torch

from jepa_lab import datasets
from jepa_lab.datasets import SHAPE_CLASSES
from jepa_lab.datasets.shapes import shape_mask


@pytest.mark.parametrize("size", [32, 64])
def test_shapes_deterministic_balanced_in_range(size):
    x, y = datasets.make_shapes(200, size, seed=5)
    x2, y2 = datasets.make_shapes(200, size, seed=5)
    assert x.shape == (200, 3, size, size) and x.dtype == torch.float32
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert y.bincount().tolist() == [20] * 10
    assert 0 <= x.min() and x.max() <= 1
    assert not torch.equal(x, datasets.make_shapes(200, size, seed=6)[0])


def test_every_class_is_drawn_and_distinct():
    coords = torch.linspace(-1, 1, 33)
    v, u = torch.meshgrid(coords, coords, indexing="ij")
    masks = [shape_mask(torch.tensor([k]), u[None], v[None])[0] for k in range(len(SHAPE_CLASSES))]
    for k, m in enumerate(masks):
        assert m.sum() > 20, f"{SHAPE_CLASSES[k]} draws almost nothing"
        for j in range(k):
            assert (m ^ masks[j]).sum() > 20, f"{SHAPE_CLASSES[k]} and {SHAPE_CLASSES[j]} look the same"


def test_shape_is_visible_against_background():
    x, _ = datasets.make_shapes(50, 32, seed=0, noise=0.0)
    # the brightest pixels (shape) are far from the darkest (background) in every image
    flat = x.amax(dim=1).flatten(1)
    assert (flat.max(1).values - flat.min(1).values).min() > 0.4


def test_shapes_bad_args():
    with pytest.raises(ValueError, match="num_classes"):
        datasets.make_shapes(10, 32, num_classes=11)
    with pytest.raises(ValueError, match="image_size"):
        datasets.make_shapes(10, 8)
    with pytest.raises(ValueError, match="scale"):
        datasets.make_shapes(10, 32, scale=(0.5, 0.2))


def test_shapes_dataset_and_split():
    ds = datasets.ShapesDataset(40, 32, seed=1, num_classes=4)
    img, label = ds[3]
    assert img.shape == (3, 32, 32) and isinstance(label, int)
    assert ds.classes == SHAPE_CLASSES[:4]
    train, test = datasets.split(ds, 0.25, seed=0)
    assert len(train) == 30 and len(test) == 10
    assert not set(train.indices) & set(test.indices)
    assert datasets.split(ds, 0.25, seed=0)[1].indices == test.indices
    with pytest.raises(ValueError):
        datasets.split(ds, 1.0)


def test_digits():
    x, y = datasets.make_digits(32, channels=1)
    assert x.shape == (1797, 1, 32, 32) and set(y.tolist()) == set(range(10))
    assert 0 <= x.min() and x.max() <= 1
    assert datasets.DigitsDataset(16)[0][0].shape == (3, 16, 16)
    with pytest.raises(ValueError):
        datasets.make_digits(4)


def test_moving_shapes_move_in_their_direction():
    clips, labels = datasets.make_moving_shapes(32, frames=6, image_size=32, seed=0, noise=0.0)
    assert clips.shape == (32, 3, 6, 32, 32)
    assert torch.equal(clips, datasets.make_moving_shapes(32, frames=6, image_size=32, seed=0, noise=0.0)[0])
    # the centre of mass of the bright pixels moves along the labelled direction
    ys, xs = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    bright = (clips.amax(1) > 0.5).float()  # [B, T, S, S]
    cx = (bright * xs).sum((-1, -2)) / bright.sum((-1, -2))
    cy = (bright * ys).sum((-1, -2)) / bright.sum((-1, -2))
    dx, dy = cx[:, -1] - cx[:, 0], cy[:, -1] - cy[:, 0]
    angle = torch.atan2(dy, dx)
    want = labels["direction"].float() * (2 * torch.pi / 8)
    err = torch.remainder(angle - want + torch.pi, 2 * torch.pi) - torch.pi
    assert err.abs().max() < 0.5


@pytest.mark.parametrize("background", ["contrast", "contrast_texture", "clutter"])
def test_moving_shapes_on_harder_backgrounds_keep_labels_and_a_still_background(background):
    plain, labels = datasets.make_moving_shapes(16, frames=6, image_size=32, seed=3, noise=0.0)
    clips, other = datasets.make_moving_shapes(16, frames=6, image_size=32, seed=3, noise=0.0, background=background)
    assert clips.shape == plain.shape and all(torch.equal(labels[k], other[k]) for k in labels)
    assert 0 <= clips.min() and clips.max() <= 1
    changed = (clips[:, :, 1:] != clips[:, :, :-1]).any(1).any(1)  # [n, S, S]: pixels that ever change
    assert changed.float().mean() < 0.5  # only where the shape passes: the background stands still
    if background != "clutter":  # any brightness, so the shape may be darker or lighter than its background
        assert clips.mean(dim=(1, 2, 3, 4)).std() > 2 * plain.mean(dim=(1, 2, 3, 4)).std()


def test_a_panning_camera_shifts_the_whole_scene_one_pixel_per_frame():
    clips, labels = datasets.make_moving_shapes(24, frames=6, image_size=32, seed=3, noise=0.0, background="pan")
    assert clips.shape == (24, 3, 6, 32, 32) and 0 <= clips.min() and clips.max() <= 1
    assert torch.equal(clips, datasets.make_moving_shapes(24, frames=6, image_size=32, seed=3, noise=0.0,
                                                          background="pan")[0])
    assert set(labels) == {"shape", "direction", "speed", "pan"} and set(labels["pan"].tolist()) <= set(range(8))
    views, pan = datasets.video.panned_backgrounds(24, 6, 32, torch.Generator().manual_seed(0))
    for i in range(24):
        angle = pan[i].item() * torch.pi / 4
        dx, dy = round(math.cos(angle)), round(math.sin(angle))  # y grows down, as for the shape
        later, moved = views[i, :, 1:, 2:-2, 2:-2], views[i, :, :-1].roll((dy, dx), dims=(2, 3))[..., 2:-2, 2:-2]
        assert torch.equal(later, moved)  # each frame is the last one drifted one pixel along the pan
        assert (views[i, :, 1:] != views[i, :, :-1]).any(0).float().mean() > 0.5  # the whole picture changes
    slow, _ = datasets.video.panned_backgrounds(8, 6, 32, torch.Generator().manual_seed(0), every=2)
    assert torch.equal(slow[:, :, 0::2], slow[:, :, 1::2])  # a slow pan: both frames of a tubelet show one view
    assert (slow[:, :, 2] != slow[:, :, 1]).any(1).float().mean() > 0.5  # and it moves between tubelets
    with pytest.raises(ValueError, match="every must be at least 1"):
        datasets.video.panned_backgrounds(2, 6, 32, torch.Generator(), every=0)


@pytest.mark.parametrize("side, cell", [(38, 4), (40, 4), (41, 4), (38, 8), (41, 8)])
def test_a_pan_texture_looks_the_same_everywhere(side, cell):
    """No still view may say where in the texture it sits (and so which way the camera went): the texture
    changes as much from pixel to pixel at the border as in the middle, along both axes, at either blob size."""
    texture = datasets.video.pan_texture(2048, side, torch.Generator().manual_seed(1), cell)
    assert texture.shape == (2048, 3, side, side)
    for axis in (2, 3):
        step = texture.diff(dim=axis).abs().mean(dim=tuple(d for d in range(4) if d != axis))
        assert step.max() / step.min() < 1.05, axis


def test_a_smooth_pan_has_larger_blobs():
    fine = datasets.video.pan_texture(256, 40, torch.Generator().manual_seed(1))
    smooth = datasets.video.pan_texture(256, 40, torch.Generator().manual_seed(1), cell=8)
    step = {name: t.diff(dim=3).abs().mean().item() for name, t in (("fine", fine), ("smooth", smooth))}
    assert step["smooth"] < 0.6 * step["fine"]  # neighbouring pixels differ less: a one-pixel shift changes less
    assert abs(smooth.std() - fine.std()) < 0.3 * fine.std()  # about as much contrast overall
    clips = {b: datasets.make_moving_shapes(16, frames=6, seed=3, noise=0.0, background=b)
             for b in ("pan", "pan_smooth")}
    assert "pan" in clips["pan_smooth"][1] and clips["pan_smooth"][0].shape == (16, 3, 6, 32, 32)
    step = {b: c.diff(dim=4).abs().mean().item() for b, (c, _) in clips.items()}
    assert step["pan_smooth"] < 0.7 * step["pan"]  # the clips are filmed over the larger blobs (0.062 against 0.110)
    for cell in (3, 0, 8.0, True):
        with pytest.raises(ValueError, match="cell must be an even number"):
            datasets.video.pan_texture(2, 40, torch.Generator(), cell=cell)


def test_moving_shapes_bad_args():
    with pytest.raises(ValueError, match="leave"):
        datasets.make_moving_shapes(4, frames=40, image_size=32, speeds=(3.0,))
    with pytest.raises(ValueError, match="background must be one of"):
        datasets.make_moving_shapes(4, background="forest")
    with pytest.raises(ValueError, match="target"):
        datasets.MovingShapesVideo(4, target="colour")
    with pytest.raises(ValueError, match="target must be one of shape, direction, speed, got 'pan'"):
        datasets.MovingShapesVideo(4, target="pan")  # only a panning camera has a pan
    assert datasets.MovingShapesVideo(4, target="pan", background="pan")[0][1] in range(8)
    ds = datasets.MovingShapesVideo(4, frames=4, target="speed")
    assert ds[0][0].shape == (3, 4, 32, 32)
