import pytest
import torch

from jepa_lab import posembed


def test_sincos_1d_values():
    t = posembed.sincos_1d(torch.arange(5), 8)
    assert t.shape == (5, 8)
    assert torch.allclose(t[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    assert torch.allclose(t[:, 0], torch.arange(5).float().sin(), atol=1e-6)  # w_0 = 1


def test_sincos_2d_shape_and_distinct_rows():
    t = posembed.sincos_2d((4, 6), 32)
    assert t.shape == (24, 32)
    assert torch.unique(t, dim=0).shape[0] == 24  # every position has its own vector
    # the row half is shared along a row, the column half along a column
    assert torch.equal(t[0, :16], t[5, :16]) and torch.equal(t[0, 16:], t[6, 16:])


def test_sincos_3d_matches_time_major_order():
    t = posembed.sincos_3d((2, 3, 3), 16)
    assert t.shape == (18, 16)
    assert torch.equal(t[0, 8:], t[9, 8:])  # same (row, col) in both time steps
    assert not torch.equal(t[0, :8], t[9, :8])


def test_grid_coords_space_time_steps_time_scale_apart():
    c = posembed.grid_coords((4, 2, 3), 0.25)
    assert c.shape == (24, 3) and c.dtype == torch.float64
    assert torch.equal(c[:, 0].unique(), torch.tensor([0.0, 0.25, 0.5, 0.75], dtype=torch.float64))
    assert torch.equal(c[:, 1:], posembed.grid_coords((4, 2, 3))[:, 1:])  # rows and columns untouched
    assert torch.equal(posembed.grid_coords((2, 3), 0.25), posembed.grid_coords((2, 3)))  # images have no time
    # the sin-cos table takes its coordinates from here: time step 2k at scale 1/2 is step k at scale 1
    half, whole = posembed.sincos_3d((8, 2, 2), 16, 0.5), posembed.sincos_3d((4, 2, 2), 16)
    assert torch.allclose(half.reshape(8, 4, 16)[::2], whole.reshape(4, 4, 16))
    with pytest.raises(ValueError, match="time_scale"):
        posembed.grid_coords((2, 2, 2), 0.0)


def test_similarity_decreases_with_distance():
    grid = (8, 8)
    sim = posembed.similarity_map(posembed.sincos_2d(grid, 64), 27, grid).flatten()
    assert sim.argmax() == 27
    assert sim[28] > sim[30] > sim[31]


@pytest.mark.parametrize("fn,args", [(posembed.sincos_1d, (torch.arange(3), 7)),
                                      (posembed.sincos_2d, ((2, 2), 6)),
                                      (posembed.sincos_3d, ((2, 2, 2), 12))])
def test_bad_widths_raise(fn, args):
    with pytest.raises(ValueError, match="divisible|even"):
        fn(*args)
