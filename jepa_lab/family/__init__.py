"""The JEPA family in miniature (notebook 10): the same recipe with another tokeniser, mask and condition.

- ``conditioning``: cross-attention (with a null token) and FiLM, a conditioned predictor block.
- ``ajepa``: A-JEPA on log-mel spectrograms of synthetic sounds.
- ``vljepa``: VL-JEPA, predict the answer's text embedding from image tokens and a question; a token decoder to compare.
- ``biojepa``: Bio-JEPA, predict a knocked-down cell's embedding from the baseline cell and the perturbation.

Introduced in notebook 10.
"""

from jepa_lab.family import ajepa, biojepa, conditioning, vljepa
from jepa_lab.family.conditioning import (
           CONDITIONING,
           ConditionedBlock,
           ConditionedPredictor,
           CrossAttention,
           FiLM,
           film,
)

__all__ = ["CONDITIONING", "ConditionedBlock", "ConditionedPredictor", "CrossAttention", "FiLM", "ajepa", "biojepa",
           "conditioning", "film", "vljepa"]
