import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from jepa_lab import masks


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


def _check_sample(m: masks.MaskSample, disjoint: bool = True):
    n = math.prod(m.grid)
    for idx in [m.ctx_idx, *m.tgt_idx]:
        assert idx.dtype == torch.int64
        assert idx.numel() == 0 or (0 <= idx.min() and idx.max() < n)
        assert idx.unique().numel() == idx.numel(), "duplicate indices"
    assert m.ctx_idx.numel() >= 1 and all(t.numel() >= 1 for t in m.tgt_idx)
    if disjoint:
        assert masks.mask_stats(m)["disjoint"]


grids2 = st.tuples(st.integers(4, 16), st.integers(4, 16))


@settings(max_examples=40, deadline=None)
@given(grid=grids2, keep=st.floats(0.1, 0.9), seed=st.integers(0, 2**31))
def test_random_properties(grid, keep, seed):
    m = masks.sample_random(grid, _g(seed), keep_ratio=keep)
    _check_sample(m)
    n = math.prod(grid)
    assert m.ctx_idx.numel() == round(keep * n) and m.ctx_idx.numel() + m.tgt_idx[0].numel() == n
    assert torch.equal(m.ctx_idx, masks.sample_random(grid, _g(seed), keep_ratio=keep).ctx_idx)


@settings(max_examples=40, deadline=None)
@given(grid=grids2, data=st.data(), seed=st.integers(0, 2**31))
def test_block_properties(grid, data, seed):
    bh = data.draw(st.integers(1, grid[0] - 1))
    bw = data.draw(st.integers(1, grid[1]))
    m = masks.sample_block(grid, _g(seed), block=(bh, bw))
    _check_sample(m)
    t = m.tgt_idx[0]
    rows, cols = t // grid[1], t % grid[1]
    assert t.numel() == bh * bw and rows.max() - rows.min() == bh - 1 and cols.max() - cols.min() == bw - 1


@settings(max_examples=40, deadline=None)
@given(grid=st.tuples(st.integers(6, 16), st.integers(6, 16)), k=st.integers(1, 4),
       lo=st.floats(0.05, 0.15), seed=st.integers(0, 2**31))
def test_multiblock_properties(grid, k, lo, seed):
    params = dict(num_targets=k, target_scale=(lo, lo + 0.05), min_context=2)
    m = masks.sample_multiblock(grid, _g(seed), **params)
    _check_sample(m)
    assert len(m.tgt_idx) == k
    n = math.prod(grid)
    for t in m.tgt_idx:  # block areas near the requested scale (rounding of sides allowed)
        assert t.numel() <= max((lo + 0.05) * n * 2.5, 4)
    again = masks.sample_multiblock(grid, _g(seed), **params)
    assert torch.equal(m.ctx_idx, again.ctx_idx) and all(map(torch.equal, m.tgt_idx, again.tgt_idx))


