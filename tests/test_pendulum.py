import math

import pytest
import torch

from jepa_lab import evaluate, physics
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
    with pytest.raises(ValueError, match="plain, camera"):
        P.make_pendulum(2, 8, background="studio")
    with pytest.raises(ValueError, match="finite"):
        P.simulate(torch.tensor([float("nan")]), torch.tensor([0.0]), 10, 0.05)
    with pytest.raises(ValueError, match="too large"):
        P.simulate(torch.tensor([0.1]), torch.tensor([0.0]), 10, 1.0, substeps=1)


def test_camera_clips_vary_colour_and_flash_but_keep_the_pendulum():
    plain = P.make_pendulum(4, 8, seed=0)["frames"].double()  # the plain render, pinned (shipped runs trained on it)
    assert plain.sum().item() == pytest.approx(11425.259, rel=1e-6)
    assert plain.pow(2).sum().item() == pytest.approx(2205.2586, rel=1e-6)
    camera = P.make_pendulum(64, 8, seed=3, background="camera")
    assert torch.equal(camera["frames"], P.make_pendulum(64, 8, seed=3, background="camera")["frames"])
    assert 0 <= camera["frames"].min() and camera["frames"].max() <= 1
    corner = camera["frames"][:, :, 0, :3, :3].mean((2, 3))  # [N, 3]: the background colour, clip by clip
    assert corner.std(0).min() > 0.1  # every clip its own background colour
    # flashes come and go: the difference between frames, away from the pendulum, is far larger than noise
    still = P.make_pendulum(64, 8, seed=3, background="camera", energy_range=(1e-6, 1e-6))["frames"]
    change = (still[:, :, 1:] - still[:, :, :-1]).abs().amax(dim=(1, 3, 4))  # [N, T - 1]
    assert (change > 0.5).float().mean() > 0.9
    hidden = P.add_flashes(torch.zeros(2, 4, 3, 32, 32), 3, torch.Generator().manual_seed(0))
    covered = (hidden.abs().sum(2) > 0).float().mean((2, 3))  # share of each frame under a flash
    assert covered.min() > 0 and covered.max() < 0.4


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


def test_exact_field_is_the_simulator_and_sets_the_integrator_floor():
    from jepa_lab.datasets import pendulum as pend

    starts = torch.tensor([[0.5, 0.0], [-1.0, 2.0], [2.5, 1.0]])
    sim = pend.simulate(starts[:, 0], starts[:, 1], 51, 0.1)[:, -1].float()
    coarse = physics.rollout(physics.Exact(), starts, 50, 0.1, substeps=2)
    fine = physics.rollout(physics.Exact(), starts, 50, 0.1, substeps=4)
    assert torch.allclose(fine[:, -1], sim, atol=1e-4)
    # RK4's own energy error falls ~16x from 2 to 4 substeps: the floor notebook 08 measures models against
    assert physics.relative_drift(fine).mean() < physics.relative_drift(coarse).mean() / 8


def test_angle_error_wraps_and_finite_difference_unwraps():
    read = torch.tensor([[[math.pi - 0.01, 0.0]]])
    true = torch.tensor([[[-math.pi + 0.01, 0.0]]])
    assert torch.allclose(physics.angle_error(read, true), torch.tensor([[-0.02]]), atol=1e-5)
    # a rotation through +-pi: the derivative of theta stays omega, not a jump of 2 pi / dt
    t = torch.arange(10) * 0.1
    theta = torch.remainder(3.0 + 2.0 * t + math.pi, 2 * math.pi) - math.pi
    x, dx = physics.finite_difference(torch.stack([theta, torch.full_like(t, 2.0)], -1)[None], 0.1)
    assert x.shape == (8, 2) and torch.allclose(dx[:, 0], torch.full((8,), 2.0), atol=1e-4)


def test_read_windows_reads_every_window_of_each_trajectory():
    class LastFrameMean(torch.nn.Module):  # "features": the last frame's mean brightness per pixel row
        def __init__(self):
            super().__init__()
            self.unused = torch.nn.Parameter(torch.zeros(1))  # extract_features reads the device from it

        def forward(self, clips):
            return clips.mean(dim=(1, 4))[:, -1:, :, None].expand(-1, 2, -1, 1).reshape(len(clips), -1, 1)

    frames = torch.rand(3, 3, 12, 8, 8)
    seen = []

    def decode(feats):
        seen.append(feats.shape)
        return torch.stack([torch.ones(len(feats)), torch.zeros(len(feats)), feats[:, 0]], dim=1)

    def features(windows):  # every token's features of the encoder, as the pendulum readers take them
        return evaluate.extract_features(LastFrameMean(), windows, pool=False).flatten(1)

    out = physics.read_windows(features, decode, frames, clip=4)
    assert out.shape == (3, 9, 2) and len(seen) == 3 and seen[0] == (9, 16)
    assert torch.allclose(out[..., 0], torch.zeros(3, 9))  # atan2(0, 1)
    assert torch.allclose(out[1, 0, 1], frames[1, :, 3, 0].mean())  # window 0 ends at frame 3
    with pytest.raises(ValueError, match="at least 4 frames"):
        physics.read_windows(features, decode, frames[:, :, :3], clip=4)


