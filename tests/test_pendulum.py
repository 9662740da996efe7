import math

import pytest
import torch

from jepa_lab import physics
from jepa_lab.datasets import pendulum as P


def test_simulation_conserves_energy_and_matches_small_angle_period():
    theta0, omega0 = P.initial_states(16, seed=0)
    traj = P.simulate(theta0, omega0, 400, 0.05)
    e = P.energy(traj[..., 0], traj[..., 1])
    assert ((e - e[:, :1]).abs() / e[:, :1]).max() < 1e-7  # RK4 in float64 with substeps
    small = P.simulate(torch.tensor([0.01]), torch.tensor([0.0]), 500, 0.01)[0, :, 0]
    crossings = ((small[:-1] > 0) & (small[1:] <= 0)).nonzero().flatten()
    period = (crossings[1] - crossings[0]).item() * 0.01
    assert period == pytest.approx(2 * math.pi / math.sqrt(P.G), abs=0.02)


def test_make_pendulum_outputs_and_bad_input():
    d = P.make_pendulum(4, 8, image_size=32, seed=0)
    assert d["states"].shape == (4, 8, 2) and d["frames"].shape == (4, 3, 8, 32, 32)
    assert d["states"][..., 0].abs().max() <= math.pi and 0 <= d["frames"].min() and d["frames"].max() <= 1
    assert torch.equal(d["frames"], P.make_pendulum(4, 8, image_size=32, seed=0)["frames"])
    assert not torch.equal(d["frames"][:, :, 0], d["frames"][:, :, -1])  # it moves
    damped = P.make_pendulum(4, 200, image_size=None, damping=0.5)["energy"]
    assert (damped[:, -1] < damped[:, 0]).all()
    with pytest.raises(ValueError, match="finite"):
        P.simulate(torch.tensor([float("nan")]), torch.tensor([0.0]), 10, 0.05)
    with pytest.raises(ValueError, match="too large"):
        P.simulate(torch.tensor([0.1]), torch.tensor([0.0]), 10, 1.0, substeps=1)


def test_vector_fields_shapes_and_the_lnn_pieces():
    x = torch.tensor([[0.3, -1.0], [2.0, 0.5]])
    for name, cls in physics.MODELS.items():
        out = cls(hidden=16)(x)
        assert out.shape == (2, 2), name
    lnn = physics.LNN(hidden=16)
    assert torch.equal(lnn(x)[:, 0], x[:, 1])  # dq/dt = v by construction
    assert lnn.d2l_dv2(x).shape == (2,)
    with pytest.raises(ValueError, match=r"\[N, 2\]"):
        physics.MLP(hidden=8)(torch.rand(3))


def test_hnn_conserves_its_own_hamiltonian():
    torch.manual_seed(0)
    hnn = physics.HNN(hidden=32)
    traj = physics.rollout(hnn, torch.tensor([[0.5, 0.0], [-1.0, 1.0]]), 200, 0.01)
    h = torch.stack([hnn.hamiltonian(traj[:, t]) for t in range(traj.shape[1])], 1).detach()
    assert (h - h[:, :1]).abs().max() < 1e-4 * h.abs().max().clamp(min=1)


def test_lnn_residual_alone_has_a_trivial_solution_and_the_scale_fix_rules_it_out():
    traj = P.make_pendulum(16, 20, image_size=None, seed=0)["states"]
    torch.manual_seed(0)
    trivial = physics.LNN(hidden=16)
    with torch.no_grad():  # a constant Lagrangian: zero last layer
        trivial.net[-1].weight.zero_()
    loss, res2, d2 = trivial.residual_loss(traj, 0.05)
    assert res2 < 1e-10 and d2.abs() < 1e-6  # residual exactly zero, and the Hessian with it
    loss_fixed, _, _ = trivial.residual_loss(traj, 0.05, scale_fix=1.0)
    assert loss_fixed > 0.9  # the scale fix penalises d2L/dv2 = 0


def test_rollout_bad_input_and_drift():
    m = physics.MLP(hidden=8)
    with pytest.raises(ValueError, match="capped"):
        physics.rollout(m, torch.zeros(1, 2), physics.MAX_ROLLOUT + 1, 0.1)
    with pytest.raises(ValueError, match="finite"):
        physics.rollout(m, torch.tensor([[float("inf"), 0.0]]), 10, 0.1)
    traj = torch.tensor([[[0.5, 0.0], [0.5, 0.0]], [[0.5, 0.0], [float("nan"), 0.0]]])
    drift = physics.relative_drift(traj)
    assert drift[0] == 0 and math.isinf(drift[1])
