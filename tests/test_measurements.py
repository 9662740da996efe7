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
        assert path.stem == f"pan_3000_seed{preset['seed']}_{preset['mask']}", f"{path.name} holds another run"
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


def pan_gap(cards: dict, seed: int, reader: str = "V-JEPA, in time order", score: str = "linear") -> float:
    """Multi-block minus per-frame masks on the pan probe."""
    blocks, frames = (cards[seed, m]["probe"]["pan"][reader][score] for m in MASK_NAMES)
    return blocks - frames


def test_readme_pan_3000_gaps_are_the_cards():
    """The figures the README's paragraph derives from the cards: the probe gaps by seed and over seeds."""
    cards, readme = pan_cards(), " ".join((ROOT / "README.md").read_text().split())
    gaps = [pan_gap(cards, s) for s in (0, 1, 2)]
    mean = sum(gaps) / 3
    sd = (sum((g - mean) ** 2 for g in gaps) / 2) ** 0.5
    figures = [f"{gaps[1]:+.3f} and {gaps[2]:+.3f} in time order on seeds 1 and 2",
               f"({pan_gap(cards, 1, score='knn'):+.3f} and {pan_gap(cards, 2, score='knn'):+.3f} by the vote)",
               f"{gaps[0]:.3f} on seed 0 (pooled {pan_gap(cards, 0, 'V-JEPA, pooled'):.3f})",
               f"mean {mean:+.3f}, s.d. {sd:.3f} over seeds"]
    for figure in figures:
        assert figure.replace("-", "−") in readme, figure


def test_pan_3000_per_frame_masks_predict_better_on_every_seed():
    """What the README says of these runs: per-frame masks predict their copyable tokens a little better than the rest
    and reach the lower prediction error, while the pan probe favours multi-block masks on seeds 1 and 2 only."""
    cards = pan_cards()
    for seed in (0, 1, 2):
        blocks, frames = (cards[seed, m]["probe"] for m in MASK_NAMES)
        assert frames["prediction"]["error_copyable"] < frames["prediction"]["error_hidden"]
        assert frames["prediction"]["error"] < blocks["prediction"]["error"]
        gap = blocks["pan"]["V-JEPA, in time order"]["linear"] - frames["pan"]["V-JEPA, in time order"]["linear"]
        assert (gap > 0) == (seed != 0)
