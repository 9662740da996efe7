"""The explorer: a drawing function, one control per parameter, drivable headless.

Introduced in notebook 01.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as W
from matplotlib.figure import Figure


class Explorer:
    """A drawing function ``draw(fig, **params)`` with one control per parameter.

    Attributes:
        widget: the ``ipywidgets.interactive`` to display.
        controls: name -> control widget.
        figure: the last drawn ``Figure``; params: the parameters it was drawn with.
        error: the exception of the last redraw, if it failed.

    A first drawing that fails raises ``ValueError`` at construction, and ``update`` raises when its
    redraw fails, so a headless caller never gets a silent ``figure`` of ``None``.
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
        self.error: Exception | None = None  # why the last redraw failed (None: it did not)
        self.widget = W.interactive(self._render, **controls)
        if self.error is not None:  # headless, ``interactive`` would only log it and leave no figure
            raise ValueError(f"cannot draw with these settings: {self.error}") from self.error

    def _render(self, **params: Any) -> Figure:
        fig = Figure(figsize=self._figsize, layout="constrained")
        try:
            self._draw(fig, **params)
        except Exception as e:
            self.error = e
            raise  # in a kernel, ``interactive`` shows the traceback under the controls
        self.figure, self.params, self.error = fig, params, None
        if _in_kernel():  # ``interactive`` does not display its result: show it in its Output area
            from IPython.display import display

            display(fig)
        return fig

    def update(self, **params: Any) -> Figure:
        """Set controls (clamped to their valid range) and return the redrawn figure."""
        unknown = sorted(set(params) - set(self.controls))
        if unknown:
            raise ValueError(f"unknown control(s) {', '.join(unknown)}; valid: {', '.join(self.controls)}")
        for name, value in params.items():
            self.controls[name].value = clamp(self.controls[name], value)
        if self.error is not None:
            settings = {name: c.value for name, c in self.controls.items()}
            raise ValueError(f"cannot draw with {settings}: {self.error}") from self.error
        return self.figure

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


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
        if isinstance(control.value, tuple):  # a range slider: clamp both ends, keep them in order
            low, high = sorted(min(max(v, control.min), control.max) for v in value)
            return (low, high)
        return type(control.value)(min(max(value, control.min), control.max))
    return value


def slider(cls, **kw: Any) -> W.ValueWidget:
    """An ipywidgets slider of class ``cls`` that redraws on release; an empty range is a ``ValueError``
    naming the control, not traitlets' ``setting min > max``."""
    low, high = kw.get("min"), kw.get("max")
    if low is not None and high is not None and low > high:
        raise ValueError(f"nothing to choose for {kw.get('description', 'a slider')!r}: its range "
                         f"{low}..{high} is empty")
    return cls(continuous_update=False, style={"description_width": "initial"}, **kw)


def index_slider(count: int, what: str, description: str | None = None) -> W.IntSlider:
    """A slider over ``count`` items (``0 .. count - 1``); no items is a ``ValueError`` saying what to pass."""
    if count < 1:
        raise ValueError(f"pass at least one {what} (got none)")
    return slider(W.IntSlider, value=0, min=0, max=count - 1, description=description or what)