@settings(max_examples=25, deadline=None)
@given(t=st.integers(1, 6), grid=st.tuples(st.integers(4, 10), st.integers(4, 10)), seed=st.integers(0, 2**31))
def test_tube_is_the_same_in_every_frame(t, grid, seed):
    m = masks.sample_tube((t, *grid), _g(seed), spatial="multiblock", num_targets=2, min_context=2)
    _check_sample(m)
    hw = grid[0] * grid[1]
    frames = [set((m.ctx_idx[(m.ctx_idx // hw) == f] % hw).tolist()) for f in range(t)]
    assert all(f == frames[0] for f in frames)


@settings(max_examples=25, deadline=None)
@given(t=st.integers(2, 8), seed=st.integers(0, 2**31), ts=st.floats(0.2, 1.0))
def test_multiblock3d_properties(t, seed, ts):
    m = masks.sample("multiblock3d", (t, 8, 8), _g(seed), num_targets=3, temporal_scale=(ts, 1.0))
    _check_sample(m)
    union = set().union(*(set(x.tolist()) for x in m.tgt_idx))
    assert len(union) + m.ctx_idx.numel() == t * 64  # context is exactly the complement


def test_per_frame_changes_between_frames():
    m = masks.sample("per_frame", (4, 8, 8), _g(0), keep_ratio=0.5)
    _check_sample(m)
    per = [set((m.ctx_idx[(m.ctx_idx // 64) == f] % 64).tolist()) for f in range(4)]
    assert all(len(p) == 32 for p in per) and per[0] != per[1]


@pytest.mark.parametrize("call,match", [
    (lambda: masks.sample_random((8, 8), _g(), keep_ratio=1.0), "keep_ratio"),
    (lambda: masks.sample_random((8, 8), _g(), keep_ratio=0.0), "keep_ratio"),
    (lambda: masks.sample_random((2, 2), _g(), keep_ratio=0.1), "at least one context"),
    (lambda: masks.sample_block((8, 8), _g(), block=9), "does not fit"),
    (lambda: masks.sample_block((8, 8), _g(), block=8), "does not fit"),
    (lambda: masks.sample_multiblock((8, 8), _g(), target_scale=(0.3, 0.1)), "target_scale"),
    (lambda: masks.sample_multiblock((8, 8), _g(), context_scale=(0.5, 1.2)), "context_scale"),
    (lambda: masks.sample_multiblock((8, 8), _g(), num_targets=0), "num_targets"),
    (lambda: masks.sample_multiblock((8, 8), _g(), num_targets=8, target_scale=(0.9, 1.0)), "min_context"),
    (lambda: masks.sample_multiblock((8, 8, 8), _g()), "grid"),
    (lambda: masks.sample_tube((8, 8), _g()), "grid"),
    (lambda: masks.sample_tube((2, 8, 8), _g(), spatial="tube"), "spatial"),
    (lambda: masks.sample("nope", (8, 8), _g()), "choose one of"),
    (lambda: masks.sample("multiblock3d", (2, 4, 4), _g(), num_targets=20, spatial_scale=(0.9, 1.0)),
     "min_context"),
])
def test_bad_parameters_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_collate_truncates_to_shortest_and_reports():
    g = _g(1)
    b = masks.sample_batch("multiblock", (14, 14), 64, g)
    assert b.ctx_idx.shape[0] == 64 and len(b.tgt_idx) == 4
    assert 0 < b.ctx_kept <= 1 and 0 < b.tgt_kept <= 1
    ctx, tgt = masks.boolean_masks("multiblock", (14, 14), 64, _g(1))
    b2 = masks.collate(ctx, tgt, _g(2))
    assert b2.ctx_idx.shape[1] == int(ctx.sum(1).min())
    for row in range(64):  # kept indices are a subset of that row's context, sorted
        kept = b2.ctx_idx[row]
        assert ctx[row, kept].all() and torch.equal(kept, kept.sort().values)
        for k, t in enumerate(b2.tgt_idx):
            assert tgt[row, k, t[row]].all()
    assert b2.ctx_kept == pytest.approx(b2.ctx_idx.numel() / int(ctx.sum()))


def test_collate_equal_masks_lose_nothing():
    b = masks.sample_batch("random", (8, 8), 16, _g(), keep_ratio=0.25)
    assert b.ctx_kept == 1.0 and b.tgt_kept == 1.0 and b.ctx_idx.shape == (16, 16)


def test_collate_samples_and_errors():
    g = _g(3)
    samples = [masks.sample_multiblock((10, 10), g) for _ in range(5)]
    b = masks.collate_samples(samples, g)
    assert b.ctx_idx.shape[0] == 5 and b.ctx_idx.shape[1] == min(s.ctx_idx.numel() for s in samples)
    with pytest.raises(ValueError, match="empty list"):
        masks.collate_samples([], g)
    with pytest.raises(ValueError, match="same grid"):
        masks.collate_samples([samples[0], masks.sample_random((10, 10), g, keep_ratio=0.5)], g)
    with pytest.raises(ValueError, match="empty context"):
        masks.collate(torch.zeros(2, 4, dtype=torch.bool), torch.ones(2, 1, 4, dtype=torch.bool), g)


def test_coverage_shows_border_undersampling():
    cov = masks.coverage("multiblock", (14, 14), 2000, _g())
    assert cov.shape == (14, 14) and 0 <= cov.min() and cov.max() <= 1
    assert cov[6:8, 6:8].mean() > 2 * cov[0, :].mean()


def test_feature_masks():
    assert masks.sample_feature_mask("position").tolist() == [0, 1]
    assert masks.sample_feature_mask("velocity").tolist() == [2, 3]
    assert masks.sample_feature_mask("all", dim=4).tolist() == [0, 1, 2, 3]
    assert masks.sample_feature_mask("none").numel() == 0
    idx = masks.sample_feature_mask("random_k", 6, _g(), k=3)
    assert idx.numel() == 3 and idx.unique().numel() == 3 and idx.max() < 6
    assert torch.equal(idx, masks.sample_feature_mask("random_k", 6, _g(), k=3))
    x = torch.ones(5, 4)
    assert masks.apply_feature_mask(x, torch.tensor([0, 1]))[:, :2].abs().sum() == 0 and x.sum() == 20
    with pytest.raises(ValueError, match="k must be"):
        masks.sample_feature_mask("random_k", 4, _g(), k=5)
    with pytest.raises(ValueError, match="choose one of"):
        masks.sample_feature_mask("speed")


def test_leaked_tokens_and_video_masks():
    g = torch.Generator().manual_seed(0)
    grid = (4, 3, 3)
    tube = masks.sample_video_batch("tube", grid, 8, g, keep_ratio=0.5)
    assert not masks.leaked_tokens(tube.ctx_idx, grid).any()  # nothing to copy from a neighbouring time step
    per_frame = masks.sample_video_batch("per_frame", grid, 8, g, keep_ratio=0.5)
    leak = masks.leaked_tokens(per_frame.ctx_idx, grid)
    ctx = torch.zeros(8, 36, dtype=torch.bool).scatter_(1, per_frame.ctx_idx, True)
    assert leak.any() and not (leak & ctx).any()
    # a token is leaked exactly when its place is visible one step before or after
    c = ctx.view(8, 4, 9)
    want = torch.zeros_like(c)
    want[:, 1:] |= c[:, :-1]
    want[:, :-1] |= c[:, 1:]
    assert torch.equal(leak, (want & ~c).flatten(1))
    with pytest.raises(ValueError, match="tube, per_frame, multiblock3d"):
        masks.sample_video_batch("multiblock", grid, 2, g)
    with pytest.raises(ValueError, match="keep_ratio"):
        masks.sample_video_batch("tube", grid, 2, g, keep_ratio=1.0)


def test_multiblock3d_video_masks_hide_most_of_the_clip_in_blocks_through_time():
    g = torch.Generator().manual_seed(0)
    grid = (4, 4, 4)
    tube = masks.sample_video_batch("tube", grid, 16, g, keep_ratio=0.25)
    for _ in range(4):  # either of V-JEPA's two settings may be drawn
        mb = masks.sample_video_batch("multiblock3d", grid, 16, g)
        ctx = torch.zeros(16, 64, dtype=torch.bool).scatter_(1, mb.ctx_idx, True)
        tgt = torch.zeros(16, 64, dtype=torch.bool).scatter_(1, mb.tgt_idx[0], True)
        assert len(mb.tgt_idx) == 1 and not (ctx & tgt).any()
        assert 1 <= mb.ctx_idx.shape[1] < tube.ctx_idx.shape[1]  # less context than a 25 % tube
    setting = masks.MULTIBLOCK3D[0]
    ctx, blocks = masks.masks_multiblock3d(grid, 8, g, **setting)
    per_step = blocks.any(1).view(8, 4, 16)
    assert (per_step == per_step[:, :1]).all()  # before the collator cuts, a block hides the same places at every step


def test_named_samplers_take_grid_then_generator_and_old_names_still_work():
    a = masks.sample_random((8, 8), _g(3), keep_ratio=0.5)
    assert torch.equal(a.ctx_idx, masks.sample("random", (8, 8), _g(3), keep_ratio=0.5).ctx_idx)
    with pytest.raises(TypeError):
        masks.sample_random((8, 8), 0.5, _g(3))  # the old (grid, keep_ratio, generator) order fails loudly
    assert masks.masks is masks.boolean_masks
