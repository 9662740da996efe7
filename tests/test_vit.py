import pytest
import torch
import torch.nn.functional as F
from torch import nn

from jepa_lab import posembed, vit


def _enc(pos="sincos", **kw):
    torch.manual_seed(0)
    return vit.Encoder(image_size=16, patch_size=4, embed_dim=32, depth=2, num_heads=4, pos=pos, **kw).eval()


@pytest.mark.parametrize("pos", vit.POSITIONS)
def test_shapes(pos):
    e = _enc(pos)
    x = torch.rand(3, 3, 16, 16)
    assert e(x).shape == (3, 16, 32)
    idx = torch.randint(16, (3, 5))
    assert e(x, idx).shape == (3, 5, 32)
    p = vit.Predictor(grid=e.grid, embed_dim=32, predictor_dim=16, depth=1, num_heads=2, pos=pos)
    assert p(e(x, idx), idx, torch.randint(16, (3, 4))).shape == (3, 4, 32)


def _masked_reference(e: vit.Encoder, x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Encode all tokens, but let only the tokens in ``idx`` attend to each other; then select."""
    z, rope = e.tokens(x)  # [B, N, D]
    b, n, d = z.shape
    allowed = torch.zeros(b, n, dtype=torch.bool)
    allowed[torch.arange(b)[:, None], idx] = True
    mask = allowed[:, None, None, :]  # keys outside idx are never attended
    for blk in e.blocks:
        a = blk.attn
        h = blk.norm1(z)
        q, k, v = a.qkv(h).reshape(b, n, 3, a.num_heads, a.head_dim).permute(2, 0, 3, 1, 4)
        if rope is not None:
            q, k = posembed.apply_rope(q, rope[:, None]), posembed.apply_rope(k, rope[:, None])
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        z = z + a.proj(att.transpose(1, 2).reshape(b, n, d))
        z = z + blk.mlp(blk.norm2(z))
    return torch.gather(e.norm(z), 1, idx[..., None].expand(-1, -1, d))


@pytest.mark.parametrize("pos", vit.POSITIONS)
def test_index_subset_equals_restricted_full_encoding(pos):
    e = _enc(pos)
    x = torch.rand(2, 3, 16, 16)
    idx = torch.stack([torch.randperm(16)[:6] for _ in range(2)])
    with torch.no_grad():
        assert torch.allclose(e(x, idx), _masked_reference(e, x, idx), atol=1e-5)
        # and without the restriction the answers differ: the subset really is a different input
        assert not torch.allclose(e(x, idx), torch.gather(e(x), 1, idx[..., None].expand(-1, -1, 32)), atol=1e-3)


def test_attention_matches_multihead_attention():
    torch.manual_seed(0)
    ours = vit.Attention(32, 4)
    ref = nn.MultiheadAttention(32, 4, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(ours.qkv.weight)
        ref.in_proj_bias.copy_(ours.qkv.bias)
        ref.out_proj.weight.copy_(ours.proj.weight)
        ref.out_proj.bias.copy_(ours.proj.bias)
        x = torch.randn(2, 10, 32)
        assert torch.allclose(ours(x), ref(x, x, x, need_weights=False)[0], atol=1e-5)
        w = ours.attention_map(x)
        assert w.shape == (2, 4, 10, 10) and torch.allclose(w.sum(-1), torch.ones(2, 4, 10), atol=1e-5)


@pytest.mark.parametrize("axes", [1, 2, 3])
def test_rope_scores_depend_only_on_offsets(axes):
    head_dim = 12 if axes == 3 else 16
    torch.manual_seed(0)
    q, k = torch.randn(head_dim), torch.randn(head_dim)
    pos = torch.arange(10)[:, None].repeat(1, axes).float()  # move along the diagonal of the grid
    ang = posembed.rope_angles(pos, head_dim)
    qs = posembed.apply_rope(q.expand(10, -1), ang)
    ks = posembed.apply_rope(k.expand(10, -1), ang)
    scores = qs @ ks.T  # [10, 10]
    for off in range(-3, 4):
        d = torch.diagonal(scores, off)
        assert torch.allclose(d, d[0].expand_as(d), atol=1e-4), f"offset {off} not constant"
    assert torch.allclose(qs.norm(dim=1), q.norm().expand(10), atol=1e-5)  # rotations keep norms


def test_bad_configs_raise():
    with pytest.raises(ValueError, match="not divisible by num_heads"):
        vit.Encoder(image_size=16, patch_size=4, embed_dim=30, num_heads=4)
    with pytest.raises(ValueError, match="RoPE over 2"):
        vit.Encoder(image_size=16, patch_size=4, embed_dim=36, num_heads=6, pos="rope")  # head_dim 6
    with pytest.raises(ValueError, match="pos must be"):
        vit.Encoder(image_size=16, patch_size=4, embed_dim=32, num_heads=4, pos="alibi")
    with pytest.raises(ValueError, match="not divisible"):
        vit.Encoder(image_size=18, patch_size=4)
    with pytest.raises(ValueError, match="unknown size"):
        vit.build_encoder("huge", image_size=16, patch_size=4)
    e = _enc()
    with pytest.raises(ValueError, match="must lie in 0..15"):
        e(torch.rand(1, 3, 16, 16), torch.tensor([[0, 16]]))
    with pytest.raises(ValueError, match="PatchEmbed was built"):
        e(torch.rand(1, 3, 32, 32))


def test_video_encoder_with_3d_rope_and_sincos():
    for pos in ("rope", "sincos", "rope_sincos"):
        e = vit.Encoder(image_size=16, patch_size=4, frames=4, tubelet=2, embed_dim=48, depth=1, num_heads=2, pos=pos)
        assert e.grid == (2, 4, 4)
        assert e(torch.rand(2, 3, 4, 16, 16)).shape == (2, 32, 48)


@pytest.mark.parametrize("pos", ["sincos", "rope"])
def test_for_frames_runs_longer_clips_with_the_same_weights(pos):
    from jepa_lab import jepa

    e = vit.Encoder(image_size=16, patch_size=8, frames=4, tubelet=2, embed_dim=48, depth=1, num_heads=2, pos=pos)
    model = jepa.JEPA(encoder=e, predictor_dim=24, predictor_depth=1, predictor_heads=2)
    longer = model.for_frames(8)
    assert longer.context_encoder.grid == (4, 2, 2) and model.context_encoder.grid == (2, 2, 2)  # original untouched
    assert longer.predictor.grid == (4, 2, 2)
    x = torch.rand(2, 3, 4, 16, 16)
    first = torch.arange(8)[None].expand(2, -1)  # the first 2 time steps of the longer grid: same positions
    twice = torch.cat([x, x], dim=2)
    assert torch.allclose(model.context_encoder(x), longer.context_encoder(twice, first), atol=1e-6)
    ctx, tgt = torch.tensor([[0, 1, 8, 9]] * 2), [torch.tensor([[2, 3, 12, 13]] * 2)]
    assert torch.isfinite(longer(torch.rand(2, 3, 8, 16, 16), ctx, tgt))
    with pytest.raises(ValueError, match="tubelet depth 2"):
        model.for_frames(7)


@pytest.mark.parametrize("pos", ["sincos", "rope", "rope_sincos"])
def test_rotary_time_makes_features_independent_of_when_a_clip_starts(pos):
    # The same two tubelet steps, placed at time steps 0-1 or 2-3 of a longer grid: relative (rotary) time
    # gives the same features wherever they sit; an absolute sin-cos table over time does not.
    from jepa_lab import posembed

    e = vit.Encoder(image_size=16, patch_size=8, frames=4, tubelet=2, embed_dim=48, depth=2, num_heads=2, pos=pos)
    longer = e.for_frames(8)
    x = torch.rand(2, 3, 4, 16, 16)
    twice = torch.cat([x, x], dim=2)
    early, late = (torch.arange(a, a + 8)[None].expand(2, -1) for a in (0, 8))
    same = torch.allclose(longer(twice, early), longer(twice, late), atol=1e-5)
    assert same == (pos in vit.ROPE)
    if pos == "rope_sincos":  # space stays absolute: one 2-D table, repeated at every time step
        table = longer.pos.table[0]
        assert torch.equal(table[:4], posembed.sincos_2d((2, 2), 48)) and torch.equal(table[:4], table[12:])


@pytest.mark.parametrize("pos", ["sincos", "rope", "rope_sincos"])
def test_stretched_positions_squeeze_a_longer_clip_into_the_trained_time_range(pos):
    # Position interpolation: with stretch, time step 2k of a clip twice as long sits where step k sat in
    # training (both the encoders' and the predictor's positions); the model's own length is unchanged.
    from jepa_lab import jepa

    e = vit.Encoder(image_size=16, patch_size=8, frames=4, tubelet=2, embed_dim=48, depth=1, num_heads=2, pos=pos)
    model = jepa.JEPA(encoder=e, predictor_dim=24, predictor_depth=1, predictor_heads=2)
    stretched, extended = model.for_frames(8, stretch=True), model.for_frames(8)
    per_step = 4  # 2 x 2 places per time step
    for get in (lambda m: m.context_encoder.pos, lambda m: m.target_encoder.pos, lambda m: m.predictor.pos):
        old, new, ext = get(model), get(stretched), get(extended)
        assert new.time_scale == 0.5 and ext.time_scale == 1.0
        field = "angles" if pos in vit.ROPE else "table"
        trained, squeezed, longer = (getattr(p, field).reshape(-1, per_step, getattr(p, field).shape[-1])
                                     for p in (old, new, ext))
        assert torch.allclose(squeezed[::2], trained, atol=1e-6)  # steps 0 and 2 where the trained 0 and 1 were
        assert not torch.allclose(squeezed[1], trained[0], atol=1e-3)  # half-way steps fall in between
        assert torch.allclose(longer[:2], trained, atol=1e-6)  # extending keeps the spacing
    same = model.for_frames(4, stretch=True)
    x = torch.rand(2, 3, 4, 16, 16)
    assert torch.allclose(same.context_encoder(x), model.context_encoder(x), atol=1e-6)  # its own length: itself
    assert same.predictor.pos.time_scale == 1.0
    assert torch.equal(getattr(same.predictor.pos, field), getattr(model.predictor.pos, field))
    twice = stretched.context_encoder.for_frames(16, stretch=True)  # stretching twice composes
    assert twice.pos.time_scale == 0.25 == model.context_encoder.for_frames(16, stretch=True).pos.time_scale
    ctx, tgt = torch.tensor([[0, 1, 8, 9]] * 2), [torch.tensor([[2, 3, 12, 13]] * 2)]
    assert torch.isfinite(stretched(torch.rand(2, 3, 8, 16, 16), ctx, tgt))


@pytest.mark.parametrize("scale", [0, -1.0, float("nan"), float("inf"), "half", True])
def test_time_scale_must_be_a_positive_number(scale):
    from jepa_lab import posembed

    with pytest.raises(ValueError, match="time_scale must be a positive finite number"):
        posembed.sincos_3d((2, 2, 2), 48, scale)
    e = vit.Encoder(image_size=16, patch_size=8, frames=4, tubelet=2, embed_dim=48, depth=1, num_heads=2, pos="rope")
    with pytest.raises(ValueError, match="time_scale must be a positive finite number"):
        e.pos.regrid((4, 2, 2), scale)


def test_for_frames_refuses_learned_positions_and_image_encoders():
    e = vit.Encoder(image_size=16, patch_size=8, frames=4, tubelet=2, embed_dim=48, depth=1, num_heads=2,
                    pos="learned")
    with pytest.raises(ValueError, match="use pos='sincos', 'rope' or 'rope_sincos'"):
        e.for_frames(8)
    with pytest.raises(ValueError, match="video encoder"):
        _enc().for_frames(8)


def test_sizes_have_expected_params():
    from jepa_lab.runtime import count_params

    counts = {s: count_params(vit.build_encoder(s, image_size=32, patch_size=4)) for s in ("nano", "tiny")}
    assert counts["nano"] < 200_000 and 5_000_000 < counts["tiny"] < 6_000_000  # ViT-Ti is ~5.7M at 224px


@pytest.mark.parametrize("pos", vit.POSITIONS)
def test_block_outputs_end_with_the_encoder_output(pos):
    e = _enc(pos)
    x, idx = torch.rand(3, 3, 16, 16), torch.randint(16, (3, 5))
    before = e(x).clone()
    outs = e.block_outputs(x)
    assert outs.shape == (2, 3, 16, 32)
    assert torch.allclose(outs[-1], e(x), atol=1e-6) and torch.equal(e(x), before)  # forward is unchanged
    assert torch.allclose(e.block_outputs(x, idx)[-1], e(x, idx), atol=1e-6)
    raw = e.block_outputs(x, norm=False)
    assert torch.allclose(e.norm(raw[-1]), e(x), atol=1e-6) and not torch.allclose(raw[0], outs[0])


def test_attention_maps_shape():
    e = _enc()
    maps = e.attention_maps(torch.rand(2, 3, 16, 16))
    assert maps.shape == (2, 2, 4, 16, 16)
