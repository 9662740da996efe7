"""Evaluation of frozen features: linear and kNN probes, PCA pictures, collapse metrics.

Probes use scikit-learn on pooled features with a held-out split. Collapse metrics follow the
calibration notes: per-dimension std of L2-normalised features catches collapse early (an
isotropic spread gives ``1/sqrt(D)``), effective rank alone can miss features shrinking toward
one vector.

Introduced in notebook 04 (collapse monitor: notebook 06).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import r2_score
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from jepa_lab import masks
from jepa_lab.threads import one_blas_thread


@torch.no_grad()
def extract_features(encoder: torch.nn.Module, images: torch.Tensor, batch_size: int = 256,
                     pool: bool = True) -> torch.Tensor:
    """Encoder features of ``images``: mean-pooled ``[N, D]`` (or patch features ``[N, T, D]``)."""
    if len(images) == 0:
        raise ValueError("no images to encode: the dataset is empty")
    was_training = encoder.training
    encoder.eval()
    device = next(encoder.parameters()).device
    out = []
    for i in range(0, len(images), batch_size):
        z = encoder(images[i: i + batch_size].to(device)).float().cpu()  # [b, T, D]
        out.append(z.mean(1) if pool else z)
    encoder.train(was_training)
    return torch.cat(out)


def _check_xy(train_x, train_y, test_x, test_y) -> None:
    if len(train_x) != len(train_y) or len(test_x) != len(test_y):
        raise ValueError("features and labels differ in length")
    if len(train_x) == 0 or len(test_x) == 0:
        raise ValueError("a probe needs non-empty train and test sets")


@one_blas_thread
def linear_probe(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                 c: float = 1.0, max_iter: int = 2000) -> float:
    """Held-out accuracy of a standardised logistic regression on frozen features ``[N, D]``."""
    _check_xy(train_x, train_y, test_x, test_y)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter))
    clf.fit(np.asarray(train_x.flatten(1)), np.asarray(train_y))
    return float(clf.score(np.asarray(test_x.flatten(1)), np.asarray(test_y)))


@one_blas_thread
def fit_ridge(train_x: torch.Tensor, train_y: torch.Tensor,
              alphas: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0, 1000.0)):
    """A standardised ridge regression on frozen features ``[N, F] -> [N, K]`` (regularisation picked by
    cross-validation among ``alphas``). Returns ``predict: [M, F] -> [M, K]`` (float32 tensors)."""
    if len(train_x) != len(train_y) or len(train_x) == 0:
        raise ValueError("a probe needs as many (non-zero) feature rows as targets")
    reg = make_pipeline(StandardScaler(), RidgeCV(alphas=alphas)).fit(np.asarray(train_x.flatten(1)),
                                                                      np.asarray(train_y))
    return lambda x: torch.as_tensor(reg.predict(np.asarray(x.flatten(1))), dtype=torch.float32)


def ridge_probe(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                alphas: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0, 1000.0)) -> list[float]:
    """Held-out R² per target column of ``fit_ridge``."""
    _check_xy(train_x, train_y, test_x, test_y)
    pred = fit_ridge(train_x, train_y, alphas)(test_x).numpy()
    return [float(v) for v in np.atleast_1d(r2_score(np.asarray(test_y), pred, multioutput="raw_values"))]


@one_blas_thread
def knn_probe(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
              k: int = 20) -> float:
    """Held-out accuracy of a cosine k-nearest-neighbour vote on frozen features."""
    _check_xy(train_x, train_y, test_x, test_y)
    knn = KNeighborsClassifier(n_neighbors=min(k, len(train_x)), metric="cosine")
    knn.fit(np.asarray(train_x.flatten(1)), np.asarray(train_y))
    return float(knn.score(np.asarray(test_x.flatten(1)), np.asarray(test_y)))


@one_blas_thread
def knn_regression(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                   k: int = 20) -> list[float]:
    """Held-out R² per target column of a cosine k-nearest-neighbour average on frozen features."""
    _check_xy(train_x, train_y, test_x, test_y)
    knn = KNeighborsRegressor(n_neighbors=min(k, len(train_x)), metric="cosine")
    knn.fit(np.asarray(train_x.flatten(1)), np.asarray(train_y))
    pred = knn.predict(np.asarray(test_x.flatten(1)))
    return [float(v) for v in np.atleast_1d(r2_score(np.asarray(test_y), pred, multioutput="raw_values"))]


def pca(z: torch.Tensor, k: int = 2) -> torch.Tensor:
    """Projections of features ``[N, D]`` on their first ``k`` principal components -> ``[N, k]``."""
    if not 1 <= k <= min(z.shape):
        raise ValueError(f"k must be in 1..{min(z.shape)} for features of shape {tuple(z.shape)}, got {k}")
    flat = z.float() - z.float().mean(0)
    _, _, v = torch.linalg.svd(flat, full_matrices=False)
    return flat @ v[:k].T


def pca_rgb(patch_features: torch.Tensor, grid: tuple[int, int],
            components: tuple[int, int, int] = (0, 1, 2)) -> torch.Tensor:
    """Three principal components of patch features ``[B, T, D]`` as RGB ``[B, 3, h, w]`` in [0, 1].

    The components are fitted over all patches of the batch, so colours are comparable across images.
    ``components``: which three (0 is the first, the direction of most variance) go to red, green, blue.
    """
    b, t, d = patch_features.shape
    if t != grid[0] * grid[1]:
        raise ValueError(f"{t} patch features do not fill a {grid[0]}x{grid[1]} grid")
    if len(components) != 3 or min(components) < 0 or max(components) >= min(b * t, d):
        raise ValueError(f"components must be three indices in 0..{min(b * t, d) - 1} (one per colour), "
                         f"got {tuple(components)}")
    comps = pca(patch_features.reshape(-1, d), max(components) + 1)[:, list(components)]  # [B*T, 3]
    lo, hi = comps.quantile(0.01, dim=0), comps.quantile(0.99, dim=0)
    comps = ((comps - lo) / (hi - lo).clamp_min(1e-8)).clamp(0, 1)
    return comps.reshape(b, grid[0], grid[1], 3).permute(0, 3, 1, 2)


def spectrum(z: torch.Tensor) -> torch.Tensor:
    """Singular values of centred features ``[N, D]``, normalised to sum to 1 (descending)."""
    z = z.float() - z.float().mean(0)
    s = torch.linalg.svdvals(z)
    return s / s.sum().clamp_min(1e-12)


def effective_rank(z: torch.Tensor) -> float:
    """``exp(entropy)`` of the normalised singular values (Roy & Vetterli 2007): 1 to D."""
    p = spectrum(z)
    p = p[p > 0]
    return float(torch.exp(-(p * p.log()).sum()))


def feature_std(z: torch.Tensor) -> float:
    """Mean per-dimension std of L2-normalised features; ``1/sqrt(D)`` when spread isotropically, 0 when collapsed."""
    return float(F.normalize(z.float(), dim=1).std(0).mean())


def mean_cosine(z: torch.Tensor) -> float:
    """Mean cosine similarity over distinct pairs of features (1 when all point the same way)."""
    n = len(z)
    if n < 2:
        raise ValueError("mean_cosine needs at least two features")
    u = F.normalize(z.float(), dim=1)
    sims = u @ u.T
    return float((sims.sum() - sims.diagonal().sum()) / (n * (n - 1)))


def collapse_report(z: torch.Tensor) -> dict[str, float]:
    """All collapse metrics of pooled features ``[N, D]`` in one dict (cheap enough to log often)."""
    d = z.shape[1]
    return {
        "feature_std": feature_std(z),
        "isotropic_std": 1 / math.sqrt(d),
        "effective_rank": effective_rank(z),
        "width": d,
        "mean_cosine": mean_cosine(z),
    }


def probe_with_baselines(encoders: dict[str, torch.nn.Module], random_encoder: torch.nn.Module,
                         train_images: torch.Tensor, train_labels: torch.Tensor,
                         test_images: torch.Tensor, test_labels: torch.Tensor,
                         pixels: bool = True) -> dict[str, dict[str, float]]:
    """Held-out linear-probe accuracy and collapse metrics of each encoder, next to the two baselines
    measured in the same call: the same architecture at random init, and raw pixels (``pixels=False``
    skips them: their probe is the slow one).

    Returns:
        name -> ``{"probe": accuracy, **collapse_report}`` (pixels: ``{"probe": accuracy}``).
    """
    out = {}
    for name, enc in {**encoders, "random init": random_encoder}.items():
        a, b = extract_features(enc, train_images), extract_features(enc, test_images)
        out[name] = {"probe": linear_probe(a, train_labels, b, test_labels), **collapse_report(b)}
    if pixels:
        out["raw pixels"] = {"probe": linear_probe(train_images.flatten(1), train_labels,
                                                   test_images.flatten(1), test_labels)}
    return out


def nearest_neighbours(bank: torch.Tensor, queries: torch.Tensor, k: int = 5) -> torch.Tensor:
    """Indices ``[Q, k]`` of the ``k`` most cosine-similar rows of ``bank [N, D]`` for each query ``[Q, D]``."""
    if not 1 <= k <= len(bank):
        raise ValueError(f"k must be in 1..{len(bank)} (the bank's size), got {k}")
    sims = F.normalize(queries.float(), dim=1) @ F.normalize(bank.float(), dim=1).T
    return sims.topk(k, dim=1).indices


def _token_error(z_pred: torch.Tensor, z_tgt: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-token latent loss ``[B, Nt]`` (the training loss before averaging)."""
    if kind == "l1":
        return (z_pred - z_tgt).abs().mean(-1)
    if kind == "l2":
        return (z_pred - z_tgt).pow(2).mean(-1)
    return F.smooth_l1_loss(z_pred, z_tgt, beta=1.0, reduction="none").mean(-1)


