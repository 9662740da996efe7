"""Benchmarks with a reference measured in the same run: ``python -m jepa_lab.bench NAME``.

- ``masks``: sampling + collating I-JEPA multi-block masks on a 14x14 grid, our vectorised
  sampler against drawing the same masks one at a time (the reference collator's approach).
- ``encoder``: forward+backward tokens/s of our ViT blocks against a stack of
  ``nn.TransformerEncoderLayer(norm_first=True, batch_first=True)`` with the same width, depth
  and heads and the same weights (and timm's ``VisionTransformer`` blocks if timm is installed),
  at two token counts. ``--device cuda --bf16 --compile`` checks the GPU path.
- ``vjepa``: one V-JEPA training step on the notebook-05 preset's clips (T frames, tubelets of 2)
  against the same step on single frames (same encoder width and depth, same predictor, the same
  share of tokens in context): the clip has T/2 times the tokens, so the target is a ratio <= T/2.
- ``busy``: the same short training run idle, beside a busy core it starts itself, and as four
  copies at once, under the course's thread policy and the alternatives (``bench.busy``).
- ``ijepa``: training images/s of one I-JEPA step (EMA target on all tokens, context encoder on
  the context only, predictor per target block, backward, EMA update) next to the same encoder's
  forward+backward on all tokens, for the notebook-04 preset of ``--mode``.
- ``mae``: ms per training step of MAE (``tasks.mae``: the same encoder and batch, a decoder the size of
  I-JEPA's predictor, pixel targets, no EMA) against I-JEPA's step, timed interleaved in the same run.

Reports the thread count and machine load, since both change the figures.

Introduced in notebook 02.
"""

from jepa_lab.bench.cli import main
from jepa_lab.bench.throughput import (
    bench_encoder,
    bench_ijepa,
    bench_mae,
    bench_masks,
    bench_vjepa,
    block_flops,
    matmul_peak,
    reference_stack,
)

__all__ = ["bench_encoder", "bench_ijepa", "bench_mae", "bench_masks", "bench_vjepa", "block_flops", "main",
           "matmul_peak", "reference_stack"]
