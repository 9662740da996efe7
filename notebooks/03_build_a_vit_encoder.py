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
# # 03 · Build a ViT encoder, check it, and time it
#
# Every JEPA has the same workhorse: a Vision Transformer that turns the visible tokens into
# features. Here you build its attention by hand, check it against PyTorch to float32
# precision, and measure the two facts that shape JEPA training: attention cost grows with the
# square of the token count, and an encoder that takes only the visible tokens is much cheaper
# than one that pads. We end with rotary positions (RoPE), which V-JEPA 2 uses.
#
# **What you'll do:** write scaled dot-product attention step by step, compare it with
# `F.scaled_dot_product_attention` and `nn.MultiheadAttention`, assemble a pre-norm block and
# an encoder that takes token indices, look at attention maps, time the encoder against token
# count, and compare sin-cos and RoPE under shifted positions.
#
# **What you'll learn:** the anatomy of a ViT, why I-JEPA's "drop masked tokens" is a speed-up,
# and what "relative positions" means for RoPE.
#
# **What you need:** notebooks 01 and 02. No GPU.
# Measured run time, top to bottom: about 0.8 min in `cpu` mode on a 2-core laptop CPU
# (`make course`), about 0.2 min in `fast` mode (a few real steps of everything, as the tests run it).

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from jepa_lab import checks, config, masks, plots, posembed, runtime, vit, widgets
from jepa_lab.datasets import make_shapes

preset = config.for_notebook("03")
generator = runtime.seed_everything(preset.seed)
device = runtime.get_device()
print(runtime.describe(preset.mode, preset.seed, device))
print(preset)

# %% [markdown]
# ## 1. Attention, step by step
#
# Each token makes a query `q`, a key `k` and a value `v` (three linear maps). Token `i`'s
# output is the average of all values, weighted by `softmax(q_i · k_j / sqrt(d))`. With several
# heads, the width is split and each head attends on its own.

# %%
torch.manual_seed(preset.seed)
attn = vit.Attention(64, num_heads=4)
x = torch.randn(2, 10, 64)  # [B, N, D]
with torch.no_grad():
    b, n, d = x.shape
    qkv = attn.qkv(x).reshape(b, n, 3, 4, 16).permute(2, 0, 3, 1, 4)  # [3, B, heads, N, d_head]
    q, k, v = qkv[0], qkv[1], qkv[2]
    scores = q @ k.transpose(-2, -1) / 16**0.5  # [B, heads, N, N]
    by_hand = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, d)  # [B, N, D]
    by_hand = attn.proj(by_hand)
    fused = attn(x)  # F.scaled_dot_product_attention inside
    reference = nn.MultiheadAttention(64, 4, batch_first=True)
    reference.in_proj_weight.copy_(attn.qkv.weight)
    reference.in_proj_bias.copy_(attn.qkv.bias)
    reference.out_proj.weight.copy_(attn.proj.weight)
    reference.out_proj.bias.copy_(attn.proj.bias)
    torch_mha = reference(x, x, x, need_weights=False)[0]
print(f"by hand vs fused SDPA: {(by_hand - fused).abs().max():.2e}; "
      f"vs nn.MultiheadAttention: {(by_hand - torch_mha).abs().max():.2e}")
assert torch.allclose(by_hand, fused, atol=1e-5) and torch.allclose(by_hand, torch_mha, atol=1e-5)

# %% [markdown]
# Three implementations, one answer (to float32 rounding). The library uses the fused
# `F.scaled_dot_product_attention`, which never stores the `N×N` matrix on fast paths.
#
# ## 2. A pre-norm block, and an encoder that takes token indices
#
# A block is `x + attn(norm(x))` then `x + mlp(norm(x))` (pre-norm: much more stable early in
# training than the original post-norm block, which needs a learning-rate warm-up to train well; the course's engine still warms up for a few steps, as I-JEPA does, because it is
# cheap insurance at large learning rates). The encoder embeds patches, adds positions, runs the blocks and a final norm, and
# returns **one feature per patch** — no CLS token, as in I-JEPA. Given indices `idx`, it
# embeds all patches but runs the transformer **only on those tokens**.

