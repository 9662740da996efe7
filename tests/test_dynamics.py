import pytest
import torch

from jepa_lab import config, dynamics, masks, tasks
from jepa_lab.datasets.particles import make_bouncing_balls


def test_balls_stay_in_the_box_and_bounce_elastically():
    s = make_bouncing_balls(8, 300, dt=0.05, seed=0)
    assert s.shape == (8, 300, 4)
    assert s[..., :2].min() >= 0 and s[..., :2].max() <= 1
    speed = s[..., 2:].norm(dim=-1)
    assert torch.allclose(speed, speed[:, :1].expand_as(speed), atol=1e-5)  # elastic walls keep the speed
    flips = (s[:, 1:, 2:].sign() != s[:, :-1, 2:].sign()).sum()
    assert flips > 8  # they do hit walls
    assert torch.equal(s, make_bouncing_balls(8, 300, dt=0.05, seed=0))  # seeded


def test_balls_options_and_bad_input():
    s = make_bouncing_balls(4, 50, balls=3, gravity=2.0, friction=0.5, noise=0.01, seed=1)
    assert s.shape == (4, 50, 12) and torch.isfinite(s).all()
    slowed = make_bouncing_balls(4, 50, friction=2.0, seed=1)[..., 2:].norm(dim=-1)
    assert (slowed[:, -1] < slowed[:, 0]).all()
    for kw, match in ((dict(dt=0.0), "dt > 0"), (dict(friction=30.0), "reverse velocities"),
                      (dict(speed=(1.0, 0.5)), "speed"), (dict(gravity=float("nan")), "finite"),
                      (dict(balls=0), "at least 1")):
        with pytest.raises(ValueError, match=match):
            make_bouncing_balls(2, 10, **kw)


def test_feature_visibility_hides_what_each_kind_says():
    g = torch.Generator().manual_seed(0)
    for kind, hidden in (("position", [0, 1]), ("velocity", [2, 3]), ("all", [0, 1, 2, 3]), ("none", [])):
        vis = dynamics.feature_visibility((kind,), 16, 8, 2, 1.0, g)
        assert vis.shape == (16, 2, 8)
        want = torch.ones(4, dtype=torch.bool)
        want[hidden] = False
        assert (vis == want.repeat(2)).all()  # every ball, every state of the window
    vis = dynamics.feature_visibility(("random_k",), 64, 4, 2, 1.0, g)
    assert ((~vis[:, 0]).sum(1) == 2).all()
    assert dynamics.feature_visibility(masks.FEATURE_MASKS, 64, 4, 2, 0.0, g).all()  # mask_prob 0: nothing hidden
    with pytest.raises(ValueError, match="unknown feature mask"):
        dynamics.feature_visibility(("legs",), 4, 4, 2, 1.0, g)


def test_model_shapes_residual_and_bad_input():
    p = config.for_notebook("07", mode="fast")
    model = dynamics.build(p)
    x = torch.rand(5, p.history, 4)
    z = model.encode(x)
    k = torch.full((5,), 4)
    assert z.shape == (5, p.latent_dim)
    # the prior starts at zero, so the residual model's prediction is z plus the predictor's output
    assert torch.allclose(model.predict(z, k), z + model.predictor(torch.cat([z, dynamics.horizon_features(k)], 1)))
    loss = model(x, torch.ones_like(x, dtype=torch.bool), torch.rand(5, p.history, 4), k)
    loss.backward()
    assert torch.isfinite(loss) and model.target_encoder[0].weight.grad is None  # the EMA target gets no gradient
    with pytest.raises(ValueError, match="windows"):
        model.encode(torch.rand(5, 4))
    with pytest.raises(ValueError, match="horizons must lie"):
        model.predict(z, torch.full((5,), dynamics.MAX_HORIZON + 1))
    with pytest.raises(ValueError, match="capped"):
        dynamics.jumps(dynamics.MAX_HORIZON + 1, (1,))
    assert dynamics.jumps(10, (1, 2, 4, 8)) == [8, 2] and dynamics.jumps(3, (1,)) == [1, 1, 1]
    with pytest.raises(ValueError, match="too short"):
        tasks.dynamics.build(p.replace(length=8))


def test_switches_that_mean_nothing_are_refused():
    p = config.for_notebook("07", mode="fast")
    with pytest.raises(ValueError, match="prior=True needs residual=True"):
        dynamics.build(p.replace(residual=False, prior=True))
    with pytest.raises(ValueError, match="EMA target .* target='online'"):
        dynamics.build(p.replace(target="ema", stop_grad=False))
    with pytest.raises(ValueError, match="target must be one of 'ema', 'online'"):
        dynamics.build(p.replace(target="momentum"))
    for variant in dynamics.VARIANTS:  # every variant of notebook 07 is a valid combination
        dynamics.build(dynamics.variant_preset(p, variant))


def test_fit_or_load_uses_a_variant_file_of_exactly_this_preset(tmp_path, capsys):
    p = config.for_notebook("07", mode="fast").replace(steps=3, n_train=16, n_test=8)
    out = tasks.dynamics.TASK.path("fast", "no prior", tmp_path)
    model, _ = tasks.dynamics.run(p, "no prior", checkpoint=out)
    loaded, card = tasks.fit_or_load("dynamics", p, "no prior", directory=tmp_path)
    assert card["variant"] == "no prior" and card["history"]["step"] == [0, 2]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values(),
                                                 strict=True))
    _, fresh = tasks.fit_or_load("dynamics", p.replace(lr=1e-4), "no prior", directory=tmp_path)
    assert "not using no_prior_fast.pt" in capsys.readouterr().out and fresh["preset"]["lr"] == 1e-4
