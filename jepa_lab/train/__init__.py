"""The training engine: ``loop`` (``TrainConfig``, schedules, ``fit``, AMP, clipping, NaN guard, DDP,
periodic and on-signal checkpoints) and ``checkpoints`` (save, one safe load, resume checks).
``python -m jepa_lab.train TASK ...`` is the command line (``__main__``), which reads the task table
(``jepa_lab.tasks``); the engine itself knows no task.

Introduced in notebook 04.
"""

from jepa_lab.train.checkpoints import (
    CheckpointError,
    check_fit,
    check_resume,
    load_checkpoint,
    nonfinite_report,
    publish,
    read_checkpoint,
    save_checkpoint,
    update_card,
)
from jepa_lab.train.loop import (
    TrainConfig,
    TrainingDiverged,
    TrainingInterrupted,
    cosine,
    dist_info,
    fit,
    learning_rate,
    make_optimizer,
    shard,
    stop_on_signals,
)

__all__ = ["CheckpointError", "TrainConfig", "TrainingDiverged", "TrainingInterrupted", "check_fit", "check_resume",
           "cosine", "dist_info", "fit", "learning_rate", "load_checkpoint", "make_optimizer", "nonfinite_report",
           "publish", "read_checkpoint", "save_checkpoint", "shard", "stop_on_signals", "update_card"]
