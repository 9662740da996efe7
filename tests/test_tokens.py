import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from jepa_lab import tokens


@settings(max_examples=40, deadline=None)
@given(b=st.integers(1, 3), c=st.integers(1, 4), gh=st.integers(1, 5), gw=st.integers(1, 5), p=st.integers(1, 6))
def test_patchify_round_trip(b, c, gh, gw, p):
    x = torch.rand(b, c, gh * p, gw * p)
    t = tokens.patchify(x, p)
    assert t.shape == (b, gh * gw, p * p * c)
    assert torch.equal(tokens.unpatchify(t, p, (gh, gw), c), x)


def test_patchify_order_is_row_major_and_ppc():
    x = torch.arange(2 * 4 * 4, dtype=torch.float32).reshape(1, 2, 4, 4)  # [B, C, H, W]
    t = tokens.patchify(x, 2)
    # token 1 is the top-right patch; its first values are pixel (0, 2) of channel 0 then channel 1
    assert t[0, 1, 0] == x[0, 0, 0, 2] and t[0, 1, 1] == x[0, 1, 0, 2]
    assert t[0, 2, 0] == x[0, 0, 2, 0]  # token 2 starts the second row of patches


@settings(max_examples=25, deadline=None)
@given(nt=st.integers(1, 3), t=st.integers(1, 3), g=st.integers(1, 3), p=st.integers(1, 4))
def test_patchify_video_round_trip(nt, t, g, p):
    x = torch.rand(2, 3, nt * t, g * p, g * p)
    tok = tokens.patchify_video(x, t, p)
    assert tok.shape == (2, nt * g * g, t * p * p * 3)
    assert torch.equal(tokens.unpatchify_video(tok, t, p, (nt, g, g), 3), x)


def test_indivisible_size_names_nearest_sizes():
    with pytest.raises(ValueError, match="resize to 28 or 32"):
        tokens.patchify(torch.zeros(1, 3, 30, 30), 4)
    with pytest.raises(ValueError, match="smaller than the patch"):
        tokens.grid_size(8, 16)
    with pytest.raises(ValueError, match="frame count"):
        tokens.patchify_video(torch.zeros(1, 3, 5, 8, 8), 2, 4)
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        tokens.patchify(torch.zeros(3, 8, 8), 4)


def test_unpatchify_rejects_wrong_grid():
    with pytest.raises(ValueError, match="do not fit"):
        tokens.unpatchify(torch.zeros(1, 5, 12), 2, (2, 2), 3)


@pytest.mark.parametrize("size,p", [(32, 4), (32, 8), (64, 16)])
def test_patch_embed_equals_unfold_plus_linear(size, p):
    torch.manual_seed(0)
    emb = tokens.PatchEmbed(image_size=size, patch_size=p, in_chans=3, embed_dim=24)
    x = torch.rand(2, 3, size, size)
    with torch.no_grad():
        a = emb(x)
        b = tokens.linear_from_conv(emb)(tokens.patchify(x, p))
    assert a.shape == (2, (size // p) ** 2, 24)
    assert torch.allclose(a, b, atol=1e-5)


def test_tubelet_embed_equals_linear_and_counts():
    torch.manual_seed(0)
    emb = tokens.TubeletEmbed(frames=8, image_size=16, patch_size=4, tubelet=2, embed_dim=16)
    x = torch.rand(2, 3, 8, 16, 16)
    with torch.no_grad():
        a = emb(x)
        b = tokens.linear_from_conv(emb)(tokens.patchify_video(x, 2, 4))
    assert a.shape == (2, 4 * 4 * 4, 16) and emb.num_patches == 64
    assert torch.allclose(a, b, atol=1e-5)


def test_embed_rejects_wrong_input():
    emb = tokens.PatchEmbed(image_size=32, patch_size=8)
    with pytest.raises(ValueError, match="image_size=64"):
        emb(torch.zeros(1, 3, 64, 64))
    with pytest.raises(ValueError, match="not divisible"):
        tokens.PatchEmbed(image_size=30, patch_size=8)
    tub = tokens.TubeletEmbed(frames=8, image_size=16, patch_size=4)
    with pytest.raises(ValueError, match="multiple of tubelet"):
        tub(torch.zeros(1, 3, 7, 16, 16))
    with pytest.raises(ValueError, match="frame count"):
        tokens.TubeletEmbed(frames=7, image_size=16, patch_size=4, tubelet=2)


def test_num_tokens():
    assert tokens.num_tokens(224, 16) == 196
    assert tokens.num_tokens(224, 16, frames=16, tubelet=2) == 8 * 196
