"""The training engine: ``loop`` (``TrainConfig``, schedules, ``fit``, AMP, clipping, NaN guard, DDP) and
``checkpoints`` (save/load). ``python -m jepa_lab.train TASK ...`` is the command line (``__main__``),
which reads the task table (``jepa_lab.tasks``); the engine itself knows no task.

Introduced in notebook 04.
"""

from jepa_lab.train.checkpoints import load_checkpoint, save_checkpoint, update_card
from jepa_lab.train.loop import (
    TrainConfig,
    TrainingDiverged,
    cosine,
    dist_info,
    fit,
    learning_rate,
    make_optimizer,
    shard,
)

__all__ = ["TrainConfig", "TrainingDiverged", "cosine", "dist_info", "fit", "learning_rate", "load_checkpoint",
           "make_optimizer", "save_checkpoint", "shard", "update_card"]
