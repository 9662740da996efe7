"""Notebook 09: the two-rooms world, the block-causal world model, CEM, the MPC loop, the planners, the
task, the explorer and the exercises; the shipped checkpoint's headline number is re-measured (slow)."""

import dataclasses

import pytest
import torch
from matplotlib.figure import Figure

from jepa_lab import artifacts, checks, config, planning, solutions, tasks, widgets
from jepa_lab.datasets import rooms
from jepa_lab.planning import planners
from jepa_lab.tasks import planning as planning_task


@pytest.fixture(scope="module")
def preset():
    return config.for_notebook("09", mode="fast").replace(n_train=64, steps=4, batch_size=4, pairs=6, budget=4,
                                                          samples=8, elites=2, iterations=2)


# ------------------------------------------------------------------ the world


def test_walls_block_and_the_door_passes():
    left = torch.tensor([[0.4, 0.2], [0.4, 0.5]])  # facing the wall, facing the door
    right = rooms.step(left, torch.tensor([[0.15, 0.0], [0.15, 0.0]]))
    assert right[0, 0] < 0.5 - rooms.WALL and right[0, 1] == pytest.approx(0.2)  # stopped at the wall
    assert right[1, 0] > 0.5  # went through the door
    assert rooms.room(right).tolist() == [0, 1]
    slid = rooms.step(torch.tensor([[0.46, 0.2]]), torch.tensor([[0.15, 0.1]]))
    assert slid[0, 0] < 0.5 - rooms.WALL and slid[0, 1] == pytest.approx(0.3)  # slides along the wall
    corner = rooms.step(torch.tensor([[0.05, 0.05]]), torch.tensor([[-1.0, -1.0]]))
    assert corner.min() >= rooms.MARGIN  # outer walls
    far = rooms.step(torch.tensor([[0.1, 0.1]]), torch.tensor([[5.0, 0.0]]))
    assert far[0, 0] == pytest.approx(0.25)  # actions are clipped to max_step


def test_no_position_ever_enters_the_wall():
    g = torch.Generator().manual_seed(0)
    p = rooms.sample_free(2000, g)
    for _ in range(20):
        p = rooms.step(p, (torch.rand(2000, 2, generator=g) * 2 - 1) * 0.15)
        assert not rooms.blocked(p).any()


def test_trajectories_are_seeded_and_cross_the_door():
    a, b = rooms.make_rooms(200, 32, seed=3), rooms.make_rooms(200, 32, seed=3)
    assert torch.equal(a["positions"], b["positions"]) and torch.equal(a["actions"], b["actions"])
    assert a["positions"].shape == (200, 33, 2) and a["actions"].shape == (200, 32, 2)
    assert not torch.equal(a["positions"], rooms.make_rooms(200, 32, seed=4)["positions"])
    assert (rooms.crossings(a["positions"]) > 0).float().mean() > 0.3
    replay = a["positions"][:, 0]
    for t in range(32):  # the stored actions reproduce the stored path
        replay = rooms.step(replay, a["actions"][:, t])
    assert torch.allclose(replay, a["positions"][:, -1])


def test_pairs_mix_rooms_and_render_shapes():
    start, goal = rooms.sample_pairs(10, cross_share=0.5, seed=0)
    cross = rooms.room(start) != rooms.room(goal)
    assert cross.sum() == 5 and cross[::2].all() and not cross[1::2].any()  # interleaved: any prefix keeps the mix
    assert ((goal - start).norm(dim=-1) >= 0.2).all()
    img = rooms.render(start[:3], 32)
    assert img.shape == (3, 3, 32, 32) and 0 <= img.min() and img.max() <= 1
    assert rooms.render(start[:3].reshape(3, 1, 2), 16).shape == (3, 1, 3, 16, 16)


