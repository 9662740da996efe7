"""Explorers of images, tokens, masks and attention (notebooks 01-03).

Introduced in notebook 01.
"""

from __future__ import annotations

import ipywidgets as W
import torch
from matplotlib.figure import Figure

from jepa_lab import masks, plots
from jepa_lab.tokens import check_divisible, grid_size
from jepa_lab.widgets.base import Explorer, index_slider, slider


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
        "index": index_slider(len(images), "image"),
        "patch_size": slider(W.SelectionSlider, options=sizes, value=sizes[len(sizes) // 2],
                             description="patch size"),
    }
    return Explorer(draw, controls, figsize=(9, 4.2))


def _mask_title(m) -> str:
    s = masks.mask_stats(m)
    return (f"masked {s['masked_fraction']:.0%} · context {s['context']}/{s['tokens']} · "
            f"targets {s['targets']} · overlap {s['target_overlap']:.0%} · "
            f"{'disjoint' if s['disjoint'] else 'NOT disjoint'}")


def _no_mask(fig: Figure, error: Exception) -> None:
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
        "index": index_slider(len(images), "image"),
        "seed": slider(W.IntSlider, value=0, min=0, max=999, description="seed"),
    }
    if strategy == "random":
        low = round(max(0.05, 1.5 / n), 2)
        controls = {"keep_ratio": slider(W.FloatSlider, value=0.25, min=low, max=round(1 - low, 2),
                                          step=0.05, description="keep ratio")}

        def params(keep_ratio):
            return {"keep_ratio": keep_ratio}
    elif strategy == "block":
        side = min(grid) - 1
        controls = {"block": slider(W.IntSlider, value=max(1, side // 2), min=1, max=side, description="block side")}

        def params(block):
            return {"block": block}
    elif strategy == "multiblock":
        controls = {
            "num_targets": slider(W.IntSlider, value=4, min=1, max=8, description="targets K"),
            "target_scale": slider(W.FloatRangeSlider, value=(0.15, 0.2), min=0.02, max=0.5, step=0.01,
                                    description="target scale"),
            "max_aspect": slider(W.FloatSlider, value=1.5, min=1.0, max=4.0, step=0.25, description="max aspect"),
            "context_scale": slider(W.FloatRangeSlider, value=(0.85, 1.0), min=0.3, max=1.0, step=0.05,
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
            _no_mask(fig, e)
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
    if grid[1] * grid[2] < 2:
        raise ValueError(f"patch_size {patch_size} leaves {grid[1] * grid[2]} token per frame of {clip.shape[-1]} "
                         "pixels: nothing to hide and keep at once; use a patch size at most half the frame")

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
        "keep_ratio": slider(W.FloatSlider, value=0.5, min=0.1, max=0.9, step=0.05, description="keep ratio"),
        "seed": slider(W.IntSlider, value=0, min=0, max=999, description="seed"),
    }
    return Explorer(draw, controls, figsize=(1.2 * clip.shape[1] + 0.5, 2.2))


def attention_explorer(encoder, images: torch.Tensor) -> Explorer:
    """Pick an image, a layer, a head and a query token; see where that token attends.

    Args:
        encoder: a 2-D ``vit.Encoder``, or name -> encoder (same grid, depth and heads: e.g. a trained
            encoder and its random init) to compare with an *encoder* menu; images: ``[N, C, S, S]`` they accept.

    Introduced in notebook 03 (the menu of encoders in notebook 04).
    """
    named = dict(encoder) if isinstance(encoder, dict) else {"encoder": encoder}
    if not named:
        raise ValueError("attention_explorer needs an encoder (or a dict of them)")
    if any(len(e.grid) != 2 for e in named.values()):
        raise ValueError("attention_explorer needs an image encoder (2-D token grid)")
    # [depth, N, heads, T, T] per encoder: computed once, sliders only index
    maps = {name: e.attention_maps(images.to(next(e.parameters()).device)).cpu() for name, e in named.items()}
    shapes = {name: tuple(m.shape) for name, m in maps.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"the encoders must share depth, heads and grid to share the sliders, got {shapes}")
    first = next(iter(named.values()))
    depth, _, heads, n, _ = next(iter(maps.values())).shape

    def draw(fig: Figure, index: int, layer: int, head: int, query: int, name: str = "encoder") -> None:
        left, right = fig.subplots(1, 2)
        w = maps[name][layer, index, head]  # [T, T]
        plots.plot_attention_on_image(images[index], w[query], query, ax=left)
        plots.plot_attention_matrix(w, ax=right)
        entropy = -(w[query] * w[query].clamp_min(1e-12).log()).sum().item()
        who = f"{name}, " if len(named) > 1 else ""
        fig.suptitle(f"{who}layer {layer}, head {head}, query token {query}: attention entropy {entropy:.2f} "
                     f"(uniform would be {torch.log(torch.tensor(float(n))).item():.2f})", fontsize=9)

    controls = {
        "index": index_slider(len(images), "image"),
        "layer": slider(W.IntSlider, value=0, min=0, max=depth - 1, description="layer"),
        "head": slider(W.IntSlider, value=0, min=0, max=heads - 1, description="head"),
        "query": slider(W.IntSlider, value=n // 2 + first.grid[1] // 2, min=0, max=n - 1, description="query token"),
    }
    if len(named) > 1:
        controls["name"] = W.Dropdown(options=list(named), value=next(iter(named)), description="encoder")
    return Explorer(draw, controls, figsize=(8, 4))
