import pytest
import torch

from jepa_lab import jepa, losses, masks, tokens, vit
from jepa_lab.datasets import make_shapes


def _model(**kw):
    torch.manual_seed(0)
    enc = vit.Encoder(image_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=4)
    return jepa.JEPA(encoder=enc, predictor_dim=16, predictor_depth=1, predictor_heads=2, **kw)


def _batch(b=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return masks.sample_batch("multiblock", (4, 4), b, g, num_targets=2, min_context=2)


def test_step_shapes_and_no_gradient_to_target():
    model = _model()
    x = make_shapes(8, 32, seed=0)[0]
    mb = _batch()
    z_tgt = model.forward_target(x, mb.tgt_idx)
    z_pred = model.forward_context(x, mb.ctx_idx, mb.tgt_idx)
    assert [t.shape for t in z_tgt] == [p.shape for p in z_pred] == [(8, i.shape[1], 32) for i in mb.tgt_idx]
    assert not any(t.requires_grad for t in z_tgt)
    model.loss(z_pred, z_tgt).backward()
    assert all(p.grad is None for p in model.target_encoder.parameters())
    assert model.context_encoder.blocks[0].attn.qkv.weight.grad is not None


def test_target_features_are_layer_normed():
    model = _model()
    z = model.forward_target(make_shapes(2, 32)[0], [torch.arange(16).expand(2, -1)])[0]
    assert torch.allclose(z.mean(-1), torch.zeros(2, 16), atol=1e-5)


def test_ema_update():
    model = _model()
    with torch.no_grad():
        for p in model.context_encoder.parameters():
            p.add_(1.0)
    before = [p.clone() for p in model.target_encoder.parameters()]
    model.ema_update(1.0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.target_encoder.parameters(), strict=True))
    model.ema_update(0.75)
    for b, t, c in zip(before, model.target_encoder.parameters(), model.context_encoder.parameters(), strict=True):
        assert torch.allclose(t, 0.75 * b + 0.25 * c, atol=1e-6)
    model.ema_update(0.0)
    assert all(torch.equal(t, c) for t, c in zip(model.target_encoder.parameters(),
                                                  model.context_encoder.parameters(), strict=True))
    with pytest.raises(ValueError, match="momentum"):
        model.ema_update(1.5)


def test_a_few_steps_reduce_the_loss():
    model = _model()
    x = make_shapes(32, 32, seed=0)[0]
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    mb = _batch(32)
    first = None
    for _ in range(30):
        loss = model(x, mb.ctx_idx, mb.tgt_idx)
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.ema_update(0.996)
        first = first if first is not None else loss.item()
    assert loss.item() < 0.7 * first


@pytest.mark.parametrize("kind", losses.LATENT_LOSSES)
def test_latent_losses(kind):
    a, b = torch.zeros(2, 3, 4), torch.full((2, 3, 4), 3.0)
    want = {"l1": 3.0, "l2": 9.0, "smooth_l1": 2.5}[kind]
    assert losses.latent_loss(a, b, kind).item() == pytest.approx(want)
    assert losses.latent_loss(a, a, kind).item() == 0


def test_bad_input():
    with pytest.raises(ValueError, match="choose one of"):
        losses.latent_loss(torch.zeros(2), torch.zeros(2), "cosine")
    with pytest.raises(ValueError, match="differ in shape"):
        losses.latent_loss(torch.zeros(2), torch.zeros(3))
    with pytest.raises(ValueError, match="choose one of"):
        _model(loss="huber")
    with pytest.raises(ValueError, match="non-zero number"):
        _model().loss([], [])


def test_vicreg_terms_prove_their_claims():
    g = torch.Generator().manual_seed(0)
    spread = torch.randn(4000, 16, generator=g) * 2.0  # std 2 >= gamma 1 in every dimension
    assert losses.variance_term(spread).item() == 0.0
    collapsed = torch.ones(100, 16) + 1e-6 * torch.randn(100, 16, generator=g)
    assert losses.variance_term(collapsed).item() == pytest.approx(1.0, abs=0.02)
    decorrelated = torch.randn(20000, 8, generator=g)
    correlated = decorrelated[:, :1].expand(-1, 8) + 0.01 * decorrelated
    assert losses.covariance_term(decorrelated).item() < 0.01
    assert losses.covariance_term(correlated).item() > 5.0


def test_vicreg_weights_add_to_the_loss():
    x = make_shapes(8, 32, seed=0)[0]
    mb = _batch()
    plain = _model()(x, mb.ctx_idx, mb.tgt_idx)
    guarded = _model(var_weight=1.0, cov_weight=0.04)(x, mb.ctx_idx, mb.tgt_idx)
    assert guarded.item() > plain.item()


def test_wrong_images_for_the_model_say_what_to_change():
    model, mb = _model(), _batch()
    with pytest.raises(ValueError, match="build it with image_size=64"):
        model(torch.zeros(8, 3, 64, 64), mb.ctx_idx, mb.tgt_idx)
    with pytest.raises(ValueError, match="3-channel images"):
        model(torch.zeros(8, 1, 32, 32), mb.ctx_idx, mb.tgt_idx)
    with pytest.raises(ValueError, match="at least 1"):
        make_shapes(0)  # an empty dataset