def test_tinted_floors_tell_the_rooms_apart():
    left = rooms.sample_free(50, torch.Generator().manual_seed(1), side=torch.zeros(50, dtype=torch.long))
    mirror = torch.stack([1 - left[:, 0], left[:, 1]], 1)  # the same spot reflected into the other room
    row, col = (left[:, 1] * 4).long(), (left[:, 0] * 4).long()  # the 8x8 patch (token) that holds the spot

    def spot_patches(images, cols):  # [n, 3, 8, 8]
        pairs = zip(images, row, cols, strict=True)
        return torch.stack([im[:, 8 * r:8 * r + 8, 8 * c:8 * c + 8] for im, r, c in pairs])

    plain_l, plain_m = rooms.render(left, 32, tint=0.0), rooms.render(mirror, 32, tint=0.0)
    assert torch.allclose(plain_l, plain_m.flip(-1), atol=1e-5)  # black floors: mirror images, pixel for pixel
    assert torch.allclose(spot_patches(plain_l, col), spot_patches(plain_m, 3 - col).flip(-1), atol=1e-5)
    tint_l, tint_m = rooms.render(left, 32, tint=0.2), rooms.render(mirror, 32, tint=0.2)
    differ = (spot_patches(tint_l, col) - spot_patches(tint_m, 3 - col).flip(-1)).abs().flatten(1).amax(1)
    assert (differ >= 0.15).all()  # tinted: the token that holds the agent tells the rooms apart, in every pair
    assert torch.equal(tint_l[:, 0], plain_l[:, 0])  # the red spot and the walls are unchanged
    img = rooms.render(torch.tensor([0.2, 0.2]), 32, tint=0.2)  # [3, 32, 32], the spot at pixel (6, 6)
    assert img[:, 24, 8].tolist() == pytest.approx([0.0, 0.0, 0.2])  # the left room's floor: blue
    assert img[:, 24, 24].tolist() == pytest.approx([0.0, 0.2, 0.0])  # the right room's: green
    assert img[:, 2, 16].tolist() == pytest.approx([0.5, 0.5, 0.5])  # the wall stays grey
    assert img[0, 6, 6] > 0.9 and img[2, 6, 6] < 0.02  # the spot covers the floor
    with pytest.raises(ValueError, match="tint"):
        rooms.render(left, 32, tint=0.8)


def test_every_image_of_the_planning_world_uses_the_presets_tint(preset, monkeypatch):
    """Training frames, both planners' costs, the probe and the explorer draw the world as the preset says."""
    assert all(p.floor_tint > 0 for p in config.PRESETS["09"].values())
    seen = []
    real = rooms.render

    def spy(*args, **kwargs):
        seen.append(kwargs.get("tint", rooms.FLOOR_TINT))
        return real(*args, **kwargs)

    monkeypatch.setattr(rooms, "render", spy)
    tinted = preset.replace(floor_tint=0.3)
    planning_task.build(tinted)[1](0, torch.Generator().manual_seed(0))
    for variant in (None, "pixel"):
        model = planning.build_model(planning_task.variant_preset(tinted, variant)).eval()
        planning.success(planning.planner_for(model, tinted), tinted, seed=0)
    model = planning.build_model(tinted).eval()
    planning.probe_r2(model, tinted)
    widgets.plan_explorer(model, tinted)
    assert len(seen) >= 6 and set(seen) == {0.3}
    frames = planning.frames_of(tinted, torch.tensor([[0.2, 0.2], [0.8, 0.8]]))
    assert frames[0, 2, 24, 8] == pytest.approx(0.3) and frames[1, 1, 8, 24] == pytest.approx(0.3)


@pytest.mark.parametrize("kwargs, match", [({"max_step": 0.0}, "max_step"), ({"max_step": 0.4}, "too large"),
                                           ({"door": 1.0}, "door"), ({"persistence": 2.0}, "persistence")])
def test_bad_world_settings_are_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rooms.make_rooms(4, 4, **kwargs)
    with pytest.raises(ValueError, match="cross_share"):
        rooms.sample_pairs(4, cross_share=1.5)


# ------------------------------------------------------------------ the model


def test_block_causal_mask():
    m = planning.block_causal_mask(3, 2)
    assert m.shape == (6, 6) and m[0, 1] and not m[1, 2] and m[5, 0] and m[3, 2]


