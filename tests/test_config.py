import dataclasses

import pytest

from jepa_lab import config


@pytest.mark.parametrize("mode", config.MODES)
def test_every_notebook_has_every_mode(mode):
    for key in config.notebooks():
        preset = config.for_notebook(key, mode=mode)
        assert preset.mode == mode
        assert dataclasses.is_dataclass(preset)


def test_env_var_selects_mode(monkeypatch):
    monkeypatch.setenv("JEPA_LAB_MODE", "fast")
    assert config.get_mode() == "fast"
    assert config.for_notebook("01").mode == "fast"
    monkeypatch.setenv("JEPA_LAB_MODE", " CPU ")
    assert config.get_mode() == "cpu"


def test_default_mode_without_env(monkeypatch):
    monkeypatch.delenv("JEPA_LAB_MODE", raising=False)
    import torch

    assert config.get_mode() == ("full" if torch.cuda.is_available() else "cpu")


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
