import pytest
import torch
from matplotlib.figure import Figure

from jepa_lab import widgets
from jepa_lab.datasets import make_shapes


@pytest.fixture(scope="module")
def images():
    return make_shapes(4, 32, seed=0)[0]


def _pixels(fig: Figure) -> torch.Tensor:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return torch.tensor(bytearray(canvas.buffer_rgba()))


def test_patch_size_explorer_offers_only_valid_sizes(images):
    e = widgets.patch_size_explorer(images)
    assert list(e.controls["patch_size"].options) == [2, 4, 8, 16]
    assert isinstance(e.figure, Figure) and e.widget.result is e.figure


def test_moving_the_slider_redraws(images):
    e = widgets.patch_size_explorer(images)
    before = _pixels(e.figure)
    e.controls["patch_size"].value = 4  # what a learner's slider does
    assert "N = 64 tokens" in e.figure._suptitle.get_text()
    assert not torch.equal(before, _pixels(e.figure))


def test_update_clamps(images):
    e = widgets.patch_size_explorer(images)
    e.update(patch_size=7, index=99)
    assert e.params == {"index": 3, "patch_size": 8}
    e.update(patch_size=1000)
    assert e.params["patch_size"] == 16
    with pytest.raises(ValueError, match="unknown control"):
        e.update(size=3)


def test_bad_images():
    with pytest.raises(ValueError, match="square"):
        widgets.patch_size_explorer(torch.zeros(2, 3, 32, 16))
