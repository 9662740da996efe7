# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version,-jupytext.text_representation.format_version
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10 · Meet the JEPA family: sounds, questions and cells
#
# Every JEPA so far hid part of an image, a clip or a state and predicted its *embedding*. The same recipe
# listens (A-JEPA: patches of a spectrogram), answers questions (VL-JEPA: predict the embedding of the
# answer, decode words only when needed) and models cells (Bio-JEPA: predict the embedding of a cell after
# a gene is knocked down). Here you build all three in miniature and measure each against a baseline, so
# you can see which parts of the recipe change and which stay the same.
#
# **What you'll do:** turn synthetic sounds into log-mel spectrograms and time-frequency patches, mask
# them in stripes and bands, train A-JEPA and probe it; train a model that answers questions about
# pictures by predicting a text embedding, and compare its accuracy and cost with a model that generates
# the answer word by word; simulate gene expression with hidden regulation and knock-downs, and predict
# the effect of knock-downs the model never saw, with a predictor conditioned by cross-attention or FiLM.
#
# **What you'll learn:** what a tokeniser, a mask and a condition are for each kind of data; why
# predicting an embedding can be cheaper than generating tokens; how a conditional predictor generalises
# to perturbations held out of training; and how to tell a result from a baseline in each case.
#
# **What you need:** notebooks 01–06. No GPU. Measured run time, top to bottom:
# about 2 min in `cpu` mode with the shipped checkpoints (one thread of a 2-core CPU; `RETRAIN = True`
# trains all nine models here, about 2.5 h with one thread), about 0.6 min in `fast` mode (a few real steps of everything, as the tests run it:
# all nine are trained).

# %%
import matplotlib.pyplot as plt
import torch

from jepa_lab import checks, config, masks, plots, probes, runtime, tasks, widgets
from jepa_lab.datasets import audio
from jepa_lab.family import ajepa, biojepa, vljepa

preset = config.for_notebook("10")
expect = config.expectations("10", preset.mode)  # the floors and margins this notebook's asserts use
generator = runtime.seed_everything(preset.seed)
print(runtime.describe(preset.mode, preset.seed, runtime.get_device()))
print(preset.audio, preset.vl, preset.bio, sep="\n")
print(expect)
RETRAIN = False  # True: train every model here instead of loading the shipped checkpoints

# %% [markdown]
# ## 1. Sounds as time-frequency patches
#
# `audio.make_sounds` synthesises nine kinds of sound a listener would recognise (a steady tone, chirps
# up and down, a harmonic stack, clicks, a noise burst, two beeps, a vibrato, a siren), each with a random
# pitch, onset, length and loudness over a faint noise floor. Look at the tone, the two chirps, the vibrato
# and the siren: the same kind of line, at pitches drawn from the same range; only the way the pitch moves
# tells them apart. A **log-mel spectrogram** turns half a second of sound into a
# picture: `torch.stft` cuts the wave into overlapping frames and measures the power of each frequency in
# each frame; triangular filters pool the frequencies into 32 bands spaced like human hearing (the mel
# scale), and a logarithm compresses loudness. (torchaudio would do the same, but it does not install
# beside the pinned PyTorch CPU build; `audio.log_mel` is a dozen lines.)
#
# The result is a one-channel image `[1, 32 bands, 32 time steps]`, so the course's `PatchEmbed` cuts it
# into patches unchanged. But the two axes mean different things: a row of the token grid is a frequency
# band, a column a moment.

# %%
specs, labels = audio.make_sounds(90, seed=preset.seed + 5)
fig, axes = plt.subplots(1, len(audio.SOUND_CLASSES), figsize=(17, 2.4))
for k, ax in enumerate(axes):
    plots.plot_spectrogram(specs[labels == k][0], ax=ax, title=audio.SOUND_CLASSES[k])
    ax.set(xlabel="", ylabel="" if k else "mel band")
plt.show()
encoder = ajepa.initial_encoder(preset.audio)
grid = encoder.grid
print(f"spectrogram {tuple(specs.shape[1:])} -> a {grid[0]}x{grid[1]} grid of (frequency, time) patches "
      f"of {preset.audio.patch_size}x{preset.audio.patch_size} -> tokens {tuple(encoder(specs[:2]).shape)}")