def test_pure_functions_match_the_model():
    model, mb = _model(), _batch()
    x = make_shapes(8, 32, seed=0)[0]
    z_tgt = model.forward_target(x, mb.tgt_idx)
    z_pred = model.forward_context(x, mb.ctx_idx, mb.tgt_idx)
    assert torch.equal(model.loss(z_pred, z_tgt), jepa.block_loss(z_pred, z_tgt, "smooth_l1"))
    # blocks of different sizes: the mean over blocks is not the mean over all tokens
    a, b = [torch.ones(1, 1, 2), torch.zeros(1, 3, 2)], [torch.zeros(1, 1, 2), torch.zeros(1, 3, 2)]
    assert jepa.block_loss(a, b, "l1").item() == pytest.approx(0.5)
    before = [p.clone() for p in model.target_encoder.parameters()]
    online = list(model.context_encoder.parameters())
    with torch.no_grad():
        for p in online:
            p.add_(1.0)
    want = jepa.ema(before, online, 0.9)
    model.ema_update(0.9)
    assert all(torch.allclose(p, w) for p, w in zip(model.target_encoder.parameters(), want, strict=True))
    with pytest.raises(ValueError, match="pair up"):
        jepa.ema(before, online[:1], 0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        jepa.ema(before, online, 1.5)


def test_pred_weight_zero_leaves_only_the_regulariser():
    model, mb = _model(var_weight=1.0, cov_weight=0.04, pred_weight=0.0), _batch()
    x = make_shapes(8, 32, seed=0)[0]
    z = model.context_encoder(x, mb.ctx_idx).reshape(-1, 32)
    want = losses.variance_term(z) + 0.04 * losses.covariance_term(z)
    assert torch.allclose(model(x, mb.ctx_idx, mb.tgt_idx), want)


def test_ablation_switches():
    x, mb = make_shapes(8, 32, seed=0)[0], _batch()
    grads = {}
    for stop in (True, False):
        model = _model(target="online", stop_grad=stop)
        z = model.forward_target(x, mb.tgt_idx)
        with torch.no_grad():
            h = torch.nn.functional.layer_norm(model.context_encoder(x), (32,))
        assert torch.allclose(z[0], tokens.gather_tokens(h, mb.tgt_idx[0]), atol=1e-6)  # the online encoder
        assert z[0].requires_grad is (not stop)
        model(x, mb.ctx_idx, mb.tgt_idx).backward()
        grads[stop] = model.context_encoder.patch_embed.proj.weight.grad.clone()
        before = [p.clone() for p in model.target_encoder.parameters()]
        model.ema_update(0.5)  # nothing to update: the target is the online encoder
        assert all(torch.equal(a, b) for a, b in zip(before, model.target_encoder.parameters(), strict=True))
    assert not torch.allclose(grads[True], grads[False])  # gradients also flow through the target branch
    with pytest.raises(ValueError, match="target='online', stop_grad=False"):
        _model(stop_grad=False)
    with pytest.raises(ValueError, match="one of 'ema', 'online', got 'teacher'"):
        _model(target="teacher")
    with pytest.raises(ValueError, match="True or False"):
        _model(target="online", stop_grad="no")


def test_sigreg_weight_adds_sigreg():
    x, mb = make_shapes(8, 32, seed=0)[0], _batch()
    plain, reg = _model(), _model(sigreg_weight=0.5)
    z = plain.context_encoder(x, mb.ctx_idx).reshape(-1, 32)
    torch.manual_seed(3)
    got = reg(x, mb.ctx_idx, mb.tgt_idx)
    torch.manual_seed(3)
    want = plain(x, mb.ctx_idx, mb.tgt_idx) + 0.5 * losses.sigreg(z)
    assert torch.allclose(got, want, atol=1e-5)


def test_predictor_positions_follow_the_encoder_unless_chosen():
    enc = vit.Encoder(image_size=16, patch_size=8, frames=4, tubelet=2, embed_dim=48, depth=1, num_heads=2, pos="rope")
    assert jepa.JEPA(encoder=enc, predictor_dim=24, predictor_heads=2).predictor.pos.kind == "rope"
    mixed = jepa.JEPA(encoder=enc, predictor_dim=24, predictor_heads=2, predictor_pos="sincos")
    assert mixed.predictor.pos.kind == "sincos" and mixed.context_encoder.pos.kind == "rope"
    ctx = torch.tensor([[0, 1, 2, 3]]).expand(2, -1)
    tgt = [torch.tensor([[4, 5, 6, 7]]).expand(2, -1)]
    assert mixed(torch.rand(2, 3, 4, 16, 16), ctx, tgt).isfinite()  # a RoPE encoder with a sin-cos predictor trains
    assert mixed.for_frames(8).predictor.grid == (4, 2, 2)
