"""Re-evaluate the shipped checkpoints: their cards' probe figures must be what the weights give."""

import json

import pytest
import torch

from jepa_lab import config, evaluate, train

SHIPPED = sorted(train.CHECKPOINTS.glob("*.pt"))
IJEPA = [p for p in SHIPPED if p.stem.startswith("ijepa_")]
VJEPA = [p for p in SHIPPED if p.stem.startswith("vjepa_")]


def test_the_course_ships_its_checkpoints():
    names = {p.stem for p in SHIPPED}
    assert {"ijepa_shapes_cpu", "ijepa_shapes_cpu_nopred"} <= names
    assert {"vjepa_moving_cpu", "vjepa_moving_cpu_perframe", "vjepa_moving_cpu_rope"} <= names
    for p in SHIPPED:
        assert p.stat().st_size < 10_000_000, f"{p.name} is over 10 MB: ship it without the optimizer (--ship)"
        assert p.with_suffix(".json").is_file(), f"{p.name} has no JSON card beside it"


@pytest.mark.parametrize("path", IJEPA, ids=lambda p: p.stem)
def test_card_matches_the_weights(path):
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["command"].startswith("python -m jepa_lab.train ijepa --mode cpu") and "--ship" in card["command"]
    preset = config.for_notebook("04", mode="cpu").replace(**{k: v for k, v in card["preset"].items()
                                                               if k != "mode"})
    model = train.jepa_model(preset)
    loaded = train.load_checkpoint(path, model, expect={"preset": preset.as_dict()})
    assert loaded["step"] == preset.steps and "optimizer" not in torch.load(path, weights_only=True)
    data = train.probe_data(preset)
    fresh = train.initial_encoder(preset)
    got = evaluate.probe_with_baselines({"context encoder": model.context_encoder,
                                         "target encoder": model.target_encoder}, fresh, *data, pixels=False)
    for row in ("context encoder", "target encoder", "random init"):
        assert got[row]["probe"] == pytest.approx(card["probe"][row]["probe"], abs=0.01), row
        assert got[row]["effective_rank"] == pytest.approx(card["probe"][row]["effective_rank"], rel=0.02), row
    # the targets for a shipped checkpoint: +20 points over random init, effective rank >= width / 4
    for row in ("context encoder", "target encoder"):
        assert got[row]["probe"] >= got["random init"]["probe"] + 0.20, row
        assert got[row]["effective_rank"] >= got[row]["width"] / 4, row


def test_shipped_checkpoint_refuses_another_preset():
    model = train.jepa_model(config.for_notebook("04", mode="fast"))
    with pytest.raises(ValueError, match="does not fit this model|was made with"):
        train.load_checkpoint(train.CHECKPOINTS / "ijepa_shapes_cpu.pt", model,
                              expect={"preset": config.for_notebook("04", mode="fast").as_dict()})


def _vjepa(path):
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["command"].startswith("python -m jepa_lab.train vjepa --mode cpu") and "--ship" in card["command"]
    preset = config.for_notebook("05", mode="cpu").replace(**{k: tuple(v) if isinstance(v, list) else v
                                                               for k, v in card["preset"].items() if k != "mode"})
    model = train.jepa_model(preset)
    loaded = train.load_checkpoint(path, model, expect={"preset": preset.as_dict()})
    assert loaded["step"] == preset.steps and "optimizer" not in torch.load(path, weights_only=True)
    return model.eval(), preset, card


@pytest.mark.parametrize("path", VJEPA, ids=lambda p: p.stem)
def test_vjepa_card_matches_the_weights(path):
    """The context encoder's held-out direction probe is what the card says (notebook 05's headline)."""
    model, preset, card = _vjepa(path)
    train_x, train_y, test_x, test_y = train.video_probe_data(preset)
    enc = model.context_encoder
    got = evaluate.linear_probe(evaluate.extract_features(enc, train_x), train_y["direction"],
                                evaluate.extract_features(enc, test_x), test_y["direction"])
    assert got == pytest.approx(card["probe"]["context encoder"]["direction"], abs=0.01)
    assert got >= card["probe"]["random init"]["direction"] + 0.10  # learned motion, whatever the variant


