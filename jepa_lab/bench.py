"""Benchmarks with a reference measured in the same run: ``python -m jepa_lab.bench NAME``.

- ``masks``: sampling + collating I-JEPA multi-block masks on a 14x14 grid, our vectorised
  sampler against drawing the same masks one at a time (the reference collator's approach).
- ``encoder``: forward+backward tokens/s of our ViT blocks against a stack of
  ``nn.TransformerEncoderLayer(norm_first=True, batch_first=True)`` with the same width, depth
  and heads and the same weights (and timm's ``VisionTransformer`` blocks if timm is installed),
  at two token counts. ``--device cuda --bf16 --compile`` checks the GPU path.
- ``vjepa``: one V-JEPA training step on the notebook-05 preset's clips (T frames, tubelets of 2)
  against the same step on single frames (same encoder width and depth, same predictor, the same
  share of tokens in context): the clip has T/2 times the tokens, so the target is a ratio <= T/2.
- ``ijepa``: training images/s of one I-JEPA step (EMA target on all tokens, context encoder on
  the context only, predictor per target block, backward, EMA update) next to the same encoder's
  forward+backward on all tokens, for the notebook-04 preset of ``--mode``.

Reports the thread count and machine load, since both change the figures.

Introduced in notebook 02.
"""

from __future__ import annotations

import argparse
import os
import sys

import torch
from torch import nn

from jepa_lab import masks, runtime, vit


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
    ours.apply(vit._init)
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


def _step_time(model, x, ctx_idx, tgt_idx, repeats: int, bf16: bool = False, compile: bool = False) -> float:
    """Seconds per full JEPA training step (loss, backward, AdamW, EMA update) on one fixed batch, as
    ``train.fit`` runs it (``bf16``: autocast on CUDA; ``compile``: ``torch.compile`` of the forward)."""
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    net = torch.compile(model) if compile else model

    def step():
        with runtime.autocast(x.device, enabled=bf16):
            loss = net(x, ctx_idx, tgt_idx)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        model.ema_update(0.996)

    return runtime.time_call(step, repeats=repeats, warmup=3 if compile else 1)


def bench_ijepa(mode: str = "cpu", repeats: int = 3, device: str = "cpu", bf16: bool = False,
                compile: bool = False) -> dict[str, float]:
    """Seconds per batch: a full I-JEPA training step vs the encoder's forward+backward on all tokens."""
    from jepa_lab import config, train

    preset = config.for_notebook("04", mode=mode)
    model, batch_fn, cfg = train.ijepa_task(preset)
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


def bench_vjepa(mode: str = "cpu", repeats: int = 3, device: str = "cpu", bf16: bool = False,
                compile: bool = False) -> dict[str, float]:
    """Seconds per batch: a V-JEPA step on clips vs the same model's image twin on one frame per clip."""
    from jepa_lab import config, jepa
    from jepa_lab.datasets.video import make_moving_shapes

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=["masks", "encoder", "ijepa", "vjepa"])
    parser.add_argument("--mode", default="cpu", choices=["fast", "cpu", "full"], help="preset (ijepa, vjepa)")
    parser.add_argument("--size", default="tiny", choices=list(vit.SIZES), help="encoder size (encoder)")
    parser.add_argument("--batch", type=int, default=32, help="batch size (encoder)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (encoder, ijepa, vjepa)")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast (CUDA only)")
    parser.add_argument("--compile", action="store_true", help="torch.compile every model")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats, the best kept (ijepa, vjepa)")
    parser.add_argument("-n", type=int, default=4096, help="masks per run (masks)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with runtime.num_threads(args.threads):
        print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, load {load:.2f}, device {args.device}"
              + (f" ({torch.cuda.get_device_name()})" if args.device.startswith("cuda") else "")
              + f", bf16 {args.bf16}, compile {args.compile}")
        if args.name == "masks":
            r = bench_masks(args.n)
            print(f"{args.n} I-JEPA masks on 14x14, sampled + collated:")
            print(f"  batched (jepa_lab.masks.sample_batch): {r['batched_s']:.3f} s")
            print(f"  one at a time + collate (reference):  {r['one_at_a_time_s']:.3f} s")
            print(f"  ratio reference / ours: {r['speedup']:.1f}x")
        elif args.name == "vjepa":
            r = bench_vjepa(args.mode, device=args.device, bf16=args.bf16, compile=args.compile,
                            repeats=args.repeats)
            b, half = r["batch"], r["frames"] // r["tubelet"]
            print(f"notebook-05 '{args.mode}' preset, batch {b}, clips of {r['frames']} frames "
                  f"({r['tokens']} tokens) vs one frame ({r['frame_tokens']} tokens), same model width:")
            print(f"  V-JEPA training step on clips: {b / r['vjepa_s']:.0f} clips/s")
            print(f"  the same step on one frame (reference): {b / r['frame_s']:.0f} frames/s")
            ratio = r["vjepa_s"] / r["frame_s"]
            print(f"  ratio clip step / frame step: {ratio:.2f} (target <= T/2 = {half}): "
                  + ("within" if ratio <= half else "OVER") + " the target")
        elif args.name == "ijepa":
            r = bench_ijepa(args.mode, device=args.device, bf16=args.bf16, compile=args.compile,
                            repeats=args.repeats)
            b = r["batch"]
            print(f"notebook-04 '{args.mode}' preset, batch {b}, "
                  f"{r['context_tokens']} of {r['tokens']} tokens in context:")
            print(f"  I-JEPA training step: {b / r['ijepa_s']:.0f} images/s")
            print(f"  encoder forward+backward on all tokens (reference): {b / r['encoder_s']:.0f} images/s")
            print(f"  ratio I-JEPA step time / encoder time: {r['ijepa_s'] / r['encoder_s']:.2f}")
        else:
            s = vit.SIZES[args.size]
            print(f"ViT-{args.size} blocks (D={s.embed_dim}, depth={s.depth}, heads={s.num_heads}), "
                  f"batch {args.batch}, forward+backward, device {args.device}, "
                  f"bf16 {args.bf16}, compile {args.compile}")
            peak = matmul_peak(args.device, args.bf16)
            print(f"  matmul peak measured now: {peak / 1e12:.3f} TFLOP/s")
            for row in bench_encoder(size=args.size, batch=args.batch, device=args.device, bf16=args.bf16,
                                     compile=args.compile):
                ours = row["jepa_lab"]
                achieved = args.batch * block_flops(row["tokens"], s.embed_dim, s.depth) / ours
                refs = ", ".join(f"{k} {args.batch / v:.0f}/s (ratio {v / ours:.2f})"
                                 for k, v in row.items() if k not in ("tokens", "jepa_lab"))
                print(f"  N={row['tokens']:>4}: jepa_lab {args.batch / ours:.0f} images/s "
                      f"({achieved / 1e12:.3f} TFLOP/s, {achieved / peak:.0%} of the matmul peak); {refs}")
            print("  ratio = reference time / our time (>= 1.0: ours is at least as fast)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