def test_field_checkpoints_depend_on_fitting_settings_only(tmp_path, capsys):
    from jepa_lab import config, tasks, train

    fields = tasks.physics_fields
    preset = config.for_notebook("08", mode="fast").replace(field_steps=3, field_trajectories=4, field_hidden=8)
    model, _ = fields.fit_named("MLP", preset, *fields.field_data(preset))
    card = {"preset": preset.as_dict(), "model_name": "MLP"}
    train.save_checkpoint(tmp_path / "mlp_fast.pt", model, None, 3, card)
    loaded, got = tasks.fit_or_load("field", preset.replace(rollout_steps=7), "MLP", directory=tmp_path)
    assert "model_name" in got and torch.equal(loaded.net[0].weight, model.net[0].weight)
    _, refit = tasks.fit_or_load("field", preset.replace(field_steps=2), "MLP", directory=tmp_path)
    assert "model_name" not in refit and len(refit["losses"]) == 1  # another budget: fitted afresh
    assert "not using mlp_fast.pt: fitted with" in capsys.readouterr().out
    # on read states the whole preset counts: another rollout length is another file
    train.save_checkpoint(tmp_path / "mlp_probed_fast.pt", model, None, 3, card)
    pairs = fields.field_data(preset)
    _, probed = tasks.fit_or_load("field_probed", preset.replace(rollout_steps=7), "MLP", directory=tmp_path,
                                  data=pairs)
    assert "model_name" not in probed
    with pytest.raises(ValueError, match="unknown model 'GNN'"):
        tasks.fit_or_load("field", preset, "GNN", directory=tmp_path)


def test_held_out_starts_are_not_the_fitting_trajectories():
    from jepa_lab import config, tasks

    preset = config.for_notebook("08", mode="fast")
    starts = tasks.physics_fields.held_out_starts(preset, n=8)
    fitted = tasks.physics_fields.field_data(preset)[0]
    assert starts.shape == (8, 2) and not any((fitted == s).all(1).any() for s in starts)


def test_read_states_takes_three_readers_through_one_code_path():
    from jepa_lab import config, tasks
    from jepa_lab.tasks import ijepa

    fields = tasks.physics_fields
    preset = config.for_notebook("08", mode="fast").replace(frame_trajectories=2, frame_length=5, probe_train=40,
                                                             probe_test=8)
    model = ijepa.jepa_model(preset)  # untrained: its context encoder is the random init, weight for weight
    windows = torch.rand(3, 3, preset.frames, preset.image_size, preset.image_size)
    feats = {reader: fields.window_features(preset, reader, model)(windows) for reader in fields.READERS}
    tokens = (preset.image_size // preset.patch_size) ** 2 * preset.frames // preset.tubelet
    assert feats["V-JEPA"].shape == feats["random init"].shape == (3, tokens * preset.embed_dim)
    assert feats["pixels"].shape == (3, 3 * preset.frames * (preset.image_size // fields.PIXEL_POOL) ** 2)
    assert torch.allclose(feats["V-JEPA"], feats["random init"])  # built with the preset's seed, as training is
    assert torch.allclose(feats["pixels"][0, :3], windows[0, 0, 0, :2, :6].reshape(2, 3, 2).mean((0, 2)))
    for reader in fields.READERS:
        read, true = fields.read_states(preset, model, reader=reader)
        assert read.shape == true.shape == (2, 5, 2) and torch.isfinite(read).all(), reader
        errors = fields.reading_errors(read, true)
        assert set(errors) == {"angle", "omega"} and 0 <= errors["angle"] <= math.pi, reader
    with pytest.raises(ValueError, match="unknown reader 'CNN'; choose one of 'V-JEPA', 'random init', 'pixels'"):
        fields.read_states(preset, model, reader="CNN")


def test_acceleration_error_is_zero_for_the_true_field_and_the_scale_for_a_still_one():
    g = P.G
    states = torch.tensor([[0.5, 1.0], [-2.0, 0.0], [3.0, -1.5]])
    err, scale = physics.acceleration_error(physics.Exact(), states)
    assert err == pytest.approx(0.0, abs=1e-6) and scale == pytest.approx((g * states[:, 0].sin()).abs().mean().item())
    still = physics.MLP(hidden=4)
    torch.nn.init.zeros_(still.net[-1].weight)
    torch.nn.init.zeros_(still.net[-1].bias)
    assert physics.acceleration_error(still, states) == pytest.approx((scale, scale), rel=1e-6)
    with pytest.raises(ValueError, match=r"states must be \[N, 2\]"):
        physics.acceleration_error(physics.Exact(), states[:, :1])


def test_fields_from_camera_clips_name_their_reader_and_seed():
    from jepa_lab import config, tasks

    fields = tasks.physics_fields
    preset = config.for_notebook("08", mode="fast")
    cam, model, suffix, flags = fields.frames_setting(preset, "camera", "random init", 1)
    assert (cam.background, cam.steps, cam.seed) == ("camera", preset.camera_steps, 1) and model is None
    assert suffix == "_probed_camera_random_init_seed1"
    assert flags == " --states probed --background camera --reader 'random init' --seed 1"
    plain, model, suffix, flags = fields.frames_setting(preset, "plain", "V-JEPA", None)
    assert plain == preset and model is None and (suffix, flags) == ("_probed", " --states probed")
    with pytest.raises(ValueError, match="unknown background 'rain'"):
        fields.frames_setting(preset, "rain", "pixels", None)
    with pytest.raises(ValueError, match="unknown reader 'CNN'"):
        fields.frames_setting(preset, "camera", "CNN", None)
    with pytest.raises(SystemExit):  # a reader without reading states from frames is a mistake, said so
        fields.main(["--mode", "fast", "--reader", "pixels"])