# %%
sizes = {name: runtime.count_params(vit.build_encoder(name, image_size=preset.image_size,
                                                      patch_size=preset.patch_size)) for name in vit.SIZES}
for name, count in sizes.items():
    s = vit.SIZES[name]
    print(f"{name:>6}: D={s.embed_dim:>3}, depth={s.depth:>2}, heads={s.num_heads}: {count / 1e6:6.2f} M parameters")
images, labels = make_shapes(8, preset.image_size, seed=preset.seed)
encoder = vit.build_encoder(preset.size, image_size=preset.image_size, patch_size=preset.patch_size).eval()
mask = masks.sample_multiblock(encoder.grid, generator)
with torch.no_grad():
    z_all = encoder(images)  # [B, N, D]
    z_ctx = encoder(images, mask.ctx_idx.expand(len(images), -1))  # [B, Nc, D]
print(f"all tokens: {tuple(z_all.shape)}; context only: {tuple(z_ctx.shape)}")
assert z_all.shape[1] == encoder.num_patches and z_ctx.shape[1] == mask.ctx_idx.numel()

# %% [markdown]
# **Predict, then run.** Pick the context tokens' features out of the encoding of *all* tokens,
# `z_all[:, ctx_idx]`. Are they the same as `z_ctx`, the encoding of the context tokens alone?

# %%
picked = z_all[:, mask.ctx_idx]  # [B, Nc, D]
gap = (picked - z_ctx).abs().max().item()
print(f"max |z_all[:, ctx_idx] - z_ctx| = {gap:.3f}")
assert gap > 1e-3  # not the same: attention mixes in every token it is given, hidden ones included

# %% [markdown]
# The same weights encode 64 tokens or only the context's; the output has one feature per
# token it was given. (A unit test checks that this equals encoding all tokens with attention
# restricted to the context, then selecting.)
#
# ## 3. What does attention look at?
#
# Below, the attention of one query token in a **randomly initialised** encoder. Pick layer,
# head and query token.

# %%
attention = widgets.attention_explorer(encoder, images)
attention

# %% [markdown]
# **What to try**
# 1. Move the *query token* around: at random init the heat map is nearly flat — entropy in the
#    title is close to the uniform value. Nothing has been learned yet.
# 2. Change *layer* and *head*: all look alike. Compare after training in notebook 04.
# 3. Look at the matrix on the right: faint diagonal stripes come from the sin-cos positions,
#    the only structure a random encoder has.

# %%
maps = encoder.attention_maps(images[:2])  # [depth, B, heads, N, N]
uniform = np.log(encoder.num_patches)
entropy = -(maps * maps.clamp_min(1e-12).log()).sum(-1).mean().item()
print(f"mean attention entropy {entropy:.2f} vs uniform {uniform:.2f}")
assert torch.allclose(maps.sum(-1), torch.ones(()), atol=1e-4) and entropy > 0.9 * uniform

# %% [markdown]
# Random attention is close to uniform (entropy above 90% of the maximum): structure in
# attention maps is something training must create.
#
# ## 4. How cost grows with the token count
#
# We count the operations of one forward+backward of a block stack at growing `N`, and,
# separately, of the attention operation alone; the gap between them is the linear part
# (projections and MLP). Counts are the same on every machine; the times printed beside them
# are yours, and a busy laptop makes them wobble.

