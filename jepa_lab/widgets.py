"""Explorers: pure compute -> pure plot -> a thin ipywidgets control panel.

The only module that imports ipywidgets. Each ``*_explorer`` returns an ``Explorer``: display it
in a notebook, or drive it from code with ``.update(**params)`` (values are clamped to the valid
range) and read ``.figure`` and ``.params``. Figures are made with ``matplotlib.figure.Figure``,
not pyplot, so explorers leave no global plotting state.

Introduced in notebook 01.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as W
import torch
from matplotlib.figure import Figure

from jepa_lab import plots


class Explorer:
    """A drawing function ``draw(fig, **params)`` with one control per parameter.

    Attributes:
        widget: the ``ipywidgets.interactive`` to display.
        controls: name -> control widget.
        figure: the last drawn ``Figure``; params: the parameters it was drawn with.
    """

    def __init__(self, draw: Callable[..., None], controls: dict[str, W.ValueWidget],
                 figsize: tuple[float, float] = (8, 4)) -> None:
        self._draw = draw
        self._figsize = figsize
        self.controls = controls
        for c in controls.values():
            if hasattr(c, "continuous_update"):
                c.continuous_update = False  # redraw on release: no lag on slow machines
        self.figure: Figure | None = None
        self.params: dict[str, Any] = {}
        self.widget = W.interactive(self._render, **controls)

    def _render(self, **params: Any) -> Figure:
        fig = Figure(figsize=self._figsize, layout="constrained")
        self._draw(fig, **params)
        self.figure, self.params = fig, params
        return fig

    def update(self, **params: Any) -> Figure:
        """Set controls (clamped to their valid range) and return the redrawn figure."""
        unknown = sorted(set(params) - set(self.controls))
        if unknown:
            raise ValueError(f"unknown control(s) {', '.join(unknown)}; valid: {', '.join(self.controls)}")
        for name, value in params.items():
            self.controls[name].value = clamp(self.controls[name], value)
        return self.figure

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)


def clamp(control: W.ValueWidget, value: Any) -> Any:
    """The nearest value ``control`` accepts: inside [min, max] or the nearest option."""
    options = getattr(control, "options", None)
    if options is not None:
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        if value in values:
            return value
        if all(isinstance(v, (int, float)) for v in values):
            return min(values, key=lambda v: abs(v - value))
        raise ValueError(f"{value!r} is not one of {values}")
    if hasattr(control, "min") and hasattr(control, "max"):
        return type(control.value)(min(max(value, control.min), control.max))
    return value


def _slider(cls, **kw: Any) -> W.ValueWidget:
    return cls(continuous_update=False, style={"description_width": "initial"}, **kw)


def patch_size_explorer(images: torch.Tensor, min_patch: int = 2) -> Explorer:
    """Pick an image and a patch size; see the grid, the tokens and the token count.

    Args:
        images: ``[N, C, S, S]`` square images.
        min_patch: the smallest patch size offered.
    Only patch sizes that divide S are offered, so no invalid grid can be reached.

    Introduced in notebook 01.
    """
    if images.ndim != 4 or images.shape[-1] != images.shape[-2]:
        raise ValueError(f"expected square images [N, C, S, S], got {tuple(images.shape)}")
    size = images.shape[-1]
    sizes = [p for p in range(min_patch, size // 2 + 1) if size % p == 0]
    if not sizes:
        raise ValueError(f"image size {size} has no patch size between {min_patch} and {size // 2}")

    def draw(fig: Figure, index: int, patch_size: int) -> None:
        left, right = fig.subplots(1, 2)
        plots.plot_patch_grid(images[index], patch_size, ax=left)
        plots.plot_tokens(images[index], patch_size, ax=right)
        n = (size // patch_size) ** 2
        fig.suptitle(f"{size}x{size} image, patch {patch_size}: N = {n} tokens, "
                     f"attention compares N^2 = {n * n:,} pairs")

    controls = {
        "index": _slider(W.IntSlider, value=0, min=0, max=len(images) - 1, description="image"),
        "patch_size": _slider(W.SelectionSlider, options=sizes, value=sizes[len(sizes) // 2],
                              description="patch size"),
    }
    return Explorer(draw, controls, figsize=(9, 4.2))
