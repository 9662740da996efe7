"""Notebook 10's pieces: the three datasets, spectrogram masks, conditioning, the three models (a few real
training steps each), the explorers headless, and (slow) the shipped checkpoints' headline numbers."""

import dataclasses

import pytest
import torch

from jepa_lab import config, masks, probes, tasks, train, widgets
from jepa_lab.datasets import audio, captions, genes
from jepa_lab.family import ConditionedPredictor, CrossAttention, FiLM, film, vljepa
from jepa_lab.family.biojepa import expression_changes, perturbation_errors, world_of

# ------------------------------------------------------------------ datasets

def test_sounds_are_seeded_balanced_and_shaped():
    spec, label, wave = audio.make_sounds(18, seed=3, waves=True)
    assert spec.shape == (18, 1, 32, 32) and wave.shape == (18, audio.num_samples(32, 125))
    assert torch.bincount(label).tolist() == [2] * len(audio.SOUND_CLASSES)
    assert torch.equal(spec, audio.make_sounds(18, seed=3)[0]) and not torch.equal(spec, audio.make_sounds(18, 4)[0])
    assert spec.isfinite().all() and -4 < spec.mean() < 4


def test_a_tone_holds_its_pitch_a_vibrato_wobbles_and_a_siren_rises_then_falls():
    spec, label = audio.make_sounds(90, seed=0, loudness_db=(0.0, 0.0))

    def peaks(kind):  # the loudest band at each frame where the sound is on, per sound
        s = spec[label == audio.SOUND_CLASSES.index(kind)][:, 0]  # [n, F, T]
        on = s.amax(1) > s.median() + 2
        return [p[o].float() for p, o in zip(s.argmax(1), on, strict=True)]

    assert all(p.max() == p.min() for p in peaks("tone"))
    wobble = [p.max() - p.min() for p in peaks("vibrato")]
    assert min(wobble) >= 1 and max(wobble) <= 5  # moves, by less than a chirp's octave
    for p in peaks("siren"):  # highest in the middle, lower at both ends
        assert p[len(p) // 2] > p[0] + 2 and p[len(p) // 2] > p[-1] + 2


def test_a_tone_lights_one_band_and_a_noise_burst_many():
    spec, label = audio.make_sounds(70, seed=0, loudness_db=(0.0, 0.0))
    tone = spec[label == 0].amax(-1)[:, 0]  # [n, F]: loudest moment per band
    noise = spec[label == 5].amax(-1)[:, 0]
    floor = spec[label == 0].median()  # most of a tone's spectrogram is the noise floor
    assert (tone > floor + 2).sum(1).float().mean() < 6
    assert (noise > floor + 2).sum(1).float().mean() > 20


def test_mel_filterbank_and_bad_parameters():
    fb = audio.mel_filterbank(32)
    assert fb.shape == (32, audio.N_FFT // 2 + 1) and (fb.sum(1) > 0).all()
    with pytest.raises(ValueError, match="n_mels"):
        audio.mel_filterbank(200)
    with pytest.raises(ValueError, match="at least 1"):
        audio.make_sounds(0)
    with pytest.raises(ValueError, match="loudness_db"):
        audio.make_sounds(4, loudness_db=(0.0, -10.0))
    with pytest.raises(ValueError, match=r"\[n, L\]"):
        audio.log_mel(torch.zeros(4))


def test_scenes_questions_and_answers_agree():
    d = captions.make_vqa(50, seed=1)
    assert d["images"].shape == (50, 3, 32, 32) and len(d["questions"]) == len(d["answers"]) == 50
    assert torch.equal(d["images"], captions.make_vqa(50, seed=1)["images"])
    assert (d["shapes"][:, 0] != d["shapes"][:, 1]).all() and (d["colours"][:, 0] != d["colours"][:, 1]).all()
    candidates = set(captions.answer_candidates())
    assert all(a in candidates for a in d["answers"])
    for i in range(50):
        if d["questions"][i] == "describe the picture":
            assert d["answers"][i] == d["captions"][i]
        if d["questions"][i].startswith("what colour is the"):
            shape = d["questions"][i].split()[-1]
            side = captions.SCENE_SHAPES.index(shape)
            assert d["answers"][i] == captions.COLOURS[int(d["colours"][i][d["shapes"][i].tolist().index(side)])]
    ids = captions.encode(["red circle left of blue plus"], vljepa.ANSWER_LEN)
    assert captions.decode(ids[0]) == "red circle left of blue plus"
    with pytest.raises(ValueError, match="unknown words"):
        captions.encode(["a purple circle"], 6)
    with pytest.raises(ValueError, match="more than length"):
        captions.encode(["what is left of the circle now"], 6)


def test_gene_world_is_seeded_and_knockdowns_act_downstream():
    w = genes.make_gene_world(0)
    assert torch.equal(w.descriptors, genes.make_gene_world(0).descriptors)
    assert w.held_out.sum() == 8 and w.descriptors.shape == (96, 13)
    held = w.perturbations[w.held_out]
    for gene in held[w.regulator[held]]:  # every held-out regulator's module keeps a seen regulator
        mates = w.perturbations[~w.held_out & (w.module[w.perturbations] == w.module[gene])]
        assert w.regulator[mates].any()
    g = torch.Generator().manual_seed(0)
    p = len(w.perturbations)
    pairs = genes.make_pairs(w, p * 100, torch.arange(p).repeat_interleave(100), g)
    effect = (pairs["perturbed"] - pairs["control"]).view(p, 100, -1).mean(1)  # [P, G]
    knocked = w.perturbations
    assert (effect[torch.arange(p), knocked] < -0.05).all()  # the knocked gene itself drops
    others = effect.clone()
    others[torch.arange(p), knocked] = 0
    reach = others.abs().sum(1)  # [P] how much every other gene moved
    is_reg = w.regulator[knocked]
    assert reach[is_reg].min() > reach[~is_reg].max() and reach[is_reg].mean() > 2.5 * reach[~is_reg].mean()
    with pytest.raises(ValueError, match="regulators"):
        genes.make_gene_world(0, regulators=1)
    with pytest.raises(ValueError, match="one perturbation per cell"):
        genes.make_pairs(w, 3, torch.zeros(2, dtype=torch.long), g)


# ------------------------------------------------------------------ masks and conditioning

def test_spectrogram_masks_are_stripes_and_bands():
    g = torch.Generator().manual_seed(0)
    grid = (8, 8)
    ctx, tgt = masks.masks_stripes(grid, 16, g, kind="time_frequency", num_targets=2, width=(1, 2))
    cells = tgt.view(16, 2, 8, 8)
    time_stripe, band = cells[:, 0], cells[:, 1]
    assert (time_stripe.all(1) == time_stripe.any(1)).all()  # a time stripe covers every band
    assert (band.all(2) == band.any(2)).all()  # a frequency band covers every time step
    assert not (ctx & tgt.any(1)).any()
    mb = masks.sample_spectrogram_batch("frequency", grid, 4, g, num_targets=3)
    assert mb.ctx_idx.shape[0] == 4 and len(mb.tgt_idx) == 3
    assert masks.band_indices((4, 6), 1, 2).tolist() == list(range(6, 18))
    assert masks.band_indices((4, 6), 2, 1, "time").tolist() == [2, 8, 14, 20]
    with pytest.raises(ValueError, match="one of time, frequency"):
        masks.sample_spectrogram_batch("checkerboard", grid, 2, g)
    with pytest.raises(ValueError, match="width"):
        masks.masks_stripes(grid, 2, g, width=(1, 8))
    with pytest.raises(ValueError, match="does not fit"):
        masks.band_indices((4, 6), 3, 2)


def test_film_and_cross_attention():
    x, c = torch.randn(2, 5, 8), torch.randn(2, 3, 6)
    assert torch.equal(film(x, torch.zeros(2, 8), torch.zeros(2, 8)), x)
    assert torch.allclose(FiLM(8, 6)(x, c), x)  # starts as the identity
    ca = CrossAttention(8, 6, num_heads=2)
    out = ca(x, c)
    assert out.shape == x.shape
    assert not torch.allclose(out, ca(x, c.flip(0)))  # the condition matters
    assert torch.allclose(out, ca(x, c[:, [2, 0, 1]]), atol=1e-6)  # a set: order does not matter
    pred = ConditionedPredictor(dim=8, depth=2, num_heads=2, cond_dim=6, kind="film", causal=True)
    y = pred(x, c)
    x2 = x.clone()
    x2[:, -1] += 1
    assert torch.allclose(pred(x2, c)[:, :-1], y[:, :-1], atol=1e-6)  # causal: the past ignores the future
    with pytest.raises(ValueError, match="conditioning must be one of cross, film"):
        ConditionedPredictor(dim=8, depth=1, num_heads=2, cond_dim=6, kind="concat")
    with pytest.raises(ValueError, match=r"cond must be \[B, K, 6\]"):
        ca(x, torch.randn(2, 6))
    with pytest.raises(ValueError, match="divisible"):
        CrossAttention(10, 6, num_heads=4)


def test_probe_protocol_gives_every_row_the_same_splits():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(120) % 3
    good = torch.nn.functional.one_hot(y).float() + 0.3 * torch.randn(120, 3, generator=g)
    r = probes.probe_protocol({"good": good, "noise": torch.randn(120, 5, generator=g)}, y, draws=2)
    assert r["good"]["linear"] > 0.9 > r["noise"]["linear"] and set(r["good"]) == {"linear", "linear_std", "knn",
                                                                                   "knn_std", "c"}
    with pytest.raises(ValueError, match="one row per label"):
        probes.probe_protocol({"a": good[:10]}, y)


def test_regression_protocol_reads_what_is_there_and_low_label_fits_use_fewer_items():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 4, generator=g)
    y = torch.stack([x[:, 0], x[:, 1] * x[:, 2]], 1)  # one linear target, one a linear probe cannot read
    r = probes.regression_protocol({"x": x, "noise": torch.randn(300, 4, generator=g)}, y, draws=2)
    assert r["x"]["ridge"][0] > 0.95 and r["x"]["ridge"][1] < 0.1 and r["noise"]["ridge"][0] < 0.1
    assert set(r["x"]) == {"ridge", "ridge_std", "knn", "knn_std"} and len(r["x"]["knn"]) == 2
    few = probes.regression_protocol({"x": x}, y, draws=2, n_fit=5)
    assert few["x"]["ridge"][0] < r["x"]["ridge"][0]  # five labelled items fit worse than 180
    with pytest.raises(ValueError, match="n_fit must be between 2 and the 180"):
        probes.regression_protocol({"x": x}, y, n_fit=500)


# ------------------------------------------------------------------ models: a few real steps

@pytest.mark.parametrize("name", ["ajepa", "vljepa", "vl_decoder", "biojepa"])
def test_each_member_trains_a_few_steps(name):
    preset = config.for_notebook(tasks.get(name).notebook, mode="fast")
    model, batch_fn, cfg = tasks.get(name).build(preset)
    history = train.fit(model, batch_fn, dataclasses.replace(cfg, steps=3, warmup_steps=0, log_every=1))
    assert len(history["loss"]) == 3 and all(torch.isfinite(torch.tensor(history["loss"])))


def test_vljepa_answers_from_the_candidates_and_the_decoder_generates():
    preset = config.for_notebook("10-vl", mode="fast")
    data = captions.make_vqa(20, seed=5)
    r = vljepa.evaluate_answers(vljepa.VLJEPA(preset), data)
    assert all(a in captions.answer_candidates() for a in r["answers"]) and r["passes"] == 1
    d = vljepa.evaluate_answers(vljepa.TokenDecoder(preset), data)
    assert len(d["answers"]) == 20 and 1 <= d["passes"] <= vljepa.ANSWER_LEN
    model, batch_fn, _ = tasks.vljepa.builder("vljepa")(preset)
    assert model(*batch_fn(0, torch.Generator().manual_seed(0))).ndim == 0


def test_vljepa_negatives_bank_contrasts_with_every_candidate_and_batch_only_with_the_batch():
    preset = config.for_notebook("10-vl", mode="fast")
    model, batch_fn, _ = tasks.vljepa.builder("vljepa")(preset)
    images, questions, answers = batch_fn(0, torch.Generator().manual_seed(0))
    seen = {}
    model.text_encoder.register_forward_hook(lambda m, i, o: seen.update(n=len(i[0])))
    bank = model(images, questions, answers)
    assert seen["n"] == len(captions.answer_candidates())  # every possible answer is a negative
    model.negatives = "batch"
    batch = model(images, questions, answers)
    assert seen["n"] == len(torch.unique(answers, dim=0)) < len(captions.answer_candidates())
    assert bank > batch  # more negatives, a harder classification at initialisation
    model.negatives = "bank"
    wrong = answers.clone()
    wrong[0] = captions.encode(["red red red"], answers.shape[1])[0]  # no question has this answer
    with pytest.raises(ValueError, match="answer_candidates"):
        model(images, questions, wrong)
    with pytest.raises(ValueError, match="negatives must be one of"):
        vljepa.VLJEPA(preset.replace(negatives="all"))


def test_biojepa_trains_only_on_seen_perturbations_and_reports_both_baselines():
    preset = config.for_notebook("10-bio", mode="fast")
    model, batch_fn, _ = tasks.biojepa.build(preset)
    world = world_of(preset)
    knocked = torch.cat([batch_fn(s, torch.Generator().manual_seed(s))[2] for s in range(5)])
    assert not torch.isin(knocked, world.perturbations[world.held_out]).any()
    errors = perturbation_errors(model, world, cells=5)
    assert set(errors) >= {"model", "no change", "mean shift"} and errors["model"].shape == (32,)
    s = tasks.biojepa.summary(errors)
    assert s["no change / model"] > 0
    changes = expression_changes(model, world, cells=5)
    assert changes["true"].shape == changes["predicted"].shape == (32, 96)
    for kind in ("cross", "film"):
        m = tasks.biojepa.build(preset.replace(conditioning=kind))[0]
        assert m(*batch_fn(0, torch.Generator().manual_seed(0))).ndim == 0


def test_explorers_headless():
    spec, label = audio.make_sounds(7, seed=0)
    e = widgets.spectrogram_mask_explorer(spec, label, 4)
    e.update(kind="frequency", num_targets=3, width=99)
    assert e.params["width"] == 7 and "frequency" in e.figure.axes[1].get_title()
    with pytest.raises(ValueError, match="divide"):
        widgets.spectrogram_mask_explorer(spec, label, 5)
    changes = {"true": torch.randn(4, 96), "predicted": torch.randn(4, 96), "mean shift": torch.randn(4, 96)}
    held = torch.tensor([False, True, False, False])
    p = widgets.perturbation_explorer(changes, torch.arange(96) % 8, ["a", "b", "c", "d"], held)
    assert p.params["perturbation"] == 1 and "squared error" in p.figure.axes[0].get_title()
    p.update(perturbation=3)
    assert p.figure.axes[0].get_title().startswith("d")
    with pytest.raises(ValueError, match="one row per perturbation"):
        widgets.perturbation_explorer(changes, torch.arange(96) % 8, ["a"], held)


# ------------------------------------------------------------------ shipped checkpoints (slow)

SHIPPED = ("ajepa", "vljepa", "vl_decoder", "biojepa")


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_headline_number_is_what_the_card_says(name):
    task = tasks.get(name)
    preset = config.for_notebook(task.notebook, mode="cpu")
    path = task.path("cpu")
    if not path.is_file():
        pytest.skip(f"{path.name} is not shipped")
    model, card = task.load(path, preset)
    results, _ = task.report(model, preset)
    if name == "ajepa":
        got, want = results["context encoder"]["linear"], card["probe"]["context encoder"]["linear"]
    elif name == "biojepa":
        got, want = results["no change / model"], card["probe"]["no change / model"]
    else:
        got, want = results["accuracy"], card["probe"]["accuracy"]
    assert got == pytest.approx(want, abs=0.02)
