import math

import pytest
import torch

from jepa_lab import latent_physics as lp
from jepa_lab import physics


def _oscillator_features(n: int = 24, length: int = 60, dim: int = 12, dt: float = 0.05, seed: int = 0):
    """Trajectories of a harmonic oscillator (q, p on circles, angular frequency 3) seen only through a fixed
    random nonlinear map to ``dim`` features; the states are returned for judging."""
    g = torch.Generator().manual_seed(seed)
    radius = 0.5 + torch.rand(n, 1, generator=g)
    phase = 2 * math.pi * torch.rand(n, 1, generator=g) + 3 * dt * torch.arange(length)
    states = torch.stack([radius * phase.cos(), -radius * phase.sin()], -1)  # [n, L, 2]
    mix = torch.randn(2, dim, generator=g)
    return torch.tanh(states @ mix) + 0.1 * (states @ mix), states


def test_flat_fields_take_coordinates_as_they_are():
    x = torch.tensor([[0.0, 1.0], [2 * math.pi, 1.0]])
    for cls in (physics.MLP, physics.HNN):
        periodic, flat = cls(hidden=8), cls(hidden=8, periodic=False)
        assert torch.allclose(periodic(x)[0], periodic(x)[1], atol=1e-5)  # an angle: 0 and 2 pi are one place
        assert not torch.allclose(flat(x)[0], flat(x)[1], atol=1e-3)  # a coordinate: they are not
        assert flat.net[0].in_features == 2 and periodic.net[0].in_features == 3


def test_latent_model_bad_input():
    with pytest.raises(ValueError, match="field must be one of HNN, MLP"):
        lp.LatentDynamics(8, "LNN")
    model = lp.LatentDynamics(8, "MLP", hidden=8)
    with pytest.raises(ValueError, match="must have 8 numbers"):
        model.encode(torch.zeros(3, 5))
    with pytest.raises(ValueError, match=r"trajectories \[N, L, D\]"):
        lp.fit_latent(model, torch.zeros(10, 8), 0.1)
    with pytest.raises(ValueError, match="horizon must be in 1..4"):
        lp.fit_latent(model, torch.zeros(2, 5, 8), 0.1, horizon=5)
    with pytest.raises(ValueError, match="at least k=3"):
        lp.knn_states(torch.zeros(2, 2), torch.zeros(2, 2), k=3)


def test_knn_reader_gives_back_the_labelled_states_and_wraps_angles():
    codes = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    states = torch.tensor([[math.pi - 0.1, 1.0], [-math.pi + 0.1, 2.0], [0.5, -1.0]])
    read = lp.knn_states(codes, states, k=1)
    assert torch.allclose(read(codes), states, atol=1e-5)
    both = lp.knn_states(codes[:2], states[:2], k=2)(torch.tensor([[0.5, 0.0]]))
    assert abs(abs(both[0, 0].item()) - math.pi) < 1e-4 and both[0, 1].item() == pytest.approx(1.5)  # not 0 rad


def test_a_latent_field_learns_an_oscillator_from_features_alone():
    torch.manual_seed(0)
    features, states = _oscillator_features()
    model = lp.LatentDynamics(features.shape[-1], "HNN", hidden=32)
    losses = lp.fit_latent(model, features, 0.05, steps=600, horizon=4, batch=64, lr=3e-3, seed=0)
    assert all(math.isfinite(v) for v in losses) and losses[-1] < 0.5 * max(losses[len(losses) // 6:])
    codes = lp.encode_trajectories(model, features)
    assert codes.reshape(-1, 2).std(0).min() > 0.5  # the spread floor keeps the code from collapsing
    # the code carries the state: a linear map from code to (q, p) explains most of it (no labels in training)
    a = torch.cat([codes.reshape(-1, 2), torch.ones(codes[..., :1].numel(), 1)], 1)
    flat = states.reshape(-1, 2)
    fit = torch.linalg.lstsq(a, flat).solution
    r2 = 1 - (a @ fit - flat).pow(2).sum(0) / (flat - flat.mean(0)).pow(2).sum(0)
    assert r2.min() > 0.8
    # and the field moves it forwards: one rolled-out step lands nearer the next code than standing still
    with torch.no_grad():
        step = physics.rk4_step(model, codes[:, :-1].reshape(-1, 2), 0.05)
    nxt = codes[:, 1:].reshape(-1, 2)
    assert (step - nxt).pow(2).mean() < 0.5 * (codes[:, :-1].reshape(-1, 2) - nxt).pow(2).mean()


def test_judge_reports_reading_and_decoded_rollouts():
    features, states = _oscillator_features(n=8, length=30)
    angles = torch.stack([torch.atan2(states[..., 1], states[..., 0]), states.norm(dim=-1)], -1)  # any labels
    model = lp.LatentDynamics(features.shape[-1], "MLP", hidden=8)
    lp.fit_latent(model, features, 0.05, steps=5, horizon=2, batch=8)
    codes = lp.encode_trajectories(model, features)
    read = lp.knn_states(codes.reshape(-1, 2), angles.reshape(-1, 2), k=1)
    got = lp.judge(model, read, features, angles, 0.05, steps=12)
    assert set(got) == {"read_angle", "read_omega", "drift_mean", "drift_median", "floor_drift_mean", "energy_level",
                        "rollout_angle"}
    assert got["read_angle"] < 0.01  # its own codes read back (all but near-ties) with k = 1
    assert all(math.isfinite(v) for v in got.values())


def test_latent_checkpoints_need_the_same_presets(tmp_path, capsys):
    from jepa_lab import config, tasks, train

    preset = config.for_notebook("08-latent", mode="fast").replace(steps=2, hidden=8)
    data = {"fit": torch.randn(2, 12, 16), "fit_states": torch.zeros(2, 12, 2)}
    model, _ = tasks.latent_fields.fit_named("HNN", preset, data["fit"])
    train.save_checkpoint(tmp_path / "latent_hnn_fast.pt", model, None, 2, tasks.latent_fields.identity(preset, "HNN"))
    loaded, card = tasks.fit_or_load("latent_field", preset, "HNN", directory=tmp_path, data=data)
    assert card["model_name"] == "HNN" and torch.equal(loaded.mean, model.mean)
    _, refit = tasks.fit_or_load("latent_field", preset.replace(steps=3), "HNN", directory=tmp_path, data=data)
    assert "model_name" not in refit and "not using latent_hnn_fast.pt" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown field 'LNN'"):
        tasks.fit_or_load("latent_field", preset, "LNN", directory=tmp_path)
