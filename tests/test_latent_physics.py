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
        lp.LatentField(8, "LNN")
    model = lp.LatentField(8, "MLP", hidden=8)
    with pytest.raises(ValueError, match="must have 8 numbers"):
        model.encode(torch.zeros(3, 5))
    with pytest.raises(ValueError, match=r"trajectories \[N, L, D\]"):
        lp.fit_latent(model, torch.zeros(10, 8), 0.1)
    with pytest.raises(ValueError, match="horizon must be in 1..4"):
        lp.fit_latent(model, torch.zeros(2, 5, 8), 0.1, horizon=5)
    with pytest.raises(ValueError, match="at least k=3"):
        lp.knn_states(torch.zeros(2, 2), torch.zeros(2, 2), k=3)
    with pytest.raises(ValueError, match="k must be at least 1"):
        lp.knn_states(torch.zeros(2, 2), torch.zeros(2, 2), k=0)
    with pytest.raises(ValueError, match=r"both be \[M, 2\]"):
        lp.knn_states(torch.zeros(2, 3), torch.zeros(2, 2))


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
    model = lp.LatentField(features.shape[-1], "HNN", hidden=32)
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


def _exact_latent(scale: float = 1.0) -> lp.LatentField:
    """A latent field whose code is the state itself and whose field is the true pendulum's (times ``scale``)."""
    class Scaled(torch.nn.Module):
        def forward(self, x):
            return scale * physics.Exact()(x)

    model = lp.LatentField(2, "MLP", hidden=4)
    model.head, model.field = torch.nn.Identity(), Scaled()
    return model.eval()


def test_judge_measures_what_it_says_on_a_known_field():
    from jepa_lab.datasets import pendulum as P

    theta0, omega0 = P.initial_states(6, seed=1)
    states = P.simulate(theta0, omega0, 40, 0.05).float()
    read = lambda z: z  # noqa: E731 (the code is the state)
    exact = lp.judge(_exact_latent(), read, states, states, 0.05, steps=100)
    assert exact["read_angle"] < 1e-6 and exact["read_omega"] < 1e-6
    assert exact["drift_mean"] < 1e-3 and exact["floor_drift_mean"] < 1e-5 and exact["drift_first_mean"] < 1e-3
    assert abs(exact["energy_level"] - 1) < 1e-3 and exact["energy_level_error"] < 1e-3
    assert exact["rollout_angle"] < 1e-3  # against the true pendulum over all 100 steps, past the data's 40
    fast = lp.judge(_exact_latent(1.05), read, states, states, 0.05, steps=100)
    assert fast["energy_level_error"] < 1e-3 and fast["rollout_angle"] > 0.1  # same energy, lost phase
    biased = lp.judge(_exact_latent(), lambda z: 1.2 * z, states, states, 0.05, steps=100)
    assert biased["read_omega"] > 0.1 and biased["energy_level_error"] > 0.2  # levels are against the true start
    with pytest.raises(ValueError, match="must match in N and L"):
        lp.judge(_exact_latent(), read, states[:, :10], states, 0.05, steps=5)
    decoded = lp.decoded_rollout(_exact_latent(1.05), read, states, 0.05, 100)
    assert lp.judge(_exact_latent(1.05), read, states, states, 0.05, steps=100, decoded=decoded) == fast  # reused
    given = lp.judge(_exact_latent(1.05), read, states, states, 0.05, steps=100,
                     decoded=lp.decoded_rollout(_exact_latent(), read, states, 0.05, 100))
    assert given["rollout_angle"] < 1e-3  # scored the rollouts it was given, not the fast field's own
    with pytest.raises(ValueError, match=r"decoded must be \[N, steps \+ 1, 2\]"):
        lp.judge(_exact_latent(), read, states, states, 0.05, steps=50, decoded=decoded)


def test_a_blown_up_rollout_reads_as_nan_and_drifts_infinitely():
    codes = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    read = lp.knn_states(codes, torch.tensor([[0.1, 1.0], [0.2, 2.0], [0.3, -1.0]]), k=1)
    got = read(torch.tensor([[0.0, 0.1], [float("nan"), 0.0], [float("inf"), 1.0]]))
    assert torch.isfinite(got[0]).all() and torch.isnan(got[1:]).all()
    assert physics.relative_drift(got[None]).isinf().all()


def test_latent_checkpoints_need_the_same_fit_and_the_shipped_vjepa(tmp_path, capsys, monkeypatch):
    from jepa_lab import artifacts, config, tasks, train

    lf = tasks.latent_fields
    preset = config.for_notebook("08-latent", mode="fast").replace(steps=2, hidden=8)
    data = {"fit": torch.randn(2, 12, 16), "fit_states": torch.zeros(2, 12, 2)}
    model, _ = lf.fit_named("HNN", preset, data["fit"])
    vjepa = str(tasks.pendulum.TASK.path("fast"))
    monkeypatch.setattr(artifacts, "shipped_checksum", lambda path: "abc" if str(path) == vjepa else None)
    train.save_checkpoint(tmp_path / "latent_hnn_fast.pt", model, None, 2, lf.identity(preset, "HNN", "abc"))
    loaded, card = tasks.fit_or_load("latent_field", preset.replace(rollout_steps=7, neighbours=3), "HNN",
                                     directory=tmp_path, data=data)  # the judge's settings: no refit
    assert card["model_name"] == "HNN" and torch.equal(loaded.mean, model.mean)
    _, refit = tasks.fit_or_load("latent_field", preset.replace(steps=3), "HNN", directory=tmp_path, data=data)
    assert "model_name" not in refit and "fitted with steps=2; this preset has steps=3" in capsys.readouterr().out
    monkeypatch.setattr(artifacts, "shipped_checksum", lambda path: "new" if str(path) == vjepa else None)  # re-shipped
    _, refit = tasks.fit_or_load("latent_field", preset, "HNN", directory=tmp_path, data=data)
    out = capsys.readouterr().out
    assert "model_name" not in refit and "features of another V-JEPA" in out
    assert "python -m jepa_lab.latent_physics" in out
    with pytest.raises(ValueError, match="unknown field 'LNN'"):
        tasks.fit_or_load("latent_field", preset, "LNN", directory=tmp_path)