# %%
size = vit.SIZES[preset.cost_size]
blocks = nn.Sequential(*[vit.Block(size.embed_dim, size.num_heads) for _ in range(size.depth)])
sdpa_only, whole, seconds = [], [], []
for n in preset.cost_tokens:
    tokens_in = torch.randn(preset.batch, n, size.embed_dim, requires_grad=True)
    q = torch.randn(preset.batch, size.num_heads, n, size.embed_dim // size.num_heads, requires_grad=True)
    step = lambda t=tokens_in: blocks(t).square().mean().backward()  # noqa: E731
    whole.append(runtime.count_flops(step))
    sdpa_only.append(size.depth * runtime.count_flops(
        lambda q=q: F.scaled_dot_product_attention(q, q, q).square().mean().backward()))
    seconds.append(runtime.time_call(step, repeats=preset.repeats))
share = [a / w for a, w in zip(sdpa_only, whole, strict=True)]
for n, w, s, t in zip(preset.cost_tokens, whole, share, seconds, strict=True):
    print(f"N = {n:>5}: {w / 1e9:8.2f} GFLOP per batch, attention {s:.0%} of them ({t * 1e3:.1f} ms here)")
fig, ax = plt.subplots(figsize=(5, 3.5))
plots.plot_scaling(preset.cost_tokens, seconds, ax=ax)
ax.loglog(preset.cost_tokens, np.array(seconds) * np.array(share) * 1e3, "s-", label="attention's share of the time")
ax.legend()
assert all(a < b for a, b in zip(share, share[1:], strict=False)), "attention's share of the work grows with N"

# %% [markdown]
# At small `N` the linear parts dominate and time grows like `N`; as `N` grows, attention's
# share rises and the curve bends toward `N²`.
#
# ## 5. Encode only the visible tokens: cheaper than padding
#
# A masked-image model could keep all `N` tokens and mask attention (padding), or drop the
# hidden ones and encode only the context (I-JEPA). Same model, same images:

# %%
big = vit.build_encoder(preset.size, image_size=preset.image_size, patch_size=preset.patch_size)
ctx_idx = masks.sample_batch("random", big.grid, preset.batch * 4, generator, keep_ratio=0.25).ctx_idx
batch_images = make_shapes(preset.batch * 4, preset.image_size, seed=1)[0]
def all_tokens():
    big(batch_images).square().mean().backward()


def visible_only():
    big(batch_images, ctx_idx).square().mean().backward()


f_all, f_ctx = runtime.count_flops(all_tokens), runtime.count_flops(visible_only)
t_all = t_ctx = float("inf")
with runtime.num_threads(1):  # one thread, runs interleaved: as fair as timing gets on a shared machine
    for _ in range(preset.repeats):
        t_all = min(t_all, runtime.time_call(all_tokens, repeats=1))
        t_ctx = min(t_ctx, runtime.time_call(visible_only, repeats=1))
print(f"all {big.num_patches} tokens (what padding costs at best): {f_all / 1e9:.2f} GFLOP, {t_all * 1e3:.0f} ms here; "
      f"{ctx_idx.shape[1]} visible tokens only: {f_ctx / 1e9:.2f} GFLOP, {t_ctx * 1e3:.0f} ms here -> "
      f"{f_all / f_ctx:.1f}x fewer operations, {t_all / t_ctx:.1f}x faster")
assert f_all / f_ctx > 3.5  # a quarter of the tokens: at least 4x less work in every linear layer, 16x in attention

# %% [markdown]
# Keeping a quarter of the tokens cuts the encoder's work about 4× even at 64 tokens (counted above),
# where fixed costs and the linear layers dominate. By arithmetic, the linear parts shrink 4× and
# attention 16×, so the gain grows as attention takes over (section 4). Padding would cost at
# least as much as encoding all tokens.
#
# ## 6. Positions: sin-cos vs RoPE beyond the training range
#
# Sin-cos tables *add* an absolute position to each token. RoPE instead *rotates* queries and
# keys by angles proportional to position, so `q_i · k_j` depends only on the offset `i - j`.
# Test: the same tokens at positions `0..N-1` and shifted to `500..500+N-1` — positions no
# model trained on short sequences has seen.

# %%
torch.manual_seed(preset.seed)
block = vit.Block(64, 4).eval()
seq = torch.randn(1, 16, 64)
near, far = torch.arange(16), torch.arange(500, 516)
with torch.no_grad():
    sincos_change = (block(seq + posembed.sincos_1d(far, 64)) - block(seq + posembed.sincos_1d(near, 64))).abs().max()
    rope_change = (block(seq, posembed.rope_angles(far, 16)[None]) - block(seq, posembed.rope_angles(near, 16)[None])).abs().max()
print(f"output change after shifting every position by 500: sin-cos {sincos_change:.3f}, RoPE {rope_change:.1e}")
assert rope_change < 1e-4 < sincos_change

# %% [markdown]
# **Predict, then run.** The same block with *no* positions at all: shuffle the order of its 16 input
# tokens. Do the outputs change, or only their order?

# %%
perm = torch.randperm(16, generator=generator)
with torch.no_grad():
    out, out_shuffled = block(seq), block(seq[:, perm])
print(f"max |block(shuffled) - shuffled(block)| = {(out_shuffled - out[:, perm]).abs().max():.1e}")
assert torch.allclose(out_shuffled, out[:, perm], atol=1e-5)  # only the order: without positions, order is invisible

# %% [markdown]
# With RoPE the shifted sequence gives the *same* output: only relative positions matter, so
# sequences longer than those seen in training reuse offsets the model knows. With sin-cos the
# output changes: the model would meet absolute positions it never saw. Whether this helps a
# trained video model is measured in notebook 05.
#
# ## Summary
# - Attention = softmax(q·k/√d)·v per head; ours equals PyTorch's fused and module versions.
# - The encoder takes token indices and returns one feature per given token (no CLS).
# - Cost grows toward `N²` as attention's share rises; encoding only a quarter of the tokens is
#   several times faster than encoding them all.
# - RoPE makes attention depend on offsets only (shift-invariant); sin-cos does not.
# - `python -m jepa_lab.bench encoder` times our blocks against `nn.TransformerEncoderLayer`
#   stacks with copied weights (figures in the README).
#
# ## Exercises
# 1. Write `my_attention(q, k, v)` for `[B, heads, N, d]` tensors, without `F.scaled_dot_product_attention`.
# 2. Write `my_rope(x, angles)`: rotate consecutive pairs `(x[2i], x[2i+1])` of `x [N, d]` by
#    `angles [N, d/2]`.
#
# Each check prints one line: `[not done yet]` until you replace the stub, then `[correct]`, or
# `[wrong]` / `[error]` with the first mismatch. Stuck? `checks.hint("attention")` gives a nudge,
# `checks.hint("attention", 2)` the idea, `checks.hint("attention", 3)` the answer, and
# `checks.solution("attention")` prints the reference code (the same with `"apply_rope"`).

# %%
def my_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError  # your code here


checks.check_attention(my_attention)


# %%
def my_rope(x: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError  # your code here


checks.check_apply_rope(my_rope)

# %% [markdown]
# ## Going further
# - Add a CLS token to `vit.Encoder` and compare its feature with mean pooling after training
#   (notebook 04).
# - Try `torch.compile(encoder)` and, with a GPU, `python -m jepa_lab.bench encoder --device cuda --bf16 --compile`.
# - Read how V-JEPA 2 splits the head dimension between time, height and width in its 3-D RoPE,
#   then look at `posembed.rope_angles` with 3 axes.
#
# ## References
# - Vaswani et al., *Attention Is All You Need*, NeurIPS 2017.
# - Dosovitskiy et al., *An Image is Worth 16x16 Words*, ICLR 2021.
# - Su et al., *RoFormer: Enhanced Transformer with Rotary Position Embedding*, 2021.
# - Assran et al., *V-JEPA 2*, 2025 — 3-D axial RoPE.
#
# **Next:** [04 · Train I-JEPA](04_train_ijepa.ipynb) — predict the features of hidden blocks from the context.
