"""Plotting functions: ``plot_*(..., ax=None)`` draw on ``ax`` (or a new one) and return it.

Nothing here calls ``plt.show()`` or changes global style; widgets pass their own axes, and notebooks
and widgets draw with the same functions. By topic: ``images`` (images, tokens, clips, masks,
attention), ``training`` (loss, probes, features, collapse), ``motion`` (rollouts, phase, energy),
``tables`` (result tables that render as tables), ``features`` (PCA colours, variance
shares, latent planes).

Introduced in notebook 01.
"""

from jepa_lab.plots.base import ensure_axes, montage, to_numpy_image
from jepa_lab.plots.family import plot_error_bars, plot_expression_change, plot_spectrogram, plot_spectrogram_mask
from jepa_lab.plots.features import plot_explained_variance, plot_latent_plane, plot_pca_rgb
from jepa_lab.plots.images import (
    TARGET_COLOURS,
    mask_overlay,
    plot_attention_matrix,
    plot_attention_on_image,
    plot_clip,
    plot_coverage,
    plot_images,
    plot_mask,
    plot_mask_frames,
    plot_patch_grid,
    plot_scaling,
    plot_similarity_map,
    plot_tokens,
)
from jepa_lab.plots.motion import plot_ball_rollout, plot_energy, plot_phase_portrait
from jepa_lab.plots.planning import plot_effort, plot_plan, plot_rooms
from jepa_lab.plots.tables import Table, collapse_table
from jepa_lab.plots.training import (
    SPECTRUM_FLOOR,
    place_legend,
    plot_history,
    plot_monitor,
    plot_neighbours,
    plot_pca_maps,
    plot_prediction_error,
    plot_probe_bars,
    plot_probe_groups,
    plot_spectra,
)

__all__ = [
    "TARGET_COLOURS", "ensure_axes", "mask_overlay", "montage", "plot_attention_matrix", "plot_attention_on_image",
    "plot_ball_rollout", "plot_clip", "plot_coverage", "plot_effort", "plot_energy", "plot_history", "plot_images",
    "plot_mask", "plot_mask_frames", "plot_monitor", "plot_neighbours", "plot_patch_grid", "plot_pca_maps",
    "plot_phase_portrait", "plot_plan", "plot_prediction_error", "plot_probe_bars", "plot_probe_groups", "plot_rooms",
    "plot_scaling", "plot_similarity_map", "plot_spectra", "plot_tokens", "to_numpy_image",
]
__all__ += ["plot_error_bars", "plot_expression_change", "plot_spectrogram", "plot_spectrogram_mask"]  # notebook 10
__all__ += ["plot_explained_variance", "plot_latent_plane", "plot_pca_rgb"]  # notebooks 04 and 07 (explorers)
__all__ += ["SPECTRUM_FLOOR", "Table", "collapse_table", "place_legend"]  # notebook 06