def test_shipped_vjepa_beats_the_frame_wise_encoder_on_motion():
    """The issue's cpu target, from the card of the checkpoint notebook 05 loads: direction probe 20 points
    over notebook 04's encoder applied frame by frame, and over 2.5x chance (8 directions)."""
    card = json.loads((train.CHECKPOINTS / "vjepa_moving_cpu.json").read_text())
    probe = card["probe"]
    assert probe["context encoder"]["direction"] >= probe["frame-wise image encoder"]["direction"] + 0.20
    assert probe["context encoder"]["direction"] >= 2.5 / 8


def test_shipped_pendulum_vjepa_loads_and_its_card_meets_the_probe_targets():
    path = train.CHECKPOINTS / "pendulum_vjepa_cpu.pt"
    card = json.loads(path.with_suffix(".json").read_text())
    preset = config.for_notebook("08", mode="cpu")
    model = train.jepa_model(preset)
    train.load_checkpoint(path, model, expect={"preset": preset.as_dict()})
    ctx = card["probe"]["context encoder"]
    assert min(ctx["cos"], ctx["sin"]) >= 0.85 and ctx["omega"] >= 0.8


def test_shipped_dynamics_design_meets_notebook_07_targets():
    from jepa_lab import dynamics

    preset = config.for_notebook("07", mode="cpu")
    model, history = dynamics.load_or_run(preset, "residual + prior (the design)")
    assert len(history["loss"]) > 10  # loaded (a card's history), not a fresh run
    r = dynamics.evaluate(model, preset)
    k10 = r["horizons"][10]
    assert min(r["probe_r2"]) >= 0.95 and r["effective_rank"] >= r["width"] / 2
    assert min(k10["decoded_r2"]) >= 0.9 and k10["ratio"] <= 0.1
    for variant in dynamics.VARIANTS:  # every variant's file fits its preset
        path = dynamics.SHIPPED / f"{dynamics.slug(variant)}_cpu.pt"
        vp = dynamics.variant_preset(preset, variant)
        train.load_checkpoint(path, dynamics.build(vp), expect={"preset": vp.as_dict(), "variant": variant})


def test_shipped_vector_fields_meet_notebook_08_targets():
    from jepa_lab import physics

    preset = config.for_notebook("08", mode="cpu")
    starts = physics.test_starts(preset)
    drift = {}
    for name in physics.MODELS:
        model, card = physics.load_or_fit(name, preset)
        assert "command" in card  # loaded, not fitted here
        traj = physics.rollout(model, starts, preset.rollout_steps, preset.rollout_dt, preset.rollout_substeps)
        drift[name] = physics.relative_drift(traj).mean().item()  # re-measured, then held to the card
        assert drift[name] == pytest.approx(card["drift_mean"], rel=1e-3)
    # what notebook 08 asserts: HNN and LNN within the 0.2 %, each at least 20x below the MLP
    assert drift["HNN"] <= 2e-3 and drift["LNN"] <= 2e-3
    assert drift["MLP"] >= 20 * max(drift["HNN"], drift["LNN"])


def test_shipped_fields_from_frames_load_and_their_cards_meet_notebook_08_target():
    from jepa_lab import physics

    preset = config.for_notebook("08", mode="cpu")
    nothing = (torch.zeros(1, 2), torch.zeros(1, 2))  # were a file not to fit, the fallback fit would show
    cards = {name: physics.load_or_fit(name, preset, states="probed", data=nothing)[1] for name in physics.MODELS}
    assert all("--states probed" in card["command"] for card in cards.values())  # loaded, not fitted here
    assert cards["MLP"]["drift_mean"] >= 10 * cards["HNN"]["drift_mean"]  # the 10x, as the notebook asserts
