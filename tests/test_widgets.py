import pytest
import torch
from matplotlib.figure import Figure

from jepa_lab import widgets
from jepa_lab.datasets import make_shapes


@pytest.fixture(scope="module")
def images():
    return make_shapes(4, 32, seed=0)[0]


def _pixels(fig: Figure) -> torch.Tensor:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return torch.tensor(bytearray(canvas.buffer_rgba()))


def test_patch_size_explorer_offers_only_valid_sizes(images):
    e = widgets.patch_size_explorer(images)
    assert list(e.controls["patch_size"].options) == [2, 4, 8, 16]
    assert isinstance(e.figure, Figure) and e.widget.result is e.figure


def test_moving_the_slider_redraws(images):
    e = widgets.patch_size_explorer(images)
    before = _pixels(e.figure)
    e.controls["patch_size"].value = 4  # what a learner's slider does
    assert "N = 64 tokens" in e.figure._suptitle.get_text()
    assert not torch.equal(before, _pixels(e.figure))


def test_update_clamps(images):
    e = widgets.patch_size_explorer(images)
    e.update(patch_size=7, index=99)
    assert e.params == {"index": 3, "patch_size": 8}
    e.update(patch_size=1000)
    assert e.params["patch_size"] == 16
    with pytest.raises(ValueError, match="unknown control"):
        e.update(size=3)


def test_bad_images():
    with pytest.raises(ValueError, match="square"):
        widgets.patch_size_explorer(torch.zeros(2, 3, 32, 16))


@pytest.mark.parametrize("strategy", ["random", "block", "multiblock"])
def test_mask_explorer_redraws_and_reports(images, strategy):
    big = torch.nn.functional.interpolate(images, size=56)
    e = widgets.mask_explorer(big, 4, strategy)
    title = e.figure._suptitle.get_text()
    assert title.startswith(strategy) and "disjoint" in title
    before = _pixels(e.figure)
    e.update(seed=7)
    assert not torch.equal(before, _pixels(e.figure))


def test_mask_explorer_ranges_are_clamped(images):
    e = widgets.mask_explorer(images, 4, "random")  # 8x8 grid
    e.update(keep_ratio=1.0)
    assert e.params["keep_ratio"] < 1.0 and "disjoint" in e.figure._suptitle.get_text()
    e = widgets.mask_explorer(images, 4, "block")
    e.update(block=100)
    assert e.params["block"] == 7
    with pytest.raises(ValueError, match="strategy"):
        widgets.mask_explorer(images, 4, "tube")


def test_multiblock_explorer_explains_impossible_settings(images):
    e = widgets.mask_explorer(images, 8, "multiblock")  # a 4x4 grid
    e.update(num_targets=8, target_scale=(0.5, 0.5), context_scale=(0.3, 0.3))
    text = " ".join(t.get_text() for ax in e.figure.axes for t in ax.texts) + e.figure._suptitle.get_text()
    assert "disjoint" in text or "No valid mask" in text


def test_tube_explorer_leak():
    from jepa_lab.datasets import make_moving_shapes

    clip = make_moving_shapes(1, frames=8, image_size=32, seed=0)[0][0]
    e = widgets.tube_explorer(clip, 4, 2)
    assert " 0% of hidden tokens visible" in e.figure._suptitle.get_text()
    e.update(kind="per_frame")
    assert " 0% of hidden" not in e.figure._suptitle.get_text()
    with pytest.raises(ValueError, match="frame count"):
        widgets.tube_explorer(clip[:, :7], 4, 2)


def test_attention_explorer(images):
    from jepa_lab import vit

    enc = vit.Encoder(image_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2).eval()
    e = widgets.attention_explorer(enc, images)
    assert e.controls["layer"].max == 1 and e.controls["head"].max == 1 and e.controls["query"].max == 15
    before = _pixels(e.figure)
    e.update(query=0, layer=5)  # layer clamped to the last one
    assert e.params["layer"] == 1 and "query token 0" in e.figure._suptitle.get_text()
    assert not torch.equal(before, _pixels(e.figure))


def test_predictor_explorer(images):
    from jepa_lab import jepa, vit

    torch.manual_seed(0)
    enc = vit.Encoder(image_size=32, patch_size=8, embed_dim=32, depth=1, num_heads=2)
    model = jepa.JEPA(encoder=enc, predictor_dim=16, predictor_depth=1, predictor_heads=2).train()
    e = widgets.predictor_explorer(model, images, num_targets=2, min_context=2)
    assert model.training  # the explorer leaves the model's mode as it found it
    assert "cosine(predicted, actual) per block" in e.figure._suptitle.get_text()
    before = _pixels(e.figure)
    e.update(seed=3, index=99, targets=0)  # clamped: last image, one target block
    assert e.params == {"index": 3, "seed": 3, "targets": 1}
    assert len(e.figure._suptitle.get_text().split(":")[1].split(",")) == 1
    assert not torch.equal(before, _pixels(e.figure))
    with pytest.raises(ValueError, match="at least two images"):
        widgets.predictor_explorer(model, images[:1])


