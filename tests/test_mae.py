"""MAE, notebook 04's pixel baseline: shapes, what its loss reads, its refusals, and its task row."""


import pytest
import torch
from helpers import tiny_batch

from jepa_lab import config, mae, tasks, tokens, train, vit
from jepa_lab.train.__main__ import TRAINABLE, main

# one sample of a 4x4 grid with every kind of patch: context, hidden (two overlapping blocks), and neither
CTX = torch.tensor([[0, 1, 2, 4, 5, 6]])
TGT = [torch.tensor([[10, 11]]), torch.tensor([[11, 15]])]  # 11 lies in both blocks
HIDDEN, NEITHER = [10, 11, 15], [3, 7, 8, 9, 12, 13, 14]


def tiny_mae(norm_pix: bool = True) -> mae.MAE:
    """A one-block MAE on 32-pixel images (4x4 patches of 8x8x3 pixels), the same weights every call."""
    torch.manual_seed(0)
    enc = vit.Encoder(image_size=32, patch_size=8, embed_dim=32, depth=1, num_heads=4)
    return mae.MAE(encoder=enc, decoder_dim=16, decoder_depth=1, decoder_heads=2, norm_pix=norm_pix)


def images(n: int = 1) -> torch.Tensor:
    return torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(1))


def with_patch(x: torch.Tensor, patch: int, value: float) -> torch.Tensor:
    """``x`` with every pixel of ``patch`` (on the 4x4 grid of 8-pixel patches) set to a new pattern."""
    p = tokens.patchify(x, 8).clone()
    p[:, patch] = value * torch.linspace(0, 1, p.shape[-1])
    return tokens.unpatchify(p, 8, (4, 4))


def test_decode_and_reconstruct_shapes_and_what_they_replace():
    model = tiny_mae()
    x, ctx, tgt = tiny_batch(0, torch.Generator().manual_seed(0))
    pred = model.decode(model.context_encoder(x, ctx), ctx, tgt)
    assert [p.shape for p in pred] == [(16, t.shape[1], 8 * 8 * 3) for t in tgt]
    assert model.target_encoder is model.context_encoder  # no EMA copy: one encoder, one set of weights
    assert not any("target" in k for k in model.state_dict())
    x = images()
    out = model.reconstruct(x, CTX, TGT)
    assert out.shape == x.shape and not out.requires_grad
    before, after = tokens.patchify(x, 8)[0], tokens.patchify(out, 8)[0]
    kept = CTX[0].tolist() + NEITHER
    assert torch.equal(after[kept], before[kept])  # context and unseen patches are left as they were
    assert not torch.isclose(after[HIDDEN], before[HIDDEN]).all(1).any()  # every hidden patch is replaced
    # norm_pix: the decoder's normalised pixels are shown at each hidden patch's own mean and std
    raw = model.decode(model.context_encoder(x, CTX), CTX, TGT)
    mean, std = mae.patch_stats(before[10])
    assert torch.allclose(after[10], raw[0][0, 0] * std + mean, atol=1e-5)
    both = (raw[0][0, 1] + raw[1][0, 0]) / 2  # patch 11 is in both blocks: the mean of the two passes
    mean, std = mae.patch_stats(before[11])
    assert torch.allclose(after[11], both * std + mean, atol=1e-5)


def test_the_loss_reads_only_the_hidden_patches():
    model, x = tiny_mae(), images()
    with torch.no_grad():
        pred = model.decode(model.context_encoder(x, CTX), CTX, TGT)
        base = model.reconstruction_loss(pred, x, TGT)
        # target side: the same predictions, images changed in one patch
        for patch in CTX[0].tolist() + NEITHER:
            assert torch.equal(model.reconstruction_loss(pred, with_patch(x, patch, 3.0), TGT), base), patch
        for patch in HIDDEN:
            assert model.reconstruction_loss(pred, with_patch(x, patch, 3.0), TGT) != base, patch
        # end to end: a patch neither seen nor hidden changes nothing; a context patch changes the encoding
        assert torch.equal(model(with_patch(x, NEITHER[0], 3.0), CTX, TGT), model(x, CTX, TGT))
        assert model(with_patch(x, 0, 3.0), CTX, TGT) != model(x, CTX, TGT)
    # the gradient says the same: target-side, only hidden pixels; through the encoder, context pixels too
    xg = x.clone().requires_grad_(True)
    model.reconstruction_loss([p.detach() for p in pred], xg, TGT).backward()
    touched = tokens.patchify(xg.grad, 8)[0].abs().sum(1) > 0
    assert touched.nonzero().flatten().tolist() == HIDDEN
    xg.grad = None
    model(xg, CTX, TGT).backward()
    touched = tokens.patchify(xg.grad, 8)[0].abs().sum(1) > 0
    assert touched.nonzero().flatten().tolist() == sorted(CTX[0].tolist() + HIDDEN)


def test_the_loss_is_the_mse_over_the_union_each_patch_once():
    model, x = tiny_mae(norm_pix=False), images(2)
    ctx = torch.tensor([[0, 1, 2], [13, 14, 15]])
    tgt = [torch.tensor([[5, 6], [1, 2]]), torch.tensor([[6, 9], [2, 3]])]  # 6 and 2 in both blocks
    with torch.no_grad():
        pred = model.decode(model.context_encoder(x, ctx), ctx, tgt)
        patches = tokens.patchify(x, 8)
        errors = []  # one per hidden patch: the mean over the blocks that predict it of its pixel MSE
        for b, union in enumerate(([5, 6, 9], [1, 2, 3])):
            for n in union:
                hits = [(p[b, j] - patches[b, n]).pow(2).mean() for p, t in zip(pred, tgt, strict=True)
                        for j in range(t.shape[1]) if t[b, j] == n]
                errors.append(torch.stack(hits).mean())
        assert torch.allclose(model.reconstruction_loss(pred, x, tgt), torch.stack(errors).mean())
        # a block given twice is the same union: the same loss
        assert torch.allclose(model(x, ctx, tgt[:1] * 2), model(x, ctx, tgt[:1]))
        # norm_pix: the targets are each patch normalised by its own mean and std
        normed = tiny_mae().patch_targets(x)
        assert torch.allclose(normed.mean(-1), torch.zeros(2, 16), atol=1e-5)
        assert torch.allclose(normed.std(-1), torch.ones(2, 16), atol=1e-3)


