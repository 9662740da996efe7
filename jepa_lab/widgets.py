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

from jepa_lab import masks, plots
from jepa_lab.tokens import check_divisible, grid_size


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


def _mask_title(m) -> str:
    s = masks.mask_stats(m)
    return (f"masked {s['masked_fraction']:.0%} · context {s['context']}/{s['tokens']} · "
            f"targets {s['targets']} · overlap {s['target_overlap']:.0%} · "
            f"{'disjoint' if s['disjoint'] else 'NOT disjoint'}")


def _failure(fig: Figure, error: Exception) -> None:
    ax = fig.subplots()
    ax.text(0.5, 0.5, f"No valid mask for these settings:\n{error}", ha="center", va="center", wrap=True)
    ax.set_axis_off()
    fig.suptitle("move a slider back", fontsize=10)


def mask_explorer(images: torch.Tensor, patch_size: int, strategy: str = "multiblock") -> Explorer:
    """Draw masks of one strategy over images; sliders for its parameters and the seed.

    Args:
        images: ``[N, C, S, S]``; patch_size: token side in pixels (must divide S).
        strategy: ``random``, ``block`` or ``multiblock``.
    The figure's title gives the live statistics (fraction masked, context size, target
    overlap, disjointness). Settings that admit no mask show an explanation, not an error.

    Introduced in notebook 02.
    """
    grid = grid_size(images.shape[-1], patch_size)
    n = grid[0] * grid[1]
    common = {
        "index": _slider(W.IntSlider, value=0, min=0, max=len(images) - 1, description="image"),
        "seed": _slider(W.IntSlider, value=0, min=0, max=999, description="seed"),
    }
    if strategy == "random":
        low = round(max(0.05, 1.5 / n), 2)
        controls = {"keep_ratio": _slider(W.FloatSlider, value=0.25, min=low, max=round(1 - low, 2),
                                          step=0.05, description="keep ratio")}

        def params(keep_ratio):
            return {"keep_ratio": keep_ratio}
    elif strategy == "block":
        side = min(grid) - 1
        controls = {"block": _slider(W.IntSlider, value=max(1, side // 2), min=1, max=side, description="block side")}

        def params(block):
            return {"block": block}
    elif strategy == "multiblock":
        controls = {
            "num_targets": _slider(W.IntSlider, value=4, min=1, max=8, description="targets K"),
            "target_scale": _slider(W.FloatRangeSlider, value=(0.15, 0.2), min=0.02, max=0.5, step=0.01,
                                    description="target scale"),
            "max_aspect": _slider(W.FloatSlider, value=1.5, min=1.0, max=4.0, step=0.25, description="max aspect"),
            "context_scale": _slider(W.FloatRangeSlider, value=(0.85, 1.0), min=0.3, max=1.0, step=0.05,
                                     description="context scale"),
        }

        def params(num_targets, target_scale, max_aspect, context_scale):
            return {"num_targets": num_targets, "target_scale": tuple(target_scale),
                    "target_aspect": (1 / max_aspect, max_aspect), "context_scale": tuple(context_scale),
                    "min_context": 1, "max_tries": 50}
    else:
        raise ValueError(f"strategy must be 'random', 'block' or 'multiblock', got {strategy!r}")

    def draw(fig: Figure, index: int, seed: int, **values) -> None:
        try:
            m = masks.sample(strategy, grid, torch.Generator().manual_seed(seed), **params(**values))
        except ValueError as e:
            _failure(fig, e)
            return
        ax = fig.subplots()
        plots.plot_mask(m, images[index], ax=ax)
        fig.suptitle(f"{strategy}: " + _mask_title(m), fontsize=9)

    return Explorer(draw, {**controls, **common}, figsize=(5.5, 5.2))


def tube_explorer(clip: torch.Tensor, patch_size: int, tubelet: int = 2) -> Explorer:
    """Compare a tube mask (same in every frame) with per-frame random masks on one clip.

    Args:
        clip: ``[C, T, S, S]``; patch_size and tubelet set the ``(T/t, S/p, S/p)`` token grid.
    The title reports how many hidden tokens are visible at the same place in a neighbouring
    time step: tokens a model could copy instead of predicting.

    Introduced in notebook 02.
    """
    if clip.ndim != 4:
        raise ValueError(f"expected one clip [C, T, S, S], got {tuple(clip.shape)}")
    grid = (check_divisible(clip.shape[1], tubelet, "frame count"), *grid_size(clip.shape[-1], patch_size))

    def draw(fig: Figure, kind: str, keep_ratio: float, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        if kind == "tube":
            m = masks.sample("tube", grid, g, spatial="random", keep_ratio=keep_ratio)
        else:
            m = masks.sample("per_frame", grid, g, keep_ratio=keep_ratio)
        plots.plot_mask_frames(m, clip, tubelet, ax=fig.subplots())
        fig.suptitle(f"{kind}: {masks.mask_stats(m)['masked_fraction']:.0%} hidden · "
                     f"{masks.neighbour_leak(m):.0%} of hidden tokens visible at the same place one step away",
                     fontsize=9)

    controls = {
        "kind": W.ToggleButtons(options=["tube", "per_frame"], value="tube", description="mask"),
        "keep_ratio": _slider(W.FloatSlider, value=0.5, min=0.1, max=0.9, step=0.05, description="keep ratio"),
        "seed": _slider(W.IntSlider, value=0, min=0, max=999, description="seed"),
    }
    return Explorer(draw, controls, figsize=(1.2 * clip.shape[1] + 0.5, 2.2))


def attention_explorer(encoder, images: torch.Tensor) -> Explorer:
    """Pick an image, a layer, a head and a query token; see where that token attends.

    Args:
        encoder: a 2-D ``vit.Encoder``; images: ``[N, C, S, S]`` it accepts.

    Introduced in notebook 03.
    """
    if len(encoder.grid) != 2:
        raise ValueError("attention_explorer needs an image encoder (2-D token grid)")
    maps = encoder.attention_maps(images)  # [depth, N, heads, T, T]: computed once, sliders only index
    depth, _, heads, n, _ = maps.shape

    def draw(fig: Figure, index: int, layer: int, head: int, query: int) -> None:
        left, right = fig.subplots(1, 2)
        w = maps[layer, index, head]  # [T, T]
        plots.plot_attention_on_image(images[index], w[query], query, ax=left)
        plots.plot_attention_matrix(w, ax=right)
        entropy = -(w[query] * w[query].clamp_min(1e-12).log()).sum().item()
        fig.suptitle(f"layer {layer}, head {head}, query token {query}: attention entropy {entropy:.2f} "
                     f"(uniform would be {torch.log(torch.tensor(float(n))).item():.2f})", fontsize=9)

    controls = {
        "index": _slider(W.IntSlider, value=0, min=0, max=len(images) - 1, description="image"),
        "layer": _slider(W.IntSlider, value=0, min=0, max=depth - 1, description="layer"),
        "head": _slider(W.IntSlider, value=0, min=0, max=heads - 1, description="head"),
        "query": _slider(W.IntSlider, value=n // 2 + encoder.grid[1] // 2, min=0, max=n - 1, description="query token"),
    }
    return Explorer(draw, controls, figsize=(8, 4))


def predictor_explorer(model, images: torch.Tensor, num_targets: int = 4, min_context: int = 4) -> Explorer:
    """Pick an image and a multi-block mask; see the predictor's per-token error on the targets.

    Args:
        model: a trained ``jepa.JEPA`` on 2-D images; images: ``[N, C, S, S]`` it accepts (N >= 2).
    Left: the mask over the image. Right: the per-token latent error (brighter = worse) with the
    context outlined. The title compares the predicted features' cosine similarity to the real
    targets with the same predictor given another image's context.

    Introduced in notebook 04.
    """
    from jepa_lab import evaluate

    if len(images) < 2:
        raise ValueError("predictor_explorer needs at least two images (the baseline borrows another's context)")
    grid = model.context_encoder.grid
    if len(grid) != 2:
        raise ValueError("predictor_explorer needs an image model (2-D token grid)")
    was_training = model.training
    model.eval()
    scale = evaluate.prediction_quality(model, images[:2], *_one_mask(grid, 0, num_targets, min_context)[:2])
    vmax = float(torch.nan_to_num(scale["error_other"], nan=0.0).max()) or 1.0  # one colour scale for all
    model.train(was_training)

    def draw(fig: Figure, index: int, seed: int, targets: int) -> None:
        ctx, tgt, m = _one_mask(grid, seed, targets, min_context)
        pair = torch.stack([images[index], images[(index + 1) % len(images)]])
        model.eval()
        q = evaluate.prediction_quality(model, pair, ctx, tgt)
        model.train(was_training)
        left, right = fig.subplots(1, 2)
        plots.plot_mask(m, images[index], ax=left, title="context (clear) and targets")
        plots.plot_prediction_error(images[index], m, q["error"][0], ax=right, vmax=vmax)
        right.set_title("predictor error per target token", fontsize=9)
        own = ", ".join(f"{c:.2f}" for c in q["cosine"].tolist())
        fig.suptitle(f"cosine(predicted, actual) per block: {own} · with another image's context: "
                     f"{q['cosine_other'].mean():.2f}", fontsize=9)

    controls = {
        "index": _slider(W.IntSlider, value=0, min=0, max=len(images) - 1, description="image"),
        "seed": _slider(W.IntSlider, value=0, min=0, max=999, description="mask seed"),
        "targets": _slider(W.IntSlider, value=min(num_targets, 4), min=1, max=max(num_targets, 4),
                           description="target blocks"),
    }
    return Explorer(draw, controls, figsize=(8, 4))


def clip_scrubber(model, clips: torch.Tensor, keep_ratio: float = 0.25) -> Explorer:
    """Scrub through a clip frame by frame with its mask and the predictor's per-token error.

    Args:
        model: a trained video ``jepa.JEPA`` (3-D token grid); clips: ``[N, C, T, S, S]`` it accepts
            (N >= 2: the title's baseline borrows the next clip's context).
        keep_ratio: the context share per frame (clamped to [0.1, 0.9] by the slider).
    Controls: the clip, the frame, the mask kind (``tube`` or ``per_frame``) and the mask seed. Left:
    the frame with its mask (context clear). Right: the latent error of each hidden token of that
    frame's time step, on one colour scale for every setting.

    Introduced in notebook 05.
    """
    from jepa_lab import evaluate

    grid = model.context_encoder.grid
    if len(grid) != 3:
        raise ValueError("clip_scrubber needs a video model (3-D token grid)")
    if clips.ndim != 5 or len(clips) < 2:
        raise ValueError(f"clip_scrubber needs at least two clips [N, C, T, S, S], got {tuple(clips.shape)}")
    tubelet, per = model.context_encoder.patch_embed.tubelet, grid[1] * grid[2]
    cache: dict[tuple, tuple] = {}

    def errors(index: int, kind: str, keep: float, seed: int):
        key = (index, kind, round(keep, 3), seed)
        if key not in cache:
            mb = masks.sample_video_batch(kind, grid, 1, torch.Generator().manual_seed(seed), keep_ratio=keep)
            ctx, tgt = mb.ctx_idx.expand(2, -1), [t.expand(2, -1) for t in mb.tgt_idx]
            was_training = model.training
            model.eval()
            q = evaluate.prediction_quality(model, clips[[index, (index + 1) % len(clips)]], ctx, tgt)
            model.train(was_training)
            copyable = masks.leaked_tokens(mb.ctx_idx, grid)[0]
            cache[key] = (mb.ctx_idx[0], q["error"][0], copyable, float(q["error_other"][0].nanmean()))
        return cache[key]

    vmax = float(torch.nan_to_num(errors(0, "tube", keep_ratio, 0)[1], nan=0.0).max()) or 1.0

    def draw(fig: Figure, index: int, frame: int, mask: str, keep_ratio: float, seed: int) -> None:
        ctx, err, copyable, other = errors(index, mask, keep_ratio, seed)
        step = frame // tubelet
        here = slice(step * per, (step + 1) * per)
        ctx_here = ctx[(ctx >= here.start) & (ctx < here.stop)] - here.start
        hidden = (~err[here].isnan()).nonzero().flatten()
        m = masks.MaskSample(ctx_here, [hidden], grid[1:])
        image = clips[index][:, frame]
        left, right = fig.subplots(1, 2)
        plots.plot_mask(m, image, ax=left, title=f"frame {frame} = time step {step}: context clear")
        plots.plot_prediction_error(image, m, err[here], ax=right, vmax=vmax)
        right.set_title("predictor error per hidden token", fontsize=9)
        n_copy = int(copyable[here].sum())
        fig.suptitle(f"{mask} mask · error this step {err[here].nanmean():.3f}, whole clip {err.nanmean():.3f} "
                     f"(another clip's context: {other:.3f}) · {n_copy}/{len(hidden)} hidden tokens here are "
                     "visible one step away", fontsize=9)

    controls = {
        "index": _slider(W.IntSlider, value=0, min=0, max=len(clips) - 1, description="clip"),
        "frame": _slider(W.IntSlider, value=0, min=0, max=clips.shape[2] - 1, description="frame"),
        "mask": W.ToggleButtons(options=list(masks.VIDEO_MASKS), value="tube", description="mask"),
        "keep_ratio": _slider(W.FloatSlider, value=min(max(keep_ratio, 0.1), 0.9), min=0.1, max=0.9, step=0.05,
                              description="keep ratio"),
        "seed": _slider(W.IntSlider, value=0, min=0, max=999, description="mask seed"),
    }
    return Explorer(draw, controls, figsize=(8, 4))


def rollout_explorer(models: dict, preset, states: torch.Tensor, max_horizon: int = 20) -> Explorer:
    """Pick a model, a trajectory, a start time, what the context hides and a horizon; see the true path
    and the model's decoded predictions side by side.

    Args:
        models: name -> ``(trained dynamics.LatentDynamics, its preset)`` (e.g. every variant with
            ``dynamics.variant_preset``: the preset says which horizons were trained).
        preset: the notebook-07 preset (window length).
        states: held-out trajectories ``[N, L, 4]``.
        max_horizon: the horizon slider's top (capped by the trajectory length and ``dynamics.MAX_HORIZON``).
    Left: positions in the box (true path from the start, decoded predictions for k = 1..horizon).
    Right: the position error per k. Each model's probe is fitted once.

    Introduced in notebook 07.
    """
    from jepa_lab import dynamics

    if not models:
        raise ValueError("rollout_explorer needs at least one model")
    if states.ndim != 3 or states.shape[-1] != 4:
        raise ValueError(f"states must be trajectories [N, L, 4] of one ball, got {tuple(states.shape)}")
    top = min(max_horizon, dynamics.MAX_HORIZON, states.shape[1] - preset.history)
    if top < 1:
        raise ValueError(f"trajectories of {states.shape[1]} states leave no room for a rollout")
    decoders: dict[str, Callable] = {}

    def draw(fig: Figure, model: str, index: int, start: int, hide: str, horizon: int) -> None:
        start = min(start, states.shape[1] - horizon - 1)
        net, net_preset = models[model]
        if model not in decoders:
            decoders[model] = dynamics.fit_probe(net, net_preset)
        pred = dynamics.rollout(net, net_preset, states[index:index + 1], start, horizon, decoders[model], hide)[0]
        true = states[index, start:start + horizon + 1]
        left, right = fig.subplots(1, 2)
        left.plot(true[:, 0], true[:, 1], "k.-", lw=1, label="true")
        left.plot(pred[:, 0], pred[:, 1], "o--", color="tab:orange", ms=3, lw=1, label="predicted (decoded)")
        left.plot(true[0, 0], true[0, 1], "go", label="now")
        left.set(xlim=(0, 1), ylim=(1, 0), aspect="equal", title="positions")
        left.legend(fontsize=7)
        err = (pred[:, :2] - true[1:, :2]).norm(dim=1)
        right.plot(range(1, horizon + 1), err, "o-")
        right.set(xlabel="horizon k", ylabel="position error", title="error per step ahead")
        fig.suptitle(f"{model} · context hides: {hide} · mean position error {err.mean():.3f}", fontsize=9)

    controls = {
        "model": W.Dropdown(options=list(models), value=next(iter(models)), description="model"),
        "index": _slider(W.IntSlider, value=0, min=0, max=len(states) - 1, description="trajectory"),
        "start": _slider(W.IntSlider, value=preset.history - 1, min=preset.history - 1,
                         max=states.shape[1] - top - 1, description="start time"),
        "hide": W.ToggleButtons(options=list(masks.FEATURE_MASKS), value="none", description="context hides"),
        "horizon": _slider(W.IntSlider, value=min(10, top), min=1, max=top, description="horizon"),
    }
    return Explorer(draw, controls, figsize=(9, 4))


def pendulum_explorer(models: dict, dt: float = 0.1, max_steps: int = 2000, substeps: int = 4) -> Explorer:
    """Pick an initial angle and angular velocity, a learned vector field and a rollout length; see its
    phase portrait next to the exact pendulum's, and the true energy along both.

    Args:
        models: name -> a ``physics`` vector field (``MLP``, ``HNN``, ``LNN``...).
        dt: the rollout's step (RK4 with ``substeps`` steps per ``dt``); max_steps: the steps slider's top
            (capped by ``physics.MAX_ROLLOUT``).

    Introduced in notebook 08.
    """
    from jepa_lab import physics
    from jepa_lab.datasets import pendulum

    if not models:
        raise ValueError("pendulum_explorer needs at least one model")
    top = min(max_steps, physics.MAX_ROLLOUT)

    def draw(fig: Figure, model: str, theta0: float, omega0: float, steps: int) -> None:
        x0 = torch.tensor([[theta0, omega0]])
        learned = physics.rollout(models[model], x0, steps, dt, substeps=substeps)[0]
        exact = pendulum.simulate(x0[:, 0], x0[:, 1], steps + 1, dt)[0].float()
        left, right = fig.subplots(1, 2)
        left.plot(exact[:, 0], exact[:, 1], "k-", lw=1, label="exact")
        left.plot(learned[:, 0], learned[:, 1], "-", color="tab:orange", lw=0.8, label=model)
        left.set(xlabel="θ (unwrapped)", ylabel="ω", title="phase portrait")
        left.legend(fontsize=7)
        time = torch.arange(steps + 1) * dt
        for traj, style, name in ((exact, "k-", "exact"), (learned, "-", model)):
            e = pendulum.energy(traj[:, 0], traj[:, 1])
            right.plot(time, e / e[0], style, lw=1, label=name)
        right.set(xlabel="time (s)", ylabel="E(t) / E(0)", title="true energy")
        drift = physics.relative_drift(learned[None])[0]
        fig.suptitle(f"{model} from θ0 = {theta0:.2f}, ω0 = {omega0:.2f}: largest energy change {drift:.2%}",
                     fontsize=9)

    controls = {
        "model": W.Dropdown(options=list(models), value=next(iter(models)), description="model"),
        "theta0": _slider(W.FloatSlider, value=1.0, min=-3.0, max=3.0, step=0.05, description="θ0"),
        "omega0": _slider(W.FloatSlider, value=0.0, min=-5.0, max=5.0, step=0.1, description="ω0"),
        "steps": _slider(W.IntSlider, value=min(300, top), min=10, max=top, step=10, description="steps"),
    }
    return Explorer(draw, controls, figsize=(9, 4))


def _one_mask(grid, seed: int, num_targets: int, min_context: int):
    """One I-JEPA multi-block mask as index tensors for a pair of images, and the ``MaskSample`` to draw."""
    m = masks.sample("multiblock", grid, torch.Generator().manual_seed(seed), num_targets=num_targets,
                     min_context=min_context)
    return m.ctx_idx.expand(2, -1), [t.expand(2, -1) for t in m.tgt_idx], m


def collapse_dial(results: dict) -> Explorer:
    """The collapse dial: set the target (EMA or momentum 0) and VICReg's weight, read from the sweep of
    ``collapse.run_all`` results; see the feature spread over training and the final spectrum move, with
    the probe accuracy, against the random-init encoder.

    Introduced in notebook 06.
    """
    sweep = results["sweep"]
    by_setting = {(r["target"], r["var_weight"]): r for r in sweep}
    targets = list(dict.fromkeys(r["target"] for r in sweep))
    weights = sorted({r["var_weight"] for r in sweep})
    floor = results["random init"]

    def draw(fig: Figure, target: str, vicreg: float) -> None:
        left, right = fig.subplots(1, 2)
        same = {f"VICReg {w:g}": by_setting[(target, w)] for w in weights}
        name = f"VICReg {vicreg:g}"
        plots.plot_monitor(same, "feature_std", ax=left, highlight=name, reference=floor["feature_std"])
        left.set_title(f"target: {target}", fontsize=9)
        r = by_setting[(target, vicreg)]
        plots.plot_spectra({"random init": floor["spectrum"], name: r["spectrum"]}, ax=right, highlight=name)
        f = r["final"]
        fig.suptitle(f"{target}, VICReg variance weight {vicreg:g}: probe {r['probe']:.3f} (random init "
                     f"{floor['probe']:.3f}) · feature std {f['feature_std']:.4f} · effective rank "
                     f"{f['effective_rank']:.1f}/{f['width']}", fontsize=9)

    controls = {
        "target": W.ToggleButtons(options=targets, value=targets[0], description="target"),
        "vicreg": W.SelectionSlider(options=weights, value=weights[0], description="VICReg weight",
                                    continuous_update=False),
    }
    return Explorer(draw, controls, figsize=(9.5, 3.8))
