"""Throughput benchmarks, each against a reference measured in the same run (see ``jepa_lab.bench``)."""

from __future__ import annotations

import torch
from torch import nn

from jepa_lab import config, jepa, masks, runtime, tasks, vit
from jepa_lab.datasets.video import make_moving_shapes


def bench_masks(n: int = 4096, grid: tuple[int, int] = (14, 14), repeats: int = 3) -> dict[str, float]:
    """Seconds to make ``n`` collated multi-block masks: batched vs one at a time."""
    g = torch.Generator().manual_seed(0)

    def batched():
        masks.sample_batch("multiblock", grid, n, g)

    def one_at_a_time():
        masks.collate_samples([masks.sample_multiblock(grid, g) for _ in range(n)], g)

    ours = runtime.time_call(batched, repeats=repeats)
    ref = runtime.time_call(one_at_a_time, repeats=1, warmup=0)
    return {"batched_s": ours, "one_at_a_time_s": ref, "speedup": ref / ours}


def reference_stack(blocks: nn.ModuleList, num_heads: int) -> nn.Sequential:
    """``nn.TransformerEncoderLayer`` stack computing exactly what our pre-norm ``blocks`` compute."""
    layers = []
    for blk in blocks:
        d = blk.norm1.normalized_shape[0]
        ref = nn.TransformerEncoderLayer(d, num_heads, dim_feedforward=blk.mlp[0].out_features, dropout=0.0,
                                         activation="gelu", batch_first=True, norm_first=True, layer_norm_eps=1e-6)
        with torch.no_grad():
            ref.self_attn.in_proj_weight.copy_(blk.attn.qkv.weight)
            ref.self_attn.in_proj_bias.copy_(blk.attn.qkv.bias)
            ref.self_attn.out_proj.weight.copy_(blk.attn.proj.weight)
            ref.self_attn.out_proj.bias.copy_(blk.attn.proj.bias)
            for ours, theirs in ((blk.norm1, ref.norm1), (blk.norm2, ref.norm2),
                                 (blk.mlp[0], ref.linear1), (blk.mlp[2], ref.linear2)):
                theirs.weight.copy_(ours.weight)
                theirs.bias.copy_(ours.bias)
        layers.append(ref)
    return nn.Sequential(*layers)


def _timm_stack(dim: int, depth: int, heads: int):
    try:
        from timm.models.vision_transformer import Block as TimmBlock
    except ImportError:
        return None
    return nn.Sequential(*[TimmBlock(dim, heads, mlp_ratio=4.0, qkv_bias=True) for _ in range(depth)])


def block_flops(n: int, d: int, depth: int, mlp_ratio: float = 4.0) -> float:
    """Forward+backward FLOPs of ``depth`` pre-norm blocks on one sequence of ``n`` tokens of width ``d``
    (matmuls only; backward counted as twice the forward)."""
    forward = depth * (2 * n * d * d * (4 + 2 * mlp_ratio) + 4 * n * n * d)
    return 3.0 * forward


def matmul_peak(device: str = "cpu", bf16: bool = False, size: int = 2048) -> float:
    """Achieved FLOP/s of one square matmul in the same dtype: the ceiling to compare against."""
    dev = torch.device(device)
    dtype = torch.bfloat16 if bf16 and dev.type == "cuda" else torch.float32
    a = torch.randn(size, size, device=dev, dtype=dtype)
    seconds = runtime.time_call(lambda: a @ a, repeats=3)
    return 2 * size**3 / seconds


def bench_encoder(tokens: tuple[int, ...] = (64, 256), size: str = "tiny", batch: int = 32, repeats: int = 3,
                  device: str = "cpu", bf16: bool = False, compile: bool = False) -> list[dict]:
    """Forward+backward seconds per batch of our blocks vs the references, per token count."""
    s = vit.SIZES[size]
    dev = torch.device(device)
    ours = nn.ModuleList(vit.Block(s.embed_dim, s.num_heads) for _ in range(s.depth)).to(dev)
    ours.apply(vit.init_weights)
    models = {"jepa_lab": nn.Sequential(*ours),
              "nn.TransformerEncoderLayer": reference_stack(ours, s.num_heads).to(dev)}
    timm = _timm_stack(s.embed_dim, s.depth, s.num_heads)
    if timm is not None:
        models["timm Block"] = timm.to(dev)
    if compile:
        models = {k: torch.compile(m) for k, m in models.items()}
    rows = []
    for n in tokens:
        x = torch.randn(batch, n, s.embed_dim, device=dev)
        row = {"tokens": n}
        for name, m in models.items():
            def step(m=m, x=x):
                with runtime.autocast(dev, enabled=bf16):
                    m(x).float().square().mean().backward()
            row[name] = runtime.time_call(step, repeats=repeats, warmup=2 if compile else 1)
        rows.append(row)
    return rows


def _train_step(model, x, ctx_idx, tgt_idx, bf16: bool = False, compile: bool = False):
    """One full training step (loss, backward, AdamW, and the EMA update of a model that has one) on one
    fixed batch, as ``train.fit`` runs it (``bf16``: autocast on CUDA; ``compile``: ``torch.compile`` of the
    forward), as a function of no arguments."""
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    net = torch.compile(model) if compile else model

    def step():
        with runtime.autocast(x.device, enabled=bf16):
            loss = net(x, ctx_idx, tgt_idx)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if hasattr(model, "ema_update"):
            model.ema_update(0.996)

    return step


