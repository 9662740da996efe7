import dataclasses
import json
import math
from pathlib import Path

import pytest

from jepa_lab import config
from jepa_lab.config import modes

DATA = Path(__file__).resolve().parents[1] / "data"
# expectation fields where a smaller value is the stricter bound; every other number is a floor
CAPS = {"copy_ratio", "copy_beaten_from", "max_drift", "read_angle", "read_omega", "ceiling_gap", "rotary_error_rise",
        "level_band", "code_angle", "code_omega"}


@pytest.mark.parametrize("mode", config.MODES)
def test_every_notebook_has_every_mode(mode):
    for key in config.notebooks():
        assert config.for_notebook(key, mode=mode).mode == mode
    for key in config.EXPECTATIONS:
        assert config.expectations(key, mode=mode).mode == mode


def _no_looser(strict, loose):
    """Fields of expectation ``strict`` that are looser than ``loose``'s."""
    worse = []
    for f in dataclasses.fields(strict):
        a, b = getattr(strict, f.name), getattr(loose, f.name)
        if f.name == "mode":
            continue
        if isinstance(a, tuple):  # baselines: the stricter set beats at least the same rows
            ok = set(b) <= set(a)
        else:
            ok = a <= b if f.name in CAPS else a >= b
        if not ok:
            worse.append(f"{f.name}: {a} vs {b}")
    return worse


@pytest.mark.parametrize("key", sorted(config.EXPECTATIONS))
def test_cpu_and_full_never_expect_less_than_fast(key):
    fast, cpu, full = (config.expectations(key, mode=m) for m in ("fast", "cpu", "full"))
    assert not _no_looser(cpu, fast)
    assert not _no_looser(full, cpu)
    assert all(math.isfinite(v) for v in dataclasses.astuple(cpu) if isinstance(v, float))  # cpu always checks


def test_expectations_for_an_unknown_notebook_name_the_valid_ones():
    with pytest.raises(ValueError, match="valid keys: 04, 05"):
        config.expectations("01", mode="cpu")
    with pytest.raises(ValueError, match="fast, cpu, full"):
        config.expectations("04", mode="turbo")


def test_shipped_cards_still_fit_the_preset_classes():
    """Loaders compare a card's preset with ``preset.as_dict()``: renaming a class is safe, changing its
    fields would silently retrain every shipped checkpoint."""
    classes = {type(p) for table in config.PRESETS.values() for p in table.values()}
    field_sets = [{f.name for f in dataclasses.fields(c)} for c in classes]
    cards = sorted(DATA.glob("*/*.json"))
    assert cards
    for card in cards:
        keys = set(json.loads(card.read_text()).get("preset", {}))
        if card.parent.name == "physics":  # vector-field cards keep their fitting settings
            assert any(keys <= s for s in field_sets), card.name
        elif keys:
            assert keys in field_sets, card.name


def test_env_var_selects_mode(monkeypatch):
    monkeypatch.setenv("JEPA_LAB_MODE", "fast")
    assert config.get_mode() == "fast"
    assert config.for_notebook("01").mode == "fast"
    monkeypatch.setenv("JEPA_LAB_MODE", " CPU ")
    assert config.get_mode() == "cpu"


@pytest.mark.parametrize("cuda", [False, True])
def test_default_mode_is_cpu_with_or_without_cuda_while_full_is_unverified(monkeypatch, cuda):
    import torch

    monkeypatch.delenv("JEPA_LAB_MODE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert not modes.FULL_VERIFIED  # flip it (and this test) when tools/gpu_check.sh has run the full presets
    assert config.get_mode() == "cpu" and config.for_notebook("04").mode == "cpu"
    monkeypatch.setattr(modes, "FULL_VERIFIED", True)  # once verified, a CUDA machine defaults to full
    assert config.get_mode() == ("full" if cuda else "cpu")


def test_full_is_opt_in_and_warns_once_per_process(monkeypatch, capsys):
    monkeypatch.setenv("JEPA_LAB_MODE", "full")
    modes.reset_warning()
    assert config.for_notebook("04").mode == "full"
    assert config.get_mode("full") == "full" and config.expectations("04").mode == "full"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.strip() == modes.FULL_WARNING  # one line, once
    assert "unverified" in err and "gpu_check.sh" in err
    for mode in ("fast", "cpu"):
        modes.reset_warning()
        config.get_mode(mode)
        assert capsys.readouterr().err == ""
    monkeypatch.setattr(modes, "FULL_VERIFIED", True)
    modes.reset_warning()
    config.get_mode("full")
    assert capsys.readouterr().err == ""  # verified presets need no warning


def test_unknown_mode_names_valid_ones(monkeypatch):
    monkeypatch.setenv("JEPA_LAB_MODE", "turbo")
    with pytest.raises(ValueError, match="fast, cpu, full"):
        config.get_mode()


def test_unknown_notebook_and_keys():
    with pytest.raises(ValueError, match="valid keys: 01"):
        config.for_notebook("99", mode="fast")
    with pytest.raises(ValueError, match="image_size"):
        config.for_notebook("01", mode="fast", imagesize=3)


def test_presets_are_frozen_and_replace_works():
    p = config.for_notebook("1", mode="fast")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.seed = 3
    q = config.for_notebook("01", mode="fast", image_size=64)
    assert q.image_size == 64 and q.seed == p.seed and q.mode == "fast"
    assert q.as_dict()["image_size"] == 64


def test_fast_is_smallest():
    fast, cpu = config.for_notebook("01", mode="fast"), config.for_notebook("01", mode="cpu")
    assert fast.n_images <= cpu.n_images and fast.attn_repeats <= cpu.attn_repeats


@pytest.mark.parametrize("key", sorted(config.EXPECTATIONS))
def test_every_expectation_is_asserted_by_its_notebook(key):
    notebook = next((DATA.parent / "notebooks").glob(f"{key.split('-')[0]}_*.py")).read_text()  # "08-latent": 08
    assert f'config.expectations("{key}", preset.mode)' in notebook
    unused = [f.name for f in dataclasses.fields(config.expectations(key, mode="cpu"))
              if f.name != "mode" and f"expect.{f.name}" not in notebook]
    assert not unused, f"notebook {key} never uses {unused}"
