"""Headless tests of the feature explorers (notebooks 04 and 07): each is driven like a learner's slider
and judged by the figure it returns."""

import pytest
import torch
from matplotlib.figure import Figure

from jepa_lab import config, dynamics, vit, widgets
from jepa_lab.datasets import make_shapes


@pytest.fixture(scope="module")
def images():
    return make_shapes(6, 32, seed=0)[0]


def _encoder(seed, depth=3, embed_dim=32):
    torch.manual_seed(seed)
    return vit.Encoder(image_size=32, patch_size=8, embed_dim=embed_dim, depth=depth, num_heads=2).eval()


def _rgb_panel(fig: Figure):
    return fig.axes[1].images[0].get_array()


def test_pca_explorer_draws_every_control(images):
    e = widgets.pca_explorer({"trained": _encoder(0), "random init": _encoder(1)}, images)
    assert isinstance(e.figure, Figure) and e.params == {"encoder": "trained", "index": 0, "layer": 2, "first": 0}
    assert e.controls["first"].max == 12 - 3 and e.controls["layer"].max == 2
    title = e.figure._suptitle.get_text()
    assert title.startswith("trained, after block 2 of 3") and "variance" in title
    assert e.figure.axes[1].get_title() == "components 1-3 as RGB"
    before = _rgb_panel(e.figure).copy()
    for change in ({"first": 4}, {"layer": 0}, {"encoder": "random init"}, {"index": 3}):
        e.update(**change)
        after = _rgb_panel(e.figure)
        assert after.shape == (32, 32, 3) and not (after == before).all(), change
        before = after.copy()
    bars = e.figure.axes[2].patches
    assert len(bars) == 12 and sum(b.get_height() for b in bars) <= 1 + 1e-6
    assert len({b.get_facecolor() for b in bars}) == 4  # three coloured bars and the grey rest


def test_pca_explorer_clamps_and_refuses_bad_input(images):
    e = widgets.pca_explorer({"a": _encoder(0)}, images)
    e.update(first=99, layer=-3, index=1000)
    assert e.params == {"encoder": "a", "index": 5, "layer": 0, "first": 9}
    assert "components 10-12" in e.figure.axes[1].get_title()
    with pytest.raises(ValueError, match="not one of"):
        e.update(encoder="MAE")
    with pytest.raises(ValueError, match="at least one encoder"):
        widgets.pca_explorer({}, images)
    with pytest.raises(ValueError, match="at least two images"):
        widgets.pca_explorer({"a": _encoder(0)}, images[:1])
    with pytest.raises(ValueError, match="same token grid and depth"):
        widgets.pca_explorer({"a": _encoder(0), "b": _encoder(0, depth=2)}, images)


def test_attention_explorer_compares_encoders(images):
    e = widgets.attention_explorer({"trained": _encoder(0), "random init": _encoder(1)}, images)
    assert "name" in e.controls and e.figure._suptitle.get_text().startswith("trained, layer 0")
    before = e.figure.axes[1].images[0].get_array().copy()
    e.update(name="random init", layer=99)
    assert e.params["layer"] == 2 and e.figure._suptitle.get_text().startswith("random init, layer 2")
    assert not (e.figure.axes[1].images[0].get_array() == before).all()
    with pytest.raises(ValueError, match="share depth"):
        widgets.attention_explorer({"a": _encoder(0), "b": _encoder(0, depth=2)}, images)


@pytest.fixture(scope="module")
def dynamics_model():
    p = config.for_notebook("07", mode="fast").replace(n_train=32)
    torch.manual_seed(0)
    return dynamics.build(p).eval(), p  # untrained: drawing is the test


def test_latent_explorer_draws_scrubs_and_clamps(dynamics_model):
    model, p = dynamics_model
    test = dynamics.data(p)[1][:5]
    e = widgets.latent_explorer(model, p, test)
    assert e.params == {"horizontal": "PC 1", "vertical": "PC 2", "colour": "x", "index": 0, "time": p.history - 1}
    left = e.figure.axes[0]
    windows = 5 * (test.shape[1] - p.history + 1)
    assert len(left.collections[0].get_offsets()) == windows and left.get_xlabel() == "PC 1"
    assert f"time {p.history - 1}:" in e.figure._suptitle.get_text()
    ring = left.lines[1].get_xydata().copy()
    e.update(time=30)
    assert "time 30:" in e.figure._suptitle.get_text() and not (e.figure.axes[0].lines[1].get_xydata() == ring).all()
    e.update(horizontal="probe x", vertical="probe vy", colour="vy", index=99, time=10_000)
    left = e.figure.axes[0]
    assert (left.get_xlabel(), left.get_ylabel()) == ("probe x", "probe vy")
    assert e.params["index"] == 4 and e.params["time"] == test.shape[1] - 1
    assert "colour: true vy" in e.figure._suptitle.get_text()
    with pytest.raises(ValueError, match="not one of"):
        e.update(horizontal="PC 9")


def test_latent_explorer_refuses_bad_input(dynamics_model):
    model, p = dynamics_model
    test = dynamics.data(p)[1][:3]
    with pytest.raises(ValueError, match="one ball"):
        widgets.latent_explorer(model, p, test[..., :2])
    with pytest.raises(ValueError, match="num_pcs"):
        widgets.latent_explorer(model, p, test, num_pcs=100)
    with pytest.raises(ValueError, match="shorter than a window"):
        widgets.latent_explorer(model, p, test[:, :p.history])
