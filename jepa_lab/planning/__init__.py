"""Planning with a world model (notebook 09): an action-conditioned JEPA world model of two rooms
(``model``), its pixel-space twin (``pixel``), the Cross-Entropy Method inside a model-predictive-control
loop (``cem``), the costs and baseline policies (``planners``), and building, batches and judging
(``evaluate``).

Introduced in notebook 09.
"""

from jepa_lab.planning.cem import cem, cem_update, mpc
from jepa_lab.planning.evaluate import (
    baseline_policies,
    build_model,
    eval_seeds,
    frames_of,
    pairs,
    planner_for,
    position_probe,
    probe_r2,
    success,
    timing,
)
from jepa_lab.planning.model import ActionPredictor, PooledEncoder, WorldModel, block_causal_mask
from jepa_lab.planning.pixel import PixelModel
from jepa_lab.planning.planners import CEMPlanner, greedy_policy, random_policy, run_episodes

__all__ = ["ActionPredictor", "CEMPlanner", "PixelModel", "PooledEncoder", "WorldModel", "baseline_policies",
           "block_causal_mask", "build_model", "cem", "cem_update", "eval_seeds", "frames_of", "greedy_policy", "mpc",
           "pairs", "planner_for", "position_probe", "probe_r2", "random_policy", "run_episodes", "success", "timing"]
