"""Two coloured shapes side by side, with generated captions, questions and answers (offline, seeded).

Every scene has a left and a right object of different shapes and different colours; the caption reads
"red triangle left of blue circle". Questions come in five kinds (``QUESTION_KINDS``): the colour of a
shape, the shape of a colour, where a shape is, what is left of a shape, and "describe the picture"
(answered by the caption). Words map to ids through one fixed ``VOCAB``.

Introduced in notebook 10.
"""

from __future__ import annotations

from itertools import permutations

import torch

from jepa_lab.datasets.shapes import SHAPE_CLASSES, hsv_to_rgb, shape_mask

SCENE_SHAPES = ("circle", "square", "triangle", "plus", "hbar", "vbar")
COLOURS = ("red", "yellow", "green", "cyan", "blue", "magenta")  # hues 0, 1/6, ... 5/6
QUESTION_KINDS = ("colour", "shape", "where", "left of", "describe")
SPECIALS = ("<pad>", "<ans>", "<eos>")  # padding, start of the answer, end of the answer
VOCAB = SPECIALS + ("what", "colour", "is", "the", "shape", "one", "where", "left", "right", "of", "describe",
                    "picture", "nothing") + COLOURS + SCENE_SHAPES
PAD, ANS, EOS = 0, 1, 2
WORD_ID = {w: i for i, w in enumerate(VOCAB)}


def encode(texts: list[str], length: int) -> torch.Tensor:
    """Word ids ``[n, length]`` of ``texts``, padded with ``PAD`` (0); unknown words are a ``ValueError``."""
    out = torch.full((len(texts), length), PAD, dtype=torch.long)
    for i, text in enumerate(texts):
        words = text.split()
        if len(words) > length:
            raise ValueError(f"{text!r} has {len(words)} words, more than length={length}")
        unknown = [w for w in words if w not in WORD_ID]
        if unknown:
            raise ValueError(f"unknown words {unknown} in {text!r}; the vocabulary is captions.VOCAB")
        out[i, :len(words)] = torch.tensor([WORD_ID[w] for w in words], dtype=torch.long)
    return out


def decode(ids: torch.Tensor) -> str:
    """The words of ``ids [L]`` up to the first ``EOS`` or ``PAD``, special tokens dropped."""
    words = []
    for i in ids.tolist():
        if i in (EOS, PAD):
            break
        if i != ANS:
            words.append(VOCAB[i])
    return " ".join(words)


def caption(shapes: tuple[int, int], colours: tuple[int, int]) -> str:
    """``"red triangle left of blue circle"`` for the (left, right) shape and colour indices."""
    (s1, s2), (c1, c2) = shapes, colours
    return f"{COLOURS[c1]} {SCENE_SHAPES[s1]} left of {COLOURS[c2]} {SCENE_SHAPES[s2]}"


def answer_candidates() -> list[str]:
    """Every answer any question can have (the list nearest-embedding answering chooses from)."""
    pairs = [f"{c} {s}" for c in COLOURS for s in SCENE_SHAPES]
    captions = [caption(s, c) for s in permutations(range(len(SCENE_SHAPES)), 2)
                for c in permutations(range(len(COLOURS)), 2)]
    return list(COLOURS) + list(SCENE_SHAPES) + ["left", "right", "nothing"] + pairs + captions


def render_scenes(shapes: torch.Tensor, colours: torch.Tensor, g: torch.Generator, image_size: int = 32,
                  noise: float = 0.03) -> torch.Tensor:
    """Images ``[n, 3, S, S]`` of the (left, right) objects ``shapes [n, 2]``, ``colours [n, 2]``."""
    n = len(shapes)
    coords = (torch.arange(image_size, dtype=torch.float32) + 0.5) / image_size * 2 - 1
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    img = (0.05 + 0.15 * torch.rand(n, 1, 1, 1, generator=g)).expand(n, 3, image_size, image_size).clone()
    class_of = torch.tensor([SHAPE_CLASSES.index(s) for s in SCENE_SHAPES])
    for side, sign in ((0, -1.0), (1, 1.0)):
        radius = 0.34 + 0.1 * torch.rand(n, generator=g)
        cx = sign * (0.5 + 0.08 * (torch.rand(n, generator=g) * 2 - 1))
        cy = (torch.rand(n, generator=g) * 2 - 1) * (0.9 - radius)
        u = (x[None] - cx[:, None, None]) / radius[:, None, None]
        v = (y[None] - cy[:, None, None]) / radius[:, None, None]
        inside = shape_mask(class_of[shapes[:, side]], u, v)[:, None]  # [n, 1, S, S]
        hue = colours[:, side].float() / len(COLOURS) + 0.03 * (torch.rand(n, generator=g) * 2 - 1)
        rgb = hsv_to_rgb(hue % 1, 0.75 + 0.25 * torch.rand(n, generator=g), 0.8 + 0.2 * torch.rand(n, generator=g))
        img = torch.where(inside, rgb[:, :, None, None].expand_as(img), img)
    return (img + noise * torch.randn(img.shape, generator=g)).clamp(0, 1)


def _question(kind: str, shapes: list[int], colours: list[int], pick: int) -> tuple[str, str]:
    """Question and answer of ``kind`` about object ``pick`` (0 left, 1 right)."""
    s, c = SCENE_SHAPES[shapes[pick]], COLOURS[colours[pick]]
    if kind == "colour":
        return f"what colour is the {s}", c
    if kind == "shape":
        return f"what shape is the {c} one", s
    if kind == "where":
        return f"where is the {s}", ("left", "right")[pick]
    if kind == "left of":
        other = f"{COLOURS[colours[0]]} {SCENE_SHAPES[shapes[0]]}"
        return f"what is left of the {s}", "nothing" if pick == 0 else other
    return "describe the picture", caption(tuple(shapes), tuple(colours))


def make_vqa(n: int, image_size: int = 32, seed: int = 0) -> dict:
    """``n`` scenes, one question each (kinds balanced), with its answer and the scene's caption.

    Returns:
        ``{"images": [n, 3, S, S], "shapes": [n, 2], "colours": [n, 2], "kind": [n]`` (indices into
        ``QUESTION_KINDS``), ``"questions", "answers", "captions"``: lists of ``n`` strings``}``.

    Introduced in notebook 10.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if image_size < 16:
        raise ValueError(f"image_size must be at least 16 pixels, got {image_size}")
    g = torch.Generator().manual_seed(seed)
    k = len(SCENE_SHAPES)
    shapes = torch.stack([torch.randperm(k, generator=g)[:2] for _ in range(n)])  # two different shapes
    colours = torch.stack([torch.randperm(len(COLOURS), generator=g)[:2] for _ in range(n)])
    kind = (torch.arange(n) % len(QUESTION_KINDS))[torch.randperm(n, generator=g)]
    pick = torch.randint(2, (n,), generator=g)
    qa = [_question(QUESTION_KINDS[kind[i]], shapes[i].tolist(), colours[i].tolist(), int(pick[i])) for i in range(n)]
    return {"images": render_scenes(shapes, colours, g, image_size), "shapes": shapes, "colours": colours,
            "kind": kind, "questions": [q for q, _ in qa], "answers": [a for _, a in qa],
            "captions": [caption(tuple(s.tolist()), tuple(c.tolist())) for s, c in zip(shapes, colours, strict=True)]}