def _step_time(model, x, ctx_idx, tgt_idx, repeats: int, bf16: bool = False, compile: bool = False) -> float:
    """Seconds per full training step (``_train_step``) on one fixed batch, the best of ``repeats``."""
    step = _train_step(model, x, ctx_idx, tgt_idx, bf16=bf16, compile=compile)
    return runtime.time_call(step, repeats=repeats, warmup=3 if compile else 1)


def bench_ijepa(mode: str = "cpu", repeats: int = 3, device: str = "cpu", bf16: bool = False,
                compile: bool = False) -> dict[str, float]:
    """Seconds per batch: a full I-JEPA training step vs the encoder's forward+backward on all tokens."""
    preset = config.for_notebook("04", mode=mode)
    model, batch_fn, cfg = tasks.TASKS["ijepa"].build(preset)
    dev = torch.device(device)
    model.to(dev)
    x, ctx_idx, tgt_idx = batch_fn(0, torch.Generator().manual_seed(0))
    x, ctx_idx, tgt_idx = x.to(dev), ctx_idx.to(dev), [t.to(dev) for t in tgt_idx]

    encoder = torch.compile(model.context_encoder) if compile else model.context_encoder

    def encoder_all_tokens():
        with runtime.autocast(dev, enabled=bf16):
            out = encoder(x)
        out.float().square().mean().backward()

    step = _step_time(model, x, ctx_idx, tgt_idx, repeats, bf16=bf16, compile=compile)
    enc = runtime.time_call(encoder_all_tokens, repeats=repeats, warmup=3 if compile else 1)
    return {"batch": preset.batch_size, "ijepa_s": step, "encoder_s": enc,
            "context_tokens": ctx_idx.shape[1], "tokens": model.context_encoder.num_patches}


def bench_mae(mode: str = "cpu", repeats: int = 5, device: str = "cpu", bf16: bool = False,
              compile: bool = False) -> dict[str, float]:
    """Seconds per training step: MAE (``tasks.mae``: the same encoder, a decoder the size of I-JEPA's
    predictor, pixel targets) against I-JEPA, for the notebook-04 preset of ``mode``, on the same batch.

    The two steps are timed interleaved (I-JEPA then MAE, then MAE then I-JEPA, ...), so a change in the
    machine's load reaches both; each figure is the best of its ``repeats`` after one (compiled: three)
    warm-up steps."""
    preset = config.for_notebook("04", mode=mode)
    dev = torch.device(device)
    ijepa, batch_fn, _ = tasks.TASKS["ijepa"].build(preset)
    mae = tasks.TASKS["mae"].build(preset)[0]
    x, ctx_idx, tgt_idx = batch_fn(0, torch.Generator().manual_seed(0))  # one batch, both models
    x, ctx_idx, tgt_idx = x.to(dev), ctx_idx.to(dev), [t.to(dev) for t in tgt_idx]
    steps = {name: _train_step(model.to(dev), x, ctx_idx, tgt_idx, bf16=bf16, compile=compile)
             for name, model in (("ijepa", ijepa), ("mae", mae))}
    for step in steps.values():
        for _ in range(3 if compile else 1):
            step()
    best = dict.fromkeys(steps, float("inf"))
    for r in range(repeats):
        for name in (("ijepa", "mae") if r % 2 == 0 else ("mae", "ijepa")):
            with runtime.Timer() as t:  # synchronises CUDA on entry and exit
                steps[name]()
            best[name] = min(best[name], t.seconds)
    return {"batch": preset.batch_size, "ijepa_s": best["ijepa"], "mae_s": best["mae"],
            "ratio": best["mae"] / best["ijepa"], "context_tokens": ctx_idx.shape[1],
            "tokens": mae.context_encoder.num_patches, "targets": len(tgt_idx)}


def bench_vjepa(mode: str = "cpu", repeats: int = 3, device: str = "cpu", bf16: bool = False,
                compile: bool = False) -> dict[str, float]:
    """Seconds per batch: a V-JEPA step on clips vs the same model's image twin on one frame per clip."""
    p = config.for_notebook("05", mode=mode)
    dev = torch.device(device)
    g = torch.Generator().manual_seed(0)
    clips, _ = make_moving_shapes(p.batch_size, p.frames, p.image_size, seed=0)
    rows = {}
    for name, frames in (("vjepa", p.frames), ("frame", None)):
        torch.manual_seed(0)
        video = {"frames": frames, "tubelet": p.tubelet} if frames else {}
        enc = vit.Encoder(image_size=p.image_size, patch_size=p.patch_size, embed_dim=p.embed_dim, depth=p.depth,
                          num_heads=p.num_heads, pos=p.pos, **video)
        model = jepa.JEPA(encoder=enc, predictor_dim=p.predictor_dim, predictor_depth=p.predictor_depth,
                          predictor_heads=p.predictor_heads, loss="l1", var_weight=p.var_weight,
                          cov_weight=p.cov_weight).to(dev)
        if frames:
            mb = masks.sample_video_batch("tube", enc.grid, p.batch_size, g, keep_ratio=p.keep_ratio)
            x = clips
        else:
            mb = masks.sample_batch("random", enc.grid, p.batch_size, g, keep_ratio=p.keep_ratio)
            x = clips[:, :, 0]
        rows[name] = _step_time(model, x.to(dev), mb.ctx_idx.to(dev), [t.to(dev) for t in mb.tgt_idx], repeats,
                                bf16=bf16, compile=compile)
        rows[name + "_tokens"] = enc.num_patches
    return {"batch": p.batch_size, "frames": p.frames, "tubelet": p.tubelet, "vjepa_s": rows["vjepa"],
            "frame_s": rows["frame"], "tokens": rows["vjepa_tokens"], "frame_tokens": rows["frame_tokens"]}
