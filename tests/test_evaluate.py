import math

import pytest
import torch

from jepa_lab import evaluate, vit
from jepa_lab.datasets import make_shapes


def test_collapse_metrics_tell_spread_from_collapse():
    g = torch.Generator().manual_seed(0)
    spread = torch.randn(2000, 64, generator=g)
    collapsed = torch.randn(1, 64, generator=g) + 1e-3 * torch.randn(2000, 64, generator=g)
    low_rank = torch.randn(2000, 4, generator=g) @ torch.randn(4, 64, generator=g)
    r_spread, r_coll, r_low = (evaluate.collapse_report(z) for z in (spread, collapsed, low_rank))
    assert r_spread["feature_std"] == pytest.approx(1 / math.sqrt(64), rel=0.05)
    assert r_coll["feature_std"] < 0.01 * r_spread["feature_std"]
    assert r_coll["mean_cosine"] > 0.99 and abs(r_spread["mean_cosine"]) < 0.05
    assert r_spread["effective_rank"] > 55 and r_low["effective_rank"] < 4.5
    # the calibration's trap: a collapsing model keeps an effective rank near the spread one
    assert r_coll["effective_rank"] > 40
    s = evaluate.spectrum(low_rank)
    assert s.sum().item() == pytest.approx(1.0) and s[4:].sum() < 1e-4


def test_probes_on_separable_and_random_labels():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(400) % 4
    x = torch.randn(400, 8, generator=g) * 0.3 + torch.nn.functional.one_hot(y, 8).float() * 3
    assert evaluate.linear_probe(x[:300], y[:300], x[300:], y[300:]) > 0.95
    assert evaluate.knn_probe(x[:300], y[:300], x[300:], y[300:]) > 0.95
    noise = torch.randn(400, 8, generator=g)
    assert evaluate.linear_probe(noise[:300], y[:300], noise[300:], y[300:]) < 0.45
    with pytest.raises(ValueError, match="non-empty"):
        evaluate.linear_probe(x[:0], y[:0], x, y)
    with pytest.raises(ValueError, match="differ in length"):
        evaluate.knn_probe(x, y[:10], x, y)


def test_extract_features_and_pca():
    enc = vit.Encoder(image_size=32, patch_size=8, embed_dim=32, depth=1, num_heads=4)
    x = make_shapes(10, 32)[0]
    enc.train()
    z = evaluate.extract_features(enc, x, batch_size=4)
    assert z.shape == (10, 32) and enc.training
    patches = evaluate.extract_features(enc, x, pool=False)
    rgb = evaluate.pca_rgb(patches, enc.grid)
    assert rgb.shape == (10, 3, 4, 4) and rgb.min() >= 0 and rgb.max() <= 1
    with pytest.raises(ValueError, match="empty"):
        evaluate.extract_features(enc, x[:0])
    with pytest.raises(ValueError, match="grid"):
        evaluate.pca_rgb(patches, (3, 3))
    swapped = evaluate.pca_rgb(patches, enc.grid, components=(1, 0, 2))
    assert torch.allclose(swapped[:, [1, 0, 2]], rgb, atol=1e-5)  # the same components, other colours
    assert not torch.allclose(evaluate.pca_rgb(patches, enc.grid, components=(3, 4, 5)), rgb)
    with pytest.raises(ValueError, match="components"):
        evaluate.pca_rgb(patches, enc.grid, components=(0, 1, 32))


def test_probe_with_baselines_reports_every_row():
    torch.manual_seed(0)
    enc = vit.Encoder(image_size=32, patch_size=8, embed_dim=16, depth=1, num_heads=2)
    rnd = vit.Encoder(image_size=32, patch_size=8, embed_dim=16, depth=1, num_heads=2)
    x, y = make_shapes(120, 32, seed=0)
    out = evaluate.probe_with_baselines({"mine": enc}, rnd, x[:80], y[:80], x[80:], y[80:])
    assert list(out) == ["mine", "random init", "raw pixels"]
    assert all(0.0 <= r["probe"] <= 1.0 for r in out.values())
    assert out["mine"]["width"] == 16 and "effective_rank" in out["random init"]
    assert set(out["raw pixels"]) == {"probe"}


def _video_model():
    from jepa_lab import jepa

    torch.manual_seed(0)
    e = vit.Encoder(image_size=16, patch_size=8, frames=8, tubelet=2, embed_dim=32, depth=1, num_heads=2)
    return jepa.JEPA(encoder=e, predictor_dim=16, predictor_depth=1, predictor_heads=2, loss="l1").eval()


def test_video_prediction_error_splits_copyable_tokens():
    from jepa_lab.datasets.video import make_moving_shapes

    model = _video_model()
    clips, _ = make_moving_shapes(6, 8, 16, seed=0, speeds=(0.5,))
    tube = evaluate.video_prediction_error(model, clips, "tube", 0.5)
    assert tube["copyable"] == 0 and math.isnan(tube["error_copyable"]) and tube["error"] == tube["error_hidden"]
    per_frame = evaluate.video_prediction_error(model, clips, "per_frame", 0.5)
    assert 0 < per_frame["copyable"] < 1
    share = per_frame["copyable"]  # the whole is the share-weighted mix of its parts
    mix = share * per_frame["error_copyable"] + (1 - share) * per_frame["error_hidden"]
    assert per_frame["error"] == pytest.approx(mix, rel=1e-4)


def test_copy_baselines_favour_clips_that_stand_still():
    model = _video_model()
    static = torch.rand(4, 3, 1, 16, 16).expand(-1, -1, 8, -1, -1).contiguous()
    noise = torch.rand(4, 3, 8, 16, 16)
    still, moving = evaluate.copy_baselines(model, static), evaluate.copy_baselines(model, noise)
    assert still["copy_previous"] < 0.8 * moving["copy_previous"]  # only the time position changes
    h = torch.nn.functional.layer_norm(model.target_encoder(noise), (32,)).view(4, 4, 4, 32)
    assert moving["copy_previous"] == pytest.approx(float((h[:, 1:] - h[:, :-1]).abs().mean()), rel=1e-5)
    with pytest.raises(ValueError, match="video model"):
        evaluate.copy_baselines(type("M", (), {"context_encoder": vit.Encoder(image_size=16, patch_size=8)})(),
                                static)


def test_probes_fit_with_one_blas_thread():
    assert evaluate.linear_probe.__wrapped__ and evaluate.knn_probe.__wrapped__  # the probes are wrapped
    # numpy's BLAS pool beside torch's threads: probes fit on one BLAS thread, whatever the pool's size outside
    from threadpoolctl import threadpool_info

    from jepa_lab import threads

    seen = []

    @threads.one_blas_thread
    def fit():
        seen.extend(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")

    fit()
    assert seen and set(seen) == {1}
