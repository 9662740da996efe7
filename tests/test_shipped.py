"""Re-evaluate the shipped checkpoints: their cards' probe figures must be what the weights give."""

import json

import pytest
import torch

from jepa_lab import config, evaluate, train

SHIPPED = sorted(train.CHECKPOINTS.glob("*.pt"))


def test_the_course_ships_its_checkpoints():
    names = {p.stem for p in SHIPPED}
    assert {"ijepa_shapes_cpu", "ijepa_shapes_cpu_nopred"} <= names
    for p in SHIPPED:
        assert p.stat().st_size < 10_000_000, f"{p.name} is over 10 MB: ship it without the optimizer (--ship)"
        assert p.with_suffix(".json").is_file(), f"{p.name} has no JSON card beside it"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_card_matches_the_weights(path):
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["command"].startswith("python -m jepa_lab.train ijepa --mode cpu") and "--ship" in card["command"]
    preset = config.for_notebook("04", mode="cpu").replace(**{k: v for k, v in card["preset"].items()
                                                               if k != "mode"})
    model, _, _ = train.ijepa_task(preset)
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
    model, _, _ = train.ijepa_task(config.for_notebook("04", mode="fast"))
    with pytest.raises(ValueError, match="does not fit this model|was made with"):
        train.load_checkpoint(train.CHECKPOINTS / "ijepa_shapes_cpu.pt", model,
                              expect={"preset": config.for_notebook("04", mode="fast").as_dict()})
