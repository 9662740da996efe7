"""One probe protocol for every encoder and baseline alike: several fit/test draws of a labelled pool, the
linear probe's regularisation chosen on a validation split of each fit set, and a kNN vote beside it; for
continuous targets the same with ridge and kNN regression (``regression_protocol``).

Introduced in notebook 04 (notebooks 05, 08 and 10 use it too).
"""

from __future__ import annotations

import numpy as np
import torch

from jepa_lab import evaluate

C_GRID = (0.01, 0.1, 1.0)


def validated_linear(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                     cs: tuple[float, ...] = C_GRID, seed: int = 0) -> tuple[float, float]:
    """Held-out accuracy of ``evaluate.linear_probe`` with ``C`` chosen on a quarter of the fit set.

    Returns:
        ``(accuracy on the test set after refitting on the whole fit set, the chosen C)``.
    """
    n = len(train_x)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val, fit = order[: n // 4], order[n // 4:]
    scores = [evaluate.linear_probe(train_x[fit], train_y[fit], train_x[val], train_y[val], c=c) for c in cs]
    best = cs[int(np.argmax(scores))]
    return evaluate.linear_probe(train_x, train_y, test_x, test_y, c=best), best


def draw_splits(features: dict[str, torch.Tensor], n: int, draws: int, test_fraction: float,
                seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``draws`` random ``(test, fit)`` index splits of ``n`` items (draw ``d`` seeded ``seed + d``), after
    checking that every feature set has ``n`` rows."""
    if draws < 1 or not 0 < test_fraction < 1:
        raise ValueError(f"need draws >= 1 and 0 < test_fraction < 1, got {draws}, {test_fraction}")
    if any(len(f) != n for f in features.values()):
        raise ValueError("every feature set needs one row per label")
    n_test = int(n * test_fraction)
    orders = [torch.randperm(n, generator=torch.Generator().manual_seed(seed + d)) for d in range(draws)]
    return [(order[:n_test], order[n_test:]) for order in orders]


def probe_protocol(features: dict[str, torch.Tensor], labels: torch.Tensor, *, draws: int = 3,
                   test_fraction: float = 0.4, cs: tuple[float, ...] = C_GRID, k: int = 20,
                   seed: int = 0) -> dict[str, dict[str, float]]:
    """Linear (validated ``C``) and kNN accuracy of each feature set over ``draws`` fit/test splits.

    Args:
        features: name -> features ``[N, F]`` of the same ``N`` labelled items (encoders and baselines).
        labels: ``[N]`` class indices.
        draws: fit/test splits (the same splits for every feature set).
    Returns:
        name -> ``{"linear", "linear_std", "knn", "knn_std", "c"}`` (means and spreads over the draws; ``c``
        the median chosen C).
    """
    splits = draw_splits(features, len(labels), draws, test_fraction, seed)
    out = {}
    for name, z in features.items():
        z = z.flatten(1).float()
        lin, knn, chosen = [], [], []
        for d, (te, tr) in enumerate(splits):
            acc, c = validated_linear(z[tr], labels[tr], z[te], labels[te], cs, seed=seed + d)
            lin.append(acc)
            chosen.append(c)
            knn.append(evaluate.knn_probe(z[tr], labels[tr], z[te], labels[te], k=k))
        out[name] = {"linear": float(np.mean(lin)), "linear_std": float(np.std(lin)), "knn": float(np.mean(knn)),
                     "knn_std": float(np.std(knn)), "c": float(np.median(chosen))}
    return out


def regression_protocol(features: dict[str, torch.Tensor], targets: torch.Tensor, *, draws: int = 3,
                        test_fraction: float = 0.4, n_fit: int | None = None, k: int = 20,
                        seed: int = 0) -> dict[str, dict[str, list[float]]]:
    """``probe_protocol`` for continuous targets ``[N, K]``: per feature set and target column, the held-out
    R² of a standardised ridge regression (its penalty chosen by cross-validation on the fit set) and of a
    kNN average beside it, over ``draws`` fit/test splits (the same for every feature set). ``n_fit`` keeps
    only that many labelled items of each fit split (a low-label probe).

    Returns:
        name -> ``{"ridge", "ridge_std", "knn", "knn_std"}``, each a list of K values (mean or spread).
    """
    splits = draw_splits(features, len(targets), draws, test_fraction, seed)
    if n_fit is not None and not 2 <= n_fit <= len(splits[0][1]):
        raise ValueError(f"n_fit must be between 2 and the {len(splits[0][1])} items of a fit split, got {n_fit}")
    out = {}
    for name, z in features.items():
        z = z.flatten(1).float()
        ridge, knn = [], []
        for te, tr in splits:
            tr = tr[:n_fit]
            ridge.append(evaluate.ridge_probe(z[tr], targets[tr], z[te], targets[te]))
            knn.append(evaluate.knn_regression(z[tr], targets[tr], z[te], targets[te], k=k))
        r, kn = np.array(ridge), np.array(knn)
        out[name] = {"ridge": r.mean(0).tolist(), "ridge_std": r.std(0).tolist(),
                     "knn": kn.mean(0).tolist(), "knn_std": kn.std(0).tolist()}
    return out


def encoder_protocol(encoders: dict[str, torch.nn.Module], images: torch.Tensor, labels: torch.Tensor, *,
                     pixels: bool = True, **options) -> dict[str, dict[str, float]]:
    """``probe_protocol`` on the mean-pooled frozen features of each encoder over one labelled pool of
    ``images`` (never the training images), with the raw pixels beside them (``pixels=False`` leaves them
    out). ``options`` go to ``probe_protocol`` (``draws``, ``test_fraction``, ``cs``, ``k``, ``seed``)."""
    features = {name: evaluate.extract_features(enc, images) for name, enc in encoders.items()}
    if pixels:
        features["raw pixels"] = images.flatten(1)
    return probe_protocol(features, labels, **options)


def format_protocol(results: dict[str, dict[str, float]]) -> str:
    """One line per row of ``probe_protocol``: linear and kNN accuracy, mean ± spread."""
    return "\n".join(f"{name:>23}: linear {r['linear']:.3f} ± {r['linear_std']:.3f} (C {r['c']:g}), "
                     f"kNN {r['knn']:.3f} ± {r['knn_std']:.3f}" for name, r in results.items())