def test_prediction_quality_baseline_and_error_map(images):
    from jepa_lab import evaluate, jepa, masks, vit

    torch.manual_seed(0)
    enc = vit.Encoder(image_size=32, patch_size=8, embed_dim=32, depth=1, num_heads=2)
    model = jepa.JEPA(encoder=enc, predictor_dim=16, predictor_depth=1, predictor_heads=2)
    mb = masks.sample_batch("multiblock", (4, 4), 4, torch.Generator().manual_seed(0), num_targets=2,
                            min_context=2)
    q = evaluate.prediction_quality(model, images, mb.ctx_idx, mb.tgt_idx)
    assert q["cosine"].shape == (2,) and q["error"].shape == (4, 16)
    targets = torch.zeros(4, 16, dtype=torch.bool)
    for t in mb.tgt_idx:
        targets.scatter_(1, t, True)
    assert torch.equal(~q["error"].isnan(), targets)  # an error exactly at target tokens
    # the error averages to the training loss when blocks do not overlap (checked on one block)
    one = evaluate.prediction_quality(model, images, mb.ctx_idx, mb.tgt_idx[:1])
    loss = model.loss(model.forward_context(images, mb.ctx_idx, mb.tgt_idx[:1]),
                      model.forward_target(images, mb.tgt_idx[:1]))
    assert one["error"].nanmean().item() == pytest.approx(loss.item(), rel=1e-4)
    with pytest.raises(ValueError, match="at least two images"):
        evaluate.prediction_quality(model, images[:1], mb.ctx_idx[:1], [t[:1] for t in mb.tgt_idx])
    bank = torch.eye(5)
    assert evaluate.nearest_neighbours(bank, bank[[2, 4]] + 0.01, k=2)[:, 0].tolist() == [2, 4]
    with pytest.raises(ValueError, match="k must be"):
        evaluate.nearest_neighbours(bank, bank, k=6)


def test_clip_explorer_draws_and_clamps():
    from jepa_lab import config, tasks
    from jepa_lab.datasets import make_moving_shapes

    p = config.for_notebook("05", mode="fast")
    torch.manual_seed(0)
    model = tasks.ijepa.jepa_model(p)  # untrained: drawing is the test
    clips = make_moving_shapes(6, frames=p.frames, image_size=p.image_size, seed=1)[0]
    ex = widgets.clip_explorer(model, clips, keep_ratio=p.keep_ratio)
    assert ex.params["frame"] == 0 and ex.params["mask"] == "tube"  # opens on the first frame, tube masks
    before = _pixels(ex.figure)
    ex.update(index=5, frame=7, mask="per_frame", keep_ratio=0.5)
    assert ex.params["frame"] == 7 and ex.params["mask"] == "per_frame" and ex.figure is not None
    assert not torch.equal(before, _pixels(ex.figure))
    ex.update(frame=100, keep_ratio=1.0)  # clamped, not an error
    assert ex.params["frame"] == p.frames - 1 and ex.params["keep_ratio"] == 0.9
    with pytest.raises(ValueError, match="at least two clips"):
        widgets.clip_explorer(model, clips[:1])


def test_rollout_explorer_draws_and_clamps():
    from jepa_lab import config, dynamics

    p = config.for_notebook("07", mode="fast").replace(n_train=32)
    torch.manual_seed(0)
    models = {}
    for name in ("residual + prior (the design)", "fixed k = 1 (rolled out)"):  # untrained: drawing is the test
        vp = dynamics.variant_preset(p, name)
        models[name] = (dynamics.build(vp).eval(), vp)
    _, test = dynamics.data(p)
    ex = widgets.rollout_explorer(models, p, test[:4])
    ex.update(model="fixed k = 1 (rolled out)", hide="velocity", horizon=7, index=3)
    assert ex.figure is not None and ex.params["hide"] == "velocity"
    ex.update(horizon=10_000, start=10_000, index=-5)  # clamped, not an error
    assert ex.params["horizon"] == 20 and ex.params["index"] == 0
    with pytest.raises(ValueError, match="one ball"):
        widgets.rollout_explorer(models, p, test[:4, :, :2])


