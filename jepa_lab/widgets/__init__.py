"""Explorers: pure compute -> pure plot (``jepa_lab.plots``) -> a thin ipywidgets control panel.

The only package that imports ipywidgets. Each ``*_explorer`` returns an ``Explorer``: display it
in a notebook, or drive it from code with ``.update(**params)`` (values are clamped to the valid
range) and read ``.figure`` and ``.params``. Figures are made with ``matplotlib.figure.Figure``,
not pyplot, so explorers leave no global plotting state. By topic: ``images`` (notebooks 01-03),
``models`` (trained JEPAs, 04-06), ``motion`` (rollouts and pendulums, 07-08),
``features`` (PCA of patch features, 04; latents, 07).

Introduced in notebook 01.
"""

from jepa_lab.widgets.base import Explorer, clamp
from jepa_lab.widgets.family import perturbation_explorer, spectrogram_mask_explorer
from jepa_lab.widgets.features import latent_explorer, pca_explorer
from jepa_lab.widgets.images import attention_explorer, mask_explorer, patch_size_explorer, tube_explorer
from jepa_lab.widgets.models import clip_explorer, collapse_explorer, predictor_explorer
from jepa_lab.widgets.motion import latent_field_explorer, pendulum_explorer, rollout_explorer
from jepa_lab.widgets.planning import plan_explorer

clip_scrubber = clip_explorer  # old name, kept for one release
collapse_dial = collapse_explorer  # old name, kept for one release

__all__ = [
    "Explorer", "attention_explorer", "clamp", "clip_explorer", "clip_scrubber", "collapse_dial", "collapse_explorer",
    "mask_explorer", "patch_size_explorer", "pendulum_explorer", "plan_explorer", "predictor_explorer",
    "rollout_explorer", "tube_explorer",
]
__all__ += ["latent_explorer", "pca_explorer"]  # notebooks 04 and 07
__all__ += ["perturbation_explorer", "spectrogram_mask_explorer"]  # notebook 10
__all__ += ["latent_field_explorer"]  # notebook 08, section 6
