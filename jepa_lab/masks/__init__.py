"""Mask samplers: which tokens the context encoder sees, and which it must predict.

Every sampler is pure (it only reads the ``torch.Generator`` it is given) and returns **index
tensors**, never padded sequences (I-JEPA's insight: drop masked tokens, do not pad). By topic:
``core`` (the strategies, drawn as whole batches of boolean masks), ``indices`` (``MaskSample``,
``MaskBatch``, ``sample_*`` and the collator), ``video`` (tube against per-frame masks, copyable
tokens) and ``features`` (feature masks for state vectors, notebook 07).

Introduced in notebook 02.
"""

from jepa_lab.masks.core import (
    STRATEGIES,
    Grid,
    block_indices,
    boolean_masks,
    check_grid,
    coverage,
    masks_block,
    masks_multiblock,
    masks_multiblock3d,
    masks_per_frame,
    masks_random,
    masks_tube,
)
from jepa_lab.masks.features import FEATURE_MASKS, apply_feature_mask, sample_feature_mask
from jepa_lab.masks.indices import (
    MaskBatch,
    MaskSample,
    collate,
    collate_samples,
    mask_stats,
    remove_targets,
    sample,
    sample_batch,
    sample_block,
    sample_multiblock,
    sample_random,
    sample_tube,
)
from jepa_lab.masks.spectrogram import SPECTROGRAM_MASKS, band_indices, masks_stripes, sample_spectrogram_batch
from jepa_lab.masks.video import (
    MULTIBLOCK3D,
    VIDEO_MASKS,
    leaked_tokens,
    neighbour_leak,
    sample_video_batch,
    tube_indices,
)

masks = boolean_masks  # old name, kept for one release

__all__ = [
    "FEATURE_MASKS", "MULTIBLOCK3D", "STRATEGIES", "VIDEO_MASKS", "Grid", "MaskBatch", "MaskSample",
    "apply_feature_mask",
    "block_indices", "boolean_masks", "check_grid", "collate", "collate_samples", "coverage", "leaked_tokens",
    "mask_stats", "masks", "masks_block", "masks_multiblock", "masks_multiblock3d", "masks_per_frame",
    "masks_random", "masks_tube", "neighbour_leak", "remove_targets", "sample", "sample_batch", "sample_block",
    "sample_feature_mask", "sample_multiblock", "sample_random", "sample_tube", "sample_video_batch",
    "tube_indices",
]
__all__ += ["SPECTROGRAM_MASKS", "band_indices", "masks_stripes", "sample_spectrogram_batch"]  # notebook 10