assert grid == (preset.audio.n_mels // preset.audio.patch_size, preset.audio.frames // preset.audio.patch_size)

# %% [markdown]
# A tone is one bright horizontal line, a chirp a slanted one, a click a vertical one. So the natural
# targets are not square blocks but **stripes**: hide a few whole time steps (what happens in this
# moment, at every pitch?) and a few whole frequency bands (what does this pitch range hold, all along?).
# `masks.sample_spectrogram_batch` draws them as index lists like every mask of the course; `"multiblock"`
# is I-JEPA's image mask, for comparison.

# %%
explorer = widgets.spectrogram_mask_explorer(specs, labels, preset.audio.patch_size)
explorer

# %% [markdown]
# **What to try**
# - Switch *mask* between `time`, `frequency` and `multiblock` on a chirp: a time stripe cuts the chirp
#   short; a frequency band hides the part of it in that pitch range; a block hides a corner.
# - Raise *targets* to 4 and *max stripe width* to its top: the context shrinks fast (the title counts it),
#   because every stripe spans the whole grid.
# - Pick the two beeps and a `time` mask over the gap between them: the context still shows both beeps,
#   so the hidden stripe is predictable (silence); over a beep it is not.

# %%
assert explorer.figure is not None and "time_frequency" == explorer.params["kind"]
one = masks.sample_spectrogram_batch("time", grid, 1, torch.Generator().manual_seed(0), num_targets=1)
stripe = torch.zeros(grid[0] * grid[1], dtype=torch.bool)
stripe[one.tgt_idx[0][0]] = True
assert stripe.view(grid).any(0).sum() * grid[0] == stripe.sum()  # a time stripe covers every band

# %% [markdown]
# ## 2. A-JEPA: the same recipe, listening
#
# The model is notebook 04's `jepa.JEPA` around a `vit.Encoder` with one input channel: context encoder,
# EMA target encoder, a narrow predictor, and the VICReg terms on the context features. Only the data and
# the masks (time stripes and frequency bands, alternating) changed. `tasks.fit_or_load("ajepa", ...)`
# loads the shipped checkpoint of this preset (its card names the command that made it) or trains it here.
#
# The judge: a linear probe of the sound class on 3,000 held-out sounds, with the same protocol for every
# row: three fit/test draws, the regularisation chosen on a validation split of each fit set, and a
# k-nearest-neighbour vote beside it. The baselines: the same encoder at random init, and the raw
# spectrogram itself (1,024 numbers per sound).

# %%
model_a, card_a = tasks.fit_or_load("ajepa", preset.audio, retrain=RETRAIN)
probe_a = ajepa.probe_report({"A-JEPA context encoder": model_a.context_encoder,
                              "A-JEPA target encoder": model_a.target_encoder}, preset.audio)
print(probes.format_protocol(probe_a))
fig, ax = plt.subplots(figsize=(7, 2.4))
plots.plot_probe_bars({k: v["linear"] for k, v in probe_a.items()}, chance=1 / len(audio.SOUND_CLASSES), ax=ax)
plt.show()
best_a = max(probe_a["A-JEPA context encoder"]["linear"], probe_a["A-JEPA target encoder"]["linear"])
floor_a = max(probe_a["random init"]["linear"], probe_a["raw spectrogram"]["linear"])
print(f"A-JEPA's best linear probe {best_a:.3f}, the better baseline {floor_a:.3f}: {best_a - floor_a:+.3f}")
assert best_a >= floor_a + expect.audio_margin

# %% [markdown]
# Measured with the shipped checkpoint (`cpu` mode, seed 0, 600 steps; three fit/test draws): the encoders
# read the sound class at 0.86 (context) and 0.85 (target) with a linear probe, against 0.67 for the
# same encoder at random init and 0.60 for the raw spectrogram: **about +20 points** over the better baseline
# (+19.9 in the checkpoint's card; a run on another machine or thread count, like the printout above, can
# differ by a few tenths of a point). Over three training seeds (0, 1, 2; each also draws its own probe
# sounds and random init, made with `python -m jepa_lab.train ajepa --mode cpu --set seed=N --probe`) the
# margin is +19.6 ± 0.8 points (+19.9, +18.7 and +20.2 for seeds 0, 1 and 2), with chance at 0.111.
#
# Where does the margin come from? A random ViT, pooled, is already a fair sound classifier: its tokens say
# which frequencies sound, and pooling forgives where in time and pitch they sit. What it cannot say is how
# the pitch *moves*, and that is all that separates the tone, the two chirps, the vibrato and the siren.
# Predicting hidden time stripes from their neighbours is exactly what makes A-JEPA's tokens encode it.
#
# One honest caveat: a **kNN vote on the raw spectrogram** (0.804, 0.833, 0.814 on the three seeds) is
# about as good as A-JEPA's kNN (0.823, 0.826, 0.858): sounds of one class look alike pixel by pixel, so
# nearest neighbours find them, while a linear classifier on the raw pixels cannot. A-JEPA's features are
# the ones a *linear* read-out can use; that is the property a downstream model builds on.

# %% [markdown]
# ## 3. VL-JEPA: answer by predicting an embedding
#
# `captions.make_vqa` draws two coloured shapes side by side, a caption ("red triangle left of blue
# circle") and one question per picture, of five kinds: the colour of a shape, the shape of a colour,
# where a shape is, what is left of a shape, and "describe the picture" (whose answer is the caption).
#
# **VL-JEPA** encodes the image into patch tokens, lets the question's word tokens cross-attend to them
# (`family.ConditionedPredictor`), and maps the result to a 64-number *answer embedding*. A small text
# encoder embeds answers; training pulls the predicted embedding towards its answer's and away from every
# other answer the world allows (InfoNCE over all 951 of them: the `negatives="bank"` setting). To answer,
# it embeds every possible answer once and returns the nearest: **one forward pass per answer, however
# many words it has.** The **token decoder** is the usual alternative of similar size: the same image
# encoder, then a causal transformer that generates the answer word by word, one forward pass per word
# (without a key-value cache). Both are trained with three seeds; each seed is judged on its own held-out
# scenes and questions.

# %%
test = tasks.vljepa.held_out(preset.vl)
for i in range(5):
    print(f"{test['questions'][i]:>28} -> {test['answers'][i]}")
runs = {}
for seed in tasks.vljepa.SEEDS:  # three training seeds; each is judged on its own held-out scenes
    run_preset, tag = tasks.vljepa.seed_run(preset.vl, seed)
    pair = {name: tasks.fit_or_load(task, run_preset, tag, retrain=RETRAIN)[0]
            for name, task in (("VL-JEPA", "vljepa"), ("token decoder", "vl_decoder"))}
    questions = test if seed == preset.vl.seed else tasks.vljepa.held_out(run_preset)
    with runtime.num_threads(1):  # time both on one thread
        runs[seed] = {name: vljepa.evaluate_answers(m, questions) for name, m in pair.items()}
    if seed == preset.vl.seed:
        model_v, model_d = pair.values()
for seed, pair in runs.items():
    for name, r in pair.items():
        kinds = ", ".join(f"{k} {v:.2f}" for k, v in r["per_kind"].items())
        print(f"seed {seed}, {name:>13}: accuracy {r['accuracy']:.3f} ({kinds}); "
              f"{r['seconds_per_answer'] * 1e3:.2f} ms per answer, {r['passes']:.1f} forward passes per batch")
acc = {name: torch.tensor([pair[name]["accuracy"] for pair in runs.values()]) for name in ("VL-JEPA", "token decoder")}
speedups = [pair["token decoder"]["seconds_per_answer"] / pair["VL-JEPA"]["seconds_per_answer"] for pair in runs.values()]
for name, a in acc.items():
    print(f"{name:>13}: {a.mean():.3f} ± {a.std():.3f} over {len(a)} seeds, {runs[0][name]['params']:,} parameters")
print("the decoder takes " + ", ".join(f"{s:.1f}x" for s in speedups) + " as long per answer (each seed)")
vl, dec = runs[preset.vl.seed]["VL-JEPA"], runs[preset.vl.seed]["token decoder"]
assert acc["VL-JEPA"].min() >= expect.vl_accuracy  # nine answers in ten, on every seed
assert min(speedups) >= expect.vl_speedup  # one forward pass instead of one per word
assert (acc["VL-JEPA"] - acc["token decoder"]).min() >= expect.vl_over_decoder  # and no less accurate

# %%
fig, axes = plt.subplots(1, 6, figsize=(15, 2.9))
for i, ax in enumerate(axes):
    ax.imshow(test["images"][i].permute(1, 2, 0))
    ax.set_title(f"{test['questions'][i]}?\nVL-JEPA: {vl['answers'][i]}\ndecoder: {dec['answers'][i]}", fontsize=7)
    ax.axis("off")
plt.show()

# %% [markdown]
# With the shipped `cpu` checkpoints (4,000 steps each, seeds 0, 1 and 2, each judged on its own 1,000
# held-out questions), VL-JEPA answers 0.997, 0.996 and 0.995 of the questions exactly, and the token decoder of similar size
# (308,000 parameters against VL-JEPA's 300,000, same data, same steps) 0.987, 0.989 and 0.989. Even "describe the
# picture", where a caption is right only when all four of its variable words (two colours,
# two shapes) are right, is answered by picking one
# embedding among 951. And VL-JEPA does it in one forward pass: the decoder needs one pass per word (seven
# for a caption and its end token), about 3.5 times as long per answer on an idle machine's thread (the printout above is yours;
# timings move with the machine's load).
#
# **What made it work: the negatives.** InfoNCE pulls the prediction towards its answer and pushes it away
# from the others it is shown. Shown only the other answers *in the batch* (`--set negatives=batch`, as
# CLIP-style training does when the answers cannot be listed), VL-JEPA answered 73 % at 2,000 steps (seed
# 0): a batch of 128 rarely holds the captions that differ from the right one in a single word, so it
# never learned to tell them apart. Shown every possible answer, it reached 0.975 at the same 2,000 steps,
# and the shipped runs, trained for 4,000 steps, answer 0.995 or more on every seed. A key-value cache would
# narrow the decoder's cost, not close it: it still needs a pass per word.

# %% [markdown]
# ## 4. Bio-JEPA: predict the effect of a knock-down nobody measured
#
# `genes.make_gene_world` simulates a tissue: 96 genes in 8 modules, each module driven by its cell
# type, by noise, and by the output of the modules upstream of it (a hidden graph of activating and
# repressing links). Each module has three *regulator* genes: knocking one down lowers the module's
# output, and so everything downstream; knocking down another gene lowers that gene alone. Of 32
# knock-downs, 8 are **held out**: never seen in training, one regulator per module.
#
# Bio-JEPA treats genes as **tokens** (a learned gene embedding plus the measured value). The *context*
# is the cell before the perturbation, the *target* the same cell after it (a simulator can measure both;
# real data pairs a perturbed cell with control cells of its type). The predictor reads the control cell's
# tokens and is **conditioned** on the perturbation: a token built from what is known of the knocked gene
# without perturbing it (its co-expression with other genes in control cells, and whether it is a
# regulator) plus its learned gene embedding. Two ways to condition (`family.conditioning`):
# **cross-attention** (every gene token asks the perturbation token, or a learned *null* token, what
# concerns it) and **FiLM** (one scale and shift per channel, the same for every gene).
#
# The judge, for each knock-down: its **effect**, the mean shift of the embedding over 200 fresh cells,
# predicted against measured (one cell's embedding also carries that cell's measurement noise, which no
# model can predict; the per-cell errors are printed too). The baselines, in the same embedding: **no
# change** (the control cell's own embedding: an effect of zero) and **mean shift** (the average effect of
# the seen knock-downs, whatever was knocked down).

# %%
world = biojepa.world_of(preset.bio)
print(f"{world.n_genes} genes, {int(world.regulator.sum())} regulators, {len(world.perturbations)} knock-downs "
      f"({int(world.held_out.sum())} held out); module links (row -> column):")
print(world.links.numpy().round(1))
results_b, models_b = {}, {}
for kind in ("cross", "film"):
    bio_preset = preset.bio.replace(conditioning=kind)
    models_b[kind], _ = tasks.fit_or_load("biojepa", bio_preset, None if kind == "cross" else kind, retrain=RETRAIN)
    results_b[kind] = tasks.biojepa.summary(biojepa.perturbation_errors(models_b[kind], world, preset.bio.eval_cells))
bio = results_b["cross"]
for kind, s in results_b.items():
    print(f"{kind:>5}: held-out effect error {s['model']:.4f} (seen {s['seen model']:.4f}); no change "
          f"{s['no change']:.4f} ({s['no change / model']:.1f}x the model's), mean shift {s['mean shift']:.4f} "
          f"({s['mean shift / model']:.1f}x); per cell {s['cell model']:.3f} / {s['cell no change']:.3f} / "
          f"{s['cell mean shift']:.3f}")
fig, ax = plt.subplots(figsize=(6, 2.2))
plots.plot_error_bars({"Bio-JEPA (cross-attention)": bio["model"], "Bio-JEPA (FiLM)": results_b["film"]["model"],
                       "mean shift": bio["mean shift"], "no change": bio["no change"]}, ax=ax,
                      xlabel="error of the effect, held-out knock-downs")
plt.show()
assert bio["no change / model"] >= expect.bio_vs_no_change and bio["mean shift / model"] >= expect.bio_vs_mean_shift

# %% [markdown]
# With the shipped `cpu` checkpoint (seed 0), the cross-attention model's error on the effect of the eight
# held-out knock-downs is 0.027, against 0.275 for "no change" (10x) and 0.148 for the mean shift (about 5.5x);
# on the seen knock-downs it is 0.012, so held-out ones cost about twice as much, but far less than
# guessing. Per cell the picture is humbler (0.78 against 1.19 and 1.06): most of a single cell's change
# is its own noise. FiLM did as well or better here (effect error 0.019, 14x below "no change"): with one
# perturbation token there is little for cross-attention to choose between; it earns its keep when a cell
# carries several perturbations at once (see Going further).
#
# **Which gene moved?** An embedding is not an expression profile, but a ridge decoder (embedding ->
# expression, fitted on cells of the seen knock-downs) reads one back. Pick a knock-down below and compare
# the true mean change of every gene with the change read from Bio-JEPA's predicted embedding, and with the
# mean shift of the seen knock-downs.

# %%
changes = biojepa.expression_changes(models_b["cross"], world, preset.bio.eval_cells)
shift = world.held_out.new_zeros(len(world.perturbations)).float()[:, None] + changes["true"][~world.held_out].mean(0)
names = [f"gene {int(g)} (module {int(world.module[g])}, {'regulator' if world.regulator[g] else 'other'})"
         for g in world.perturbations]
panel = widgets.perturbation_explorer({"true": changes["true"], "Bio-JEPA": changes["predicted"], "mean shift": shift},
                                      world.module, names, world.held_out)
panel

# %% [markdown]
# **What to try**
# - Pick a held-out *regulator*: the true change reaches other modules (downstream of its own); does the
#   prediction move the same modules in the same direction?
# - Pick a seen regulator of the same module: its true change looks like the held-out one's, which is
#   what the descriptor lets the model use.
# - Pick an *other* gene: only the gene itself drops. The decoded prediction smears that drop over its
#   module: a knock-down of one gene barely moves a whole-cell embedding.

# %%
assert world.held_out[panel.params["perturbation"]]  # it opens on a held-out knock-down
held = world.held_out
err_pred = (changes["predicted"] - changes["true"])[held].pow(2).mean()
err_none = changes["true"][held].pow(2).mean()
print(f"held-out knock-downs, mean squared error of the expression change: decoded prediction {err_pred:.4f}, "
      f"no change {err_none:.4f}")

# %% [markdown]
# ## 5. One recipe, three tokenisers
#
# | | A-JEPA | VL-JEPA | Bio-JEPA |
# |---|---|---|---|
# | tokens | time-frequency patches of a log-mel spectrogram | image patches; question words | genes (embedding + value) |
# | context | the spectrogram outside the stripes | the image and the question | the cell before the knock-down |
# | target | embeddings of hidden time stripes and frequency bands | the answer's text embedding | the cell's embedding after it |
# | predictor's condition | positions of the hidden tokens | the image (cross-attention) | the perturbation (cross-attention or FiLM) |
# | collapse guard | EMA target + VICReg terms | contrast with other answers (InfoNCE) | EMA target + VICReg terms |
# | baseline | random init, raw spectrogram | a token decoder of similar size | no change, mean shift |
#
# **Predict, then run.** A-JEPA's encoder pools its tokens by averaging. Shift a sound later in time by a
# few steps: does the pooled embedding of a random-init encoder change a lot or a little? And if you shift
# it up in pitch?

# %%
spec, lab = audio.make_sounds(1, seed=11)
rolled_t, rolled_f = spec.roll(4, dims=-1), spec.roll(4, dims=-2)
with torch.no_grad():
    z, zt, zf = (encoder(s).mean(1) for s in (spec, rolled_t, rolled_f))
cos = torch.nn.functional.cosine_similarity
print(f"{audio.SOUND_CLASSES[int(lab)]}: cosine to the original, shifted in time {cos(z, zt).item():.3f}, "
      f"shifted in pitch {cos(z, zf).item():.3f}")
assert cos(z, zt) > 0.5 and cos(z, zf) > 0.5  # pooling forgives both shifts, much as it does in images

# %% [markdown]
# ## Summary
#
# - The JEPA recipe (encode the visible part, predict the embedding of the hidden part, keep embeddings
#   from collapsing) carried over to sound, to question answering and to cells; what changed was the
#   tokeniser, the mask and what the predictor is conditioned on.
# - A spectrogram's two axes are not alike: masks follow time and frequency. Measured with one probe
#   protocol for all, A-JEPA's lead over a random encoder and the raw spectrogram comes from how the
#   pitch moves, which pooled random features cannot see.
# - Predicting an answer's embedding costs one forward pass whatever the answer's length; generating it
#   costs one pass per word. Trained against every possible answer, the embedding predictor was also at
#   least as accurate as the decoder on every seed; trained against the batch's answers only (seed 0, 2,000
#   steps) it answered only 0.73.
# - A predictor conditioned on a description of the perturbation can say something about knock-downs it
#   never saw; "no change" and "mean shift" are the baselines it has to beat.
#
# ## Exercises
#
# 1. Write `band_indices(grid, start, height)`: the sorted token indices of the frequency band of rows
#    `start .. start + height - 1` on a `(frequency, time)` grid (row-major).
# 2. Write `film(x, gamma, beta)`: FiLM for tokens `x [B, N, D]` with `gamma, beta [B, D]`, so that zeros leave
#    `x` unchanged.
# 3. Write `nearest_answer(z_pred, bank)`: for each predicted embedding `[B, E]`, the index of the most
#    cosine-similar row of `bank [A, E]` (VL-JEPA's decoding).
#
# Each check prints one line: `[not done yet]` until you replace the stub, then `[correct]`, or `[wrong]` /
# `[error]` with the first mismatch. Stuck? `checks.hint("film")`, `checks.hint("film", 2)`,
# `checks.hint("film", 3)`, and `checks.solution("film")` (the same for the other two).

# %%
def my_band_indices(grid, start, height):
    # grid: (frequency bands f, time steps t); returns a 1-D tensor of token indices
    raise NotImplementedError  # your code here


checks.check_band_indices(my_band_indices)


# %%
def my_film(x, gamma, beta):
    # x: [B, N, D]; gamma, beta: [B, D]; returns [B, N, D]
    raise NotImplementedError  # your code here


checks.check_film(my_film)


# %%
def my_nearest_answer(z_pred, bank):
    # z_pred: [B, E]; bank: [A, E]; returns [B] indices into bank
    raise NotImplementedError  # your code here


checks.check_nearest_answer(my_nearest_answer)

# %% [markdown]
# ## Going further
#
# - Train A-JEPA with `multiblock` masks instead of stripes:
#   `python -m jepa_lab.train ajepa --mode cpu --set mask=multiblock --probe`, and compare the probes.
# - Give VL-JEPA questions whose answers are long (several sentences): the token decoder's cost grows with
#   the answer, VL-JEPA's does not. Where does nearest-embedding answering stop working?
# - Hold out *combinations*: knock down two genes at once (`genes.simulate` takes any knocked gene per
#   cell; extend it to two) and train on single knock-downs only. Cross-attention over two perturbation
#   tokens is where it should beat FiLM's average of them.
#
# ## References
#
# - Fei et al., *A-JEPA: Joint-Embedding Predictive Architecture Can Listen*, 2023, arXiv:2311.15830.
# - Chen et al., *VL-JEPA: Joint Embedding Predictive Architecture for Vision-language*, 2025, arXiv:2512.10942.
# - Perez et al., *FiLM: Visual Reasoning with a General Conditioning Layer*, AAAI 2018, arXiv:1709.07871.
# - Park et al., *SpecAugment*, Interspeech 2019, arXiv:1904.08779 (time and frequency masks).
# - Roohani, Huang, Leskovec, *GEARS: Predicting transcriptional outcomes of novel multigene perturbations*,
#   Nature Biotechnology 2023 (held-out perturbations, described by prior knowledge of the genes).
# - Bardes, Ponce, LeCun, *VICReg*, ICLR 2022, arXiv:2105.04906.
#
# **Next:** back to notebook 04 with your own data: `datasets.ImageFolder` reads a folder of images, and
# every recipe above is a task file plus one row of `jepa_lab.tasks.TASKS`.