def test_rollout_equals_teacher_forcing_on_its_own_predictions():
    torch.manual_seed(0)
    for tokens in (1, 4):
        pred = planning.ActionPredictor(state_dim=6, tokens=tokens, width=16, depth=2, num_heads=2, max_steps=5)
        z, a = torch.randn(3, 5, tokens, 6), torch.randn(3, 5, 2)
        r = pred.rollout(z[:, 0], a)
        assert r.shape == (3, 5, tokens, 6)
        fed = torch.cat([z[:, :1], r[:, :-1]], 1)
        assert torch.allclose(pred(fed, a), r, atol=1e-5)
        # the future does not leak: changing the last action changes only the last prediction
        a2 = a.clone()
        a2[:, -1] += 1
        out1, out2 = pred(z, a), pred(z, a2)
        assert torch.equal(out1[:, :-1], out2[:, :-1]) and not torch.equal(out1[:, -1], out2[:, -1])


def test_predictor_shape_errors():
    pred = planning.ActionPredictor(state_dim=6, width=16, depth=1, num_heads=2, max_steps=4)
    with pytest.raises(ValueError, match="states must be"):
        pred(torch.zeros(2, 3, 6), torch.zeros(2, 3, 2))
    with pytest.raises(ValueError, match="max_steps"):
        pred(torch.zeros(2, 5, 1, 6), torch.zeros(2, 5, 2))


def test_models_train_a_step_and_losses_can_be_switched(preset):
    for variant in planning_task.VARIANTS:
        vp = planning_task.variant_preset(preset, variant)
        model, batch_fn, cfg = planning_task.build(vp)
        frames, actions = batch_fn(0, torch.Generator().manual_seed(0))
        assert frames.shape == (4, vp.horizon + 1, 3, 32, 32) and actions.abs().max() <= 1
        loss = model(frames, actions)
        loss.backward()
        assert torch.isfinite(loss)
        assert set(model.terms) >= ({"rollout"} if vp.tf_weight == 0 else {"tf"})
    frozen = planning_task.build(planning_task.variant_preset(preset, "frozen"))[0]
    assert not any(p.requires_grad for p in frozen.encoder.parameters())
    with pytest.raises(ValueError, match="not both 0"):
        planning.build_model(preset.replace(tf_weight=0.0, rollout_weight=0.0))
    with pytest.raises(ValueError, match="model must be"):
        planning.build_model(preset.replace(model="video"))
    with pytest.raises(ValueError, match="unknown variant"):
        planning_task.variant_preset(preset, "nope")


# ------------------------------------------------------------------ CEM and MPC


def test_cem_update_keeps_the_cheapest():
    cand = torch.arange(10.0).reshape(1, 10, 1, 1).expand(2, 10, 3, 2).clone()
    costs = torch.stack([torch.arange(10.0), -torch.arange(10.0)])
    mean, std = planning.cem_update(cand, costs, 2)
    assert mean[0].eq(0.5).all() and mean[1].eq(8.5).all() and std.ge(0.05).all()
    with pytest.raises(ValueError, match="elites"):
        planning.cem_update(cand, costs, 11)


def test_cem_improves_a_toy_objective():
    target = torch.tensor([[0.3, -0.5], [0.7, 0.1]]).expand(3, 2, 2)  # [B, H, A]

    def cost(c):
        return (c - target[:, None]).pow(2).sum((-1, -2))

    start = torch.zeros(3, 2, 2)
    g = torch.Generator().manual_seed(0)
    out = planning.cem(cost, start, 1.0, samples=64, elites=8, iterations=6, generator=g)
    assert cost(out["mean"][:, None]).max() < 0.01 < cost(start[:, None]).min()
    one = planning.cem(cost, start, 1.0, samples=64, elites=8, iterations=1, generator=torch.Generator().manual_seed(0))
    assert cost(out["mean"][:, None]).mean() < cost(one["mean"][:, None]).mean()
    with pytest.raises(ValueError, match="samples"):
        planning.cem(cost, start, samples=1)


def test_mpc_loop_executes_the_first_action_and_stops_at_the_goal():
    start, goal = torch.zeros(2, 2), torch.tensor([[0.35, 0.0], [0.0, 0.0]])
    calls = []

    def plan(p, g, which):
        calls.append(which.tolist())
        return torch.tensor([[1.0, 0.0], [-1.0, 0.0]]).expand(len(p), 2, 2)

    out = planning.mpc(lambda p, a: p + 0.1 * a, plan, start, goal, budget=10, radius=0.06)
    assert out["success"].tolist() == [True, True] and out["steps"].tolist() == [3, 0]
    assert out["path"].shape == (2, 11, 2) and calls == [[0], [0], [0]]
    with pytest.raises(ValueError, match="budget"):
        planning.mpc(lambda p, a: p, plan, start, goal, budget=0, radius=0.1)


