"""Explorers of what features encode: patch features of image encoders as colours (notebook 04), the
latents of the bouncing-ball model in a plane (notebook 07).

Introduced in notebook 04.
"""

from __future__ import annotations

import ipywidgets as W
import torch
from matplotlib.figure import Figure

from jepa_lab import dynamics, evaluate, plots
from jepa_lab.datasets.particles import STATE
from jepa_lab.widgets.base import Explorer, index_slider, slider

MAX_COMPONENTS = 12  # the variance bars and the component slider stop here


def pca_explorer(encoders: dict, images: torch.Tensor) -> Explorer:
    """Pick an encoder, an image, a layer and three principal components; see the patch features as colours.

    Args:
        encoders: name -> ``vit.Encoder`` on 2-D images, all of the same grid and depth (e.g. the trained
            context and target encoders, an ablation, the random init; any other encoder of the same
            shape, a pixel-reconstruction one for instance, is one more entry).
        images: ``[N, C, S, S]`` the encoders accept (N >= 2: the components are fitted over all of them,
            so colours compare across images).
    Left: the image. Middle: its patch features after block ``layer`` (with the final layer norm), on
    components ``first``, ``first + 1``, ``first + 2`` as red, green, blue. Right: the share of
    variance of each component, the three shown coloured.

    Introduced in notebook 04.
    """
    if not encoders:
        raise ValueError("pca_explorer needs at least one encoder, e.g. {'target encoder': model.target_encoder}")
    if images.ndim != 4 or len(images) < 2:
        raise ValueError(f"pca_explorer needs at least two images [N, C, S, S], got {tuple(images.shape)}")
    grids = {name: tuple(e.grid) for name, e in encoders.items()}
    depths = {name: len(e.blocks) for name, e in encoders.items()}
    if len(set(grids.values())) != 1 or len(set(depths.values())) != 1:
        raise ValueError(f"every encoder needs the same token grid and depth, got grids {grids} and depths {depths}")
    grid, depth = next(iter(grids.values())), next(iter(depths.values()))
    if len(grid) != 2:
        raise ValueError("pca_explorer needs image encoders (2-D token grid)")
    width = min(min(e.embed_dim for e in encoders.values()), len(images) * grid[0] * grid[1])
    top = min(MAX_COMPONENTS, width)
    if top < 3:
        raise ValueError(f"features of width {width} have fewer than the three components RGB needs")
    cache: dict[tuple[str, int], tuple[torch.Tensor, torch.Tensor]] = {}

    def features(name: str, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
        if (name, layer) not in cache:
            enc = encoders[name]
            was_training = enc.training
            enc.eval()
            device = next(enc.parameters()).device
            z = enc.block_outputs(images.to(device))[layer].float().cpu()  # [N, T, D]
            enc.train(was_training)
            power = evaluate.spectrum(z.flatten(0, 1)) ** 2
            cache[(name, layer)] = (z, power[:top] / power.sum())  # the share of variance per component
        return cache[(name, layer)]

    def draw(fig: Figure, encoder: str, index: int, layer: int, first: int) -> None:
        z, shares = features(encoder, layer)
        comps = (first, first + 1, first + 2)
        rgb = evaluate.pca_rgb(z, grid, components=comps)[index]
        left, middle, right = fig.subplots(1, 3, width_ratios=(1, 1, 1.3))
        plots.plot_images(images[index:index + 1], ncols=1, ax=left)
        left.set_title(f"image {index}", fontsize=9)
        plots.plot_pca_rgb(rgb, images.shape[-1], ax=middle, title=f"components {first + 1}-{first + 3} as RGB")
        plots.plot_explained_variance(shares.tolist(), highlight=comps, ax=right)
        fig.suptitle(f"{encoder}, after block {layer} of {depth}: the three components shown carry "
                     f"{shares[first:first + 3].sum():.0%} of the patch features' variance", fontsize=9)

    controls = {
        "encoder": W.Dropdown(options=list(encoders), value=next(iter(encoders)), description="encoder"),
        "index": index_slider(len(images), "image"),
        "layer": slider(W.IntSlider, value=depth - 1, min=0, max=depth - 1, description="after block"),
        "first": slider(W.IntSlider, value=0, min=0, max=top - 3, description="first component (0 = top)"),
    }
    return Explorer(draw, controls, figsize=(9.5, 3.4))


def latent_explorer(model, preset, states: torch.Tensor, num_pcs: int = 4) -> Explorer:
    """Pick two axes of the latent (principal components or probe directions), a state value to colour by,
    and a trajectory to scrub along; see where the latent of each window lies.

    Args:
        model: a trained ``dynamics.LatentDynamics``; preset: its preset (window length, training data
            for the probe).
        states: held-out trajectories ``[N, L, 4]`` (every window of each is encoded once).
        num_pcs: how many principal components the axis menus offer (at most the latent width).
    Left: the target encoder's latents of every window on the two axes, coloured by the chosen true state
    value, with the chosen trajectory as a line and its window ending at ``time`` ringed. Right: that
    trajectory in the box, with the same point ringed. A probe direction is the linear probe's read-out
    of x, y, vx or vy (``dynamics.fit_probe``).

    Introduced in notebook 07.
    """
    if states.ndim != 3 or states.shape[-1] != 4:
        raise ValueError(f"states must be trajectories [N, L, 4] of one ball, got {tuple(states.shape)}")
    n, length, _ = states.shape
    h = preset.history
    if length < h + 1:
        raise ValueError(f"trajectories of {length} states are shorter than a window of {h} plus one step")
    if not 2 <= num_pcs <= model.latent_dim:
        raise ValueError(f"num_pcs must be in 2..{model.latent_dim} (the latent width), got {num_pcs}")
    t = torch.arange(h - 1, length).repeat(n)
    traj = torch.arange(n).repeat_interleave(length - h + 1)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        z = model.encode(dynamics.windows(states, t, traj, h), encoder="target")  # [N * windows, latent]
    model.train(was_training)
    decoded = dynamics.fit_probe(model, preset)(z)  # [N * windows, 4]
    axes = {f"PC {k + 1}": v for k, v in enumerate(evaluate.pca(z, num_pcs).T)}
    axes.update({f"probe {name}": decoded[:, i] for i, name in enumerate(STATE)})
    truth = states[traj, t]  # [N * windows, 4]
    per = length - h + 1

    def draw(fig: Figure, horizontal: str, vertical: str, colour: str, index: int, time: int) -> None:
        c = STATE.index(colour)
        points = torch.stack([axes[horizontal], axes[vertical]], dim=1)
        here = slice(index * per, (index + 1) * per)
        step = min(max(time, h - 1), length - 1) - (h - 1)
        left, right = fig.subplots(1, 2, width_ratios=(1.3, 1))
        plots.plot_latent_plane(points, truth[:, c], points[here], step, (horizontal, vertical), colour, ax=left)
        path = states[index]
        right.plot(path[:, 0], path[:, 1], "-", lw=1, color="0.4")
        right.plot(path[h - 1 + step, 0], path[h - 1 + step, 1], "o", ms=9, mfc="none", mec="tab:red", mew=2)
        right.set(xlim=(0, 1), ylim=(1, 0), aspect="equal", title=f"trajectory {index} in the box", xticks=[],
                  yticks=[])
        s = path[h - 1 + step]
        fig.suptitle(f"time {h - 1 + step}: x {s[0]:.2f}, y {s[1]:.2f}, vx {s[2]:+.2f}, vy {s[3]:+.2f} · "
                     f"colour: true {colour}", fontsize=9)

    names = list(axes)
    controls = {
        "horizontal": W.Dropdown(options=names, value="PC 1", description="horizontal"),
        "vertical": W.Dropdown(options=names, value="PC 2", description="vertical"),
        "colour": W.ToggleButtons(options=list(STATE), value="x", description="colour by"),
        "index": index_slider(n, "trajectory"),
        "time": slider(W.IntSlider, value=h - 1, min=h - 1, max=length - 1, description="time"),
    }
    return Explorer(draw, controls, figsize=(9.5, 3.8))