@torch.no_grad()
def prediction_quality(model: torch.nn.Module, images: torch.Tensor, ctx_idx: torch.Tensor,
                       tgt_idx: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    """How well a JEPA's predictor predicts the target features, next to a "wrong image" baseline.

    The baseline gives the predictor another image's context at the same positions (the batch rolled
    by one) and compares with *this* image's targets: if the predictor only learned where targets are
    (position priors), both do equally well; if it reads the context, its own image wins.

    Returns:
        ``cosine`` ``[K]`` and ``cosine_other`` ``[K]``: mean cosine similarity of predicted and actual
        target features per block; ``error`` ``[B, N]``: per-token loss at target tokens (NaN elsewhere,
        averaged where blocks overlap); ``error_other`` the same for the baseline.
    """
    if len(images) < 2:
        raise ValueError("prediction_quality needs at least two images (the baseline borrows another's context)")
    device = next(model.parameters()).device
    x = images.to(device)
    ctx_idx, tgt_idx = ctx_idx.to(device), [t.to(device) for t in tgt_idx]
    z_tgt = model.forward_target(x, tgt_idx)
    z_pred = model.forward_context(x, ctx_idx, tgt_idx)
    z_other = model.forward_context(x.roll(1, 0), ctx_idx, tgt_idx)
    n = model.context_encoder.num_patches
    out = {}
    for name, preds in (("", z_pred), ("_other", z_other)):
        out["cosine" + name] = torch.stack([F.cosine_similarity(p.float(), t.float(), dim=-1).mean()
                                            for p, t in zip(preds, z_tgt, strict=True)]).cpu()
        total, count = torch.zeros(len(x), n, device=device), torch.zeros(len(x), n, device=device)
        for p, t, idx in zip(preds, z_tgt, tgt_idx, strict=True):
            total.scatter_add_(1, idx, _token_error(p.float(), t.float(), model.loss_kind))
            count.scatter_add_(1, idx, torch.ones_like(idx, dtype=total.dtype))
        out["error" + name] = (total / count).cpu()  # 0/0 = NaN where no target
    return out


def collapse_monitor(images: torch.Tensor, encoder: str = "context_encoder"):
    """A ``train.fit`` monitor: the ``collapse_report`` of ``model.<encoder>``'s pooled features of a fixed
    batch of ``images`` (keep it small, 128–512 images: it runs every few steps).

    Introduced in notebook 06.
    """
    if len(images) < 2:
        raise ValueError("collapse_monitor needs at least two images")

    def monitor(model: torch.nn.Module) -> dict[str, float]:
        return collapse_report(extract_features(getattr(model, encoder), images))

    return monitor


@torch.no_grad()
def video_prediction_error(model: torch.nn.Module, clips: torch.Tensor, mask: str, keep_ratio: float,
                           seed: int = 0) -> dict[str, float]:
    """A video JEPA's latent error on ``clips`` under notebook 05's ``mask`` (``tube`` or ``per_frame``),
    split into hidden tokens a model could copy (same place visible one time step away:
    ``masks.leaked_tokens``) and the rest.

    Returns floats: ``error`` (all targets), ``error_copyable``, ``error_hidden`` (NaN when there are
    none), ``copyable`` (their share of the targets), ``error_other`` (the predictor given another clip's
    context: what position alone buys).

    Introduced in notebook 05.
    """

    grid = model.context_encoder.grid
    mb = masks.sample_video_batch(mask, grid, len(clips), torch.Generator().manual_seed(seed), keep_ratio)
    q = prediction_quality(model, clips, mb.ctx_idx, mb.tgt_idx)
    err = q["error"]
    target = ~err.isnan()
    copyable = masks.leaked_tokens(mb.ctx_idx, grid) & target

    def mean(sel: torch.Tensor, e: torch.Tensor = err) -> float:
        return float(e[sel].mean()) if sel.any() else float("nan")

    return {"error": mean(target), "error_copyable": mean(copyable), "error_hidden": mean(target & ~copyable),
            "copyable": float(copyable.sum() / target.sum()), "error_other": mean(target, q["error_other"])}


@torch.no_grad()
def copy_baselines(model: torch.nn.Module, clips: torch.Tensor) -> dict[str, float]:
    """What a video JEPA's predictor would score without predicting (same latent error as the model:
    L1 to the layer-normed target features). ``copy_previous``: each token's target copied from the same
    place one time step earlier (the shortcut per-frame masks allow); ``position_mean``: the mean target
    at that place over ``clips`` (a predictor that ignores the context).

    Introduced in notebook 05.
    """
    grid = model.context_encoder.grid
    if len(grid) != 3 or grid[0] < 2:
        raise ValueError("copy_baselines needs a video model with at least two time steps")
    device = next(model.parameters()).device
    h = model.target_encoder(clips.to(device))
    h = F.layer_norm(h, h.shape[-1:]).view(len(clips), grid[0], grid[1] * grid[2], -1)
    return {"copy_previous": float((h[:, 1:] - h[:, :-1]).abs().mean()),
            "position_mean": float((h - h.mean(0)).abs().mean())}
