"""jepa_lab: a notebook course and lab on Joint-Embedding Predictive Architectures.

Kept light on purpose: importing the package sets up nothing (no torch state, no plotting
style). Import the modules you need: ``from jepa_lab import config, runtime, tokens``.
"""

__version__ = "0.1.0"