def test_simulator_planner_crosses_the_door_and_greedy_does_not():
    start, goal = torch.tensor([[0.2, 0.15]]), torch.tensor([[0.8, 0.15]])
    settings = {"budget": 25, "radius": 0.08, "max_step": 0.15, "door": rooms.DOOR}
    sim = planners.CEMPlanner(planners.simulator_cost(0.15, rooms.DOOR, 0.02), horizon=8, samples=64, elites=8,
                              iterations=3, seed=0)
    assert planners.run_episodes(sim, start, goal, **settings)["success"].all()
    assert not planners.run_episodes(planners.greedy_policy(0.15), start, goal, **settings)["success"].any()
    with pytest.raises(ValueError, match="elites"):
        planners.CEMPlanner(sim.cost, horizon=8, samples=4, elites=8)


def test_latent_and_pixel_planners_run(preset):
    for variant in (None, "pixel"):
        model = planning.build_model(planning_task.variant_preset(preset, variant)).eval()
        r = planning.success(planning.planner_for(model, preset), preset, seed=0)
        assert 0 <= r["success"] <= 1 and set(r) == {"success", "cross", "same", "moves"}
        assert planning.timing(model, preset, repeats=1) > 0


# ------------------------------------------------------------------ task, explorer, exercises


def test_task_is_registered_and_fits_and_loads(preset, tmp_path):
    assert tasks.get("planning") is planning_task.TASK
    model, card = planning_task.fit(preset, "collapsed")
    assert card["preset"]["var_weight"] == 0 and len(card["history"]["loss"]) >= 1
    from jepa_lab import train

    path = tmp_path / "m.pt"
    train.save_checkpoint(path, model, None, card["step"], {"preset": card["preset"]})
    loaded, _ = planning_task.load(path, preset, "collapsed")
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values(),
                                                  strict=True))
    with pytest.raises(ValueError, match="another preset"):
        planning_task.load(path, preset, None)
    assert planning_task.variant_of(planning_task.variant_preset(preset, "frozen")) == "frozen"


def test_plan_explorer_headless(preset):
    model = planning.build_model(preset).eval()
    e = widgets.plan_explorer(model, preset)
    assert isinstance(e.figure, Figure) and "ms per MPC step" in e.figure._suptitle.get_text()
    e.update(start_x=0.5, start_y=0.2, samples=1000, iterations=99)  # inside the wall: moved out; clamped
    assert e.params["samples"] == 256 and e.params["iterations"] == 6
    sim = widgets.plan_explorer(None, preset.replace(budget=10))
    sim.update(step=3)
    assert sim.params["step"] == 3


def test_exercise_checkers(capsys):
    assert checks.check_cem_update(solutions.cem_update)
    assert checks.check_mpc(solutions.mpc)
    assert checks.check_cem_update(planning.cem_update)
    assert not checks.check_cem_update(lambda c, s, k: solutions.cem_update(c, -s, k))  # kept the worst
    assert not checks.check_mpc(lambda f, p, s, g, b, r: solutions.mpc(  # executed the whole plan each time
        lambda q, a: f(f(q, a), -a), p, s, g, b, r))
    assert "[wrong]" in capsys.readouterr().out


# ------------------------------------------------------------------ the shipped model (slow)


@pytest.mark.slow
def test_shipped_planner_success_is_what_the_card_says():
    preset = config.for_notebook("09", mode="cpu")

    def refuse(*args, **kwargs):
        raise AssertionError("the shipped planning checkpoint did not load (the reason is printed above)")

    model, card = artifacts.fit_or_load(dataclasses.replace(tasks.get("planning"), fit=refuse), preset)
    seed = planning.eval_seeds(preset)[0]
    got = planning.success(planning.planner_for(model, preset, seed=seed), preset, seed)
    assert got["success"] == pytest.approx(card["probe"]["runs"][0]["success"], abs=0.02)
    assert got["success"] >= config.expectations("09", "cpu").success
