"""The README's figures from runs that are not shipped agree with the cards kept in docs/measurements."""
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAN_MASKS = ROOT / "docs" / "measurements" / "pan_masks"
MASK_NAMES = {"multiblock3d": "multi-block 3-D", "per_frame": "per-frame"}


def pan_cards() -> dict[tuple[int, str], dict]:
    cards = {}
    for path in sorted(PAN_MASKS.glob("pan_3000_seed*_*.json")):
        card = json.loads(path.read_text())
        preset = card["preset"]
        cards[preset["seed"], preset["mask"]] = card
    return cards


def table_row(card: dict) -> str:
    """The README row a card should give: seed, masks, pan probe, prediction errors, training loss."""
    preset, probe = card["preset"], card["probe"]
    ordered, pooled = probe["pan"]["V-JEPA, in time order"], probe["pan"]["V-JEPA, pooled"]
    pred = probe["prediction"]
    split = f"{pred['error_copyable']:.3f} / {pred['error_hidden']:.3f}" if pred["copyable"] > 0 else "–"
    loss = sum(card["history"]["loss"][-20:]) / 20
    return (f"| {preset['seed']} | {MASK_NAMES[preset['mask']]} | {ordered['linear']:.3f} / {ordered['knn']:.3f} | "
            f"{pooled['linear']:.3f} | {pred['error']:.3f} | {split} | {pred['average_target']:.3f} | {loss:.3f} |")


def test_pan_masks_cards_are_the_runs_the_readme_names():
    cards = pan_cards()
    assert set(cards) == {(s, m) for s in (0, 1, 2) for m in MASK_NAMES}
    for (seed, mask), card in cards.items():
        preset = card["preset"]
        assert (preset["steps"], preset["background"], preset["mode"]) == (3000, "pan", "cpu")
        assert f"--set mask={mask}" in card["command"] and f"--set seed={seed}" in card["command"]
        assert card["threads"] == 1 and card["history"]["step"][-1] == 2999  # the last of 3,000 steps (0-based)


@pytest.mark.parametrize("key", [(s, m) for s in (0, 1, 2) for m in MASK_NAMES])
def test_readme_pan_3000_table_rows_are_the_cards(key):
    assert table_row(pan_cards()[key]) in (ROOT / "README.md").read_text()


def test_pan_3000_per_frame_masks_take_the_shortcut_on_every_seed():
    """What the README says of these runs: per-frame masks predict their copyable tokens better than the rest
    and reach the lower prediction error, while the pan probe favours multi-block masks on seeds 1 and 2 only."""
    cards = pan_cards()
    for seed in (0, 1, 2):
        blocks, frames = (cards[seed, m]["probe"] for m in MASK_NAMES)
        assert frames["prediction"]["error_copyable"] < frames["prediction"]["error_hidden"]
        assert frames["prediction"]["error"] < blocks["prediction"]["error"]
        gap = blocks["pan"]["V-JEPA, in time order"]["linear"] - frames["pan"]["V-JEPA, in time order"]["linear"]
        assert (gap > 0) == (seed != 0)