def test_refusals_say_what_to_change():
    enc = vit.Encoder(image_size=32, patch_size=8, embed_dim=32, depth=1, num_heads=4)
    for kwargs, match in (({"decoder_dim": 30}, "multiple of 4.*use 28 or 32"),
                          ({"decoder_dim": 16, "decoder_heads": 3}, "decoder_dim 16 is not divisible by num_heads 3"),
                          ({"decoder_depth": 0}, "decoder_depth must be .* at least 1"),
                          ({"norm_pix": "yes"}, "norm_pix must be True"),
                          ({"encoder": torch.nn.Linear(2, 2)}, "must be a jepa_lab.vit.Encoder"),
                          ({"encoder": vit.Encoder(image_size=16, patch_size=4, embed_dim=32, depth=1, num_heads=4,
                                                   frames=4)}, "without frames=")):
        with pytest.raises(ValueError, match=match):
            mae.MAE(**{"encoder": enc, **kwargs})
    model, x = tiny_mae(), images()
    with pytest.raises(ValueError, match=r"images must be \[B, 3, 32, 32\]"):
        model(torch.rand(1, 3, 16, 16), CTX, TGT)
    with pytest.raises(ValueError, match="non-empty list of target blocks"):
        model(x, CTX, [])
    with pytest.raises(ValueError, match="share positions.*remove the targets from the context"):
        model(x, torch.tensor([[0, 1, 10]]), TGT)
    with pytest.raises(ValueError, match="one predicted block per target block"):
        model.reconstruction_loss([torch.zeros(1, 2, 192)], x, TGT)
    with pytest.raises(ValueError, match="must lie in 0..15"):
        model(x, CTX, [torch.tensor([[16]])])


def fast_preset(steps: int = 15) -> config.IJEPAPreset:
    return config.for_notebook("04", mode="fast").replace(n_train=64, batch_size=16, steps=steps, warmup_steps=2)


def test_the_task_trains_with_the_engine_and_the_loss_falls():
    preset = fast_preset()
    model, batch_fn, cfg = tasks.mae.build(preset)
    assert isinstance(model, mae.MAE) and not hasattr(model, "ema_update") and cfg == tasks.ijepa.train_config(preset)
    jepa_model, jepa_batches, _ = tasks.ijepa.build(preset)
    for step in (0, 7):  # I-JEPA's batches, exactly
        ours, theirs = batch_fn(step, torch.Generator().manual_seed(step)), jepa_batches(
            step, torch.Generator().manual_seed(step))
        assert torch.equal(ours[0], theirs[0]) and torch.equal(ours[1], theirs[1])
        assert all(torch.equal(a, b) for a, b in zip(ours[2], theirs[2], strict=True))
    assert all(torch.equal(a, b) for a, b in zip(model.context_encoder.state_dict().values(),
                                                 jepa_model.context_encoder.state_dict().values(), strict=True))
    assert model.decoder.embed.out_features == preset.predictor_dim
    assert len(model.decoder.blocks) == preset.predictor_depth
    # 15 steps, the loss on one fixed batch before and after: raw pixels fall fast; normalised pixels slowly,
    # since most patches of the shapes are background whose normalised pixels are the images' noise
    for norm_pix, factor in ((False, 0.6), (True, 0.99)):
        model, batch_fn, cfg = tasks.mae.build(preset, norm_pix=norm_pix)
        fixed = batch_fn(999, torch.Generator().manual_seed(999))
        with torch.no_grad():
            before = model(*fixed).item()
        history = train.fit(model, batch_fn, cfg)
        with torch.no_grad():
            after = model(*fixed).item()
        assert history["step"][-1] == 14 and after < factor * before, (norm_pix, before, after)


def test_the_task_round_trips_through_fit_or_load(tmp_path, capsys):
    preset = fast_preset(steps=2)
    assert "mae" in TRAINABLE and tasks.get("mae").notebook == "04"
    path = tasks.get("mae").path("fast", directory=tmp_path)
    assert path.name == "mae_shapes_fast.pt"
    model, batch_fn, cfg = tasks.mae.build(preset)
    train.fit(model, batch_fn, cfg, checkpoint=path, card={"preset": preset.as_dict()})
    loaded, card = tasks.fit_or_load("mae", preset, directory=tmp_path, progress=False)
    assert card["model"] == "MAE" and card["step"] == 2 and isinstance(loaded, mae.MAE)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values(),
                                                 strict=True))
    # an I-JEPA checkpoint of the same preset is not an MAE: refused by its card, trained here instead
    jepa_model, jepa_batches, jepa_cfg = tasks.ijepa.build(preset)
    train.fit(jepa_model, jepa_batches, jepa_cfg, checkpoint=path, card={"preset": preset.as_dict()})
    _, fresh = tasks.fit_or_load("mae", preset, directory=tmp_path, progress=False)
    assert "model='JEPA', this run needs 'MAE'" in capsys.readouterr().out and "command" not in fresh
    # the command line trains it as any task
    out = tmp_path / "m.pt"
    assert main(["mae", "--mode", "fast", "--steps", "1", "--out", str(out)]) == 0
    assert train.read_checkpoint(out)[1]["model"] == "MAE"