def test_pendulum_explorer_draws_and_clamps():
    from jepa_lab import physics

    ex = widgets.pendulum_explorer({"MLP": physics.MLP(hidden=8), "HNN": physics.HNN(hidden=8)}, max_steps=100)
    ex.update(model="HNN", theta0=0.5, omega0=1.0, steps=50)
    assert ex.figure is not None and ex.params["model"] == "HNN"
    ex.update(theta0=10.0, omega0=-99.0, steps=10_000)  # clamped, not an error
    assert ex.params["theta0"] == 3.0 and ex.params["omega0"] == -5.0 and ex.params["steps"] == 100
    with pytest.raises(ValueError, match="at least one"):
        widgets.pendulum_explorer({})


def test_latent_field_explorer_draws_and_clamps():
    from jepa_lab import latent_physics
    from jepa_lab.datasets import pendulum

    theta0, omega0 = pendulum.initial_states(3, seed=0)
    states = pendulum.simulate(theta0, omega0, 12, 0.05).float()
    features = torch.cat([states, states.pow(2)], -1)  # any features of the state
    fields = {name: latent_physics.LatentField(4, name, hidden=8).eval() for name in ("HNN", "MLP")}
    readers = {name: (lambda z: z) for name in fields}
    ex = widgets.latent_field_explorer(fields, readers, features, states, 0.05, max_steps=100)
    ex.update(field="MLP", index=2, steps=30)
    assert ex.figure is not None and ex.params["field"] == "MLP"
    ex.update(index=99, steps=10_000)  # clamped, not an error
    assert ex.params["index"] == 2 and ex.params["steps"] == 100
    with pytest.raises(ValueError, match="a reader for each field"):
        widgets.latent_field_explorer(fields, {"HNN": readers["HNN"]}, features, states, 0.05)
    with pytest.raises(ValueError, match="must match"):
        widgets.latent_field_explorer(fields, readers, features[:, :5], states, 0.05)


def test_explorers_on_an_empty_range_say_what_to_pass(images):
    from jepa_lab import config, dynamics, physics

    with pytest.raises(ValueError, match="at least one image"):
        widgets.patch_size_explorer(images[:0])
    with pytest.raises(ValueError, match="at least one image"):
        widgets.mask_explorer(images[:0], 4)
    with pytest.raises(ValueError, match="'block side': its range 1..0 is empty"):
        widgets.mask_explorer(images, 32, "block")  # a 1x1 grid has no block to hide
    with pytest.raises(ValueError, match="max_steps must be at least 10"):
        widgets.pendulum_explorer({"MLP": physics.MLP(hidden=8)}, max_steps=5)
    p = config.for_notebook("07", mode="fast")
    model = (dynamics.build(p).eval(), p)
    with pytest.raises(ValueError, match="at least one trajectory"):
        widgets.rollout_explorer({"m": model}, p, torch.zeros(0, 40, 4))


def test_explorers_refuse_settings_they_cannot_draw_instead_of_a_silent_none():
    from jepa_lab import physics
    from jepa_lab.datasets import make_moving_shapes

    clip = make_moving_shapes(1, frames=8, image_size=32, seed=0)[0][0]
    with pytest.raises(ValueError, match="patch size at most half the frame"):
        widgets.tube_explorer(clip, 32, 2)
    with pytest.raises(ValueError, match="positive time step dt"):
        widgets.pendulum_explorer({"MLP": physics.MLP(hidden=8)}, dt=0)


def test_a_failing_draw_raises_at_construction_and_on_update():
    from ipywidgets import IntSlider

    def draw(fig, n):
        if n > 2:
            raise RuntimeError(f"n = {n} is too many")
        fig.subplots().plot(range(n))

    e = widgets.Explorer(draw, {"n": IntSlider(value=1, min=0, max=5)})
    with pytest.raises(ValueError, match="n = 4 is too many"):
        e.update(n=4)
    e.update(n=2)  # drawable again: no stale error
    assert e.params == {"n": 2} and e.error is None
    with pytest.raises(ValueError, match="cannot draw with these settings: n = 3"):
        widgets.Explorer(draw, {"n": IntSlider(value=3, min=0, max=5)})


def test_every_explorer_is_named_explorer_and_old_names_are_aliases():
    public = [n for n in widgets.__all__ if callable(getattr(widgets, n)) and n[0].islower() and n != "clamp"]
    old = {"clip_scrubber": "clip_explorer", "collapse_dial": "collapse_explorer"}
    assert all(n.endswith("_explorer") or n in old for n in public)
    assert all(getattr(widgets, a) is getattr(widgets, n) for a, n in old.items())
