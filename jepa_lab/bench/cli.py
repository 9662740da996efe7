"""``python -m jepa_lab.bench NAME``: which benchmark, with what settings, printed with the machine's state."""

from __future__ import annotations

import argparse
import os

import torch

from jepa_lab import runtime, threads, vit
from jepa_lab.bench import busy, throughput


def busy_main(args: argparse.Namespace) -> int:
    """``python -m jepa_lab.bench busy``: the thread policies idle, beside a busy core and in a crowd."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    what = f"nbval on {args.notebook} (JEPA_LAB_MODE={os.environ.get('JEPA_LAB_MODE', 'unset')})" if args.notebook \
        else f"{args.steps} I-JEPA training steps, notebook-04 '{args.mode}' preset"
    print(f"torch {torch.__version__}, {threads.usable_cores()} usable cores, load {load:.2f} before the runs; "
          f"each timed run: {what}; best of {args.repeats} (idle, busy); busy = beside one spinning process; "
          f"crowd = {args.kernels} copies at once; 'stopped' = ran past {args.cap:g}x its idle time "
          f"(crowd: its fair share of the cores)")
    policies = tuple(args.policy or busy.POLICIES)
    results = busy.run(policies, mode=args.mode, steps=args.steps, notebook=args.notebook,
                       repeats=args.repeats, kernels=args.kernels, cap=args.cap,
                       scenarios=tuple(args.scenarios.split(",")))
    print(busy.report(results, args.kernels))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmarks with a reference measured in the same run.")
    parser.add_argument("name", choices=["masks", "encoder", "ijepa", "mae", "vjepa", "busy", "busy-worker"])
    parser.add_argument("--mode", default="cpu", choices=["fast", "cpu", "full"], help="preset (ijepa, mae, vjepa)")
    parser.add_argument("--size", default="tiny", choices=list(vit.SIZES), help="encoder size (encoder)")
    parser.add_argument("--batch", type=int, default=32, help="batch size (encoder)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (encoder, ijepa, mae, vjepa)")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast (CUDA only)")
    parser.add_argument("--compile", action="store_true", help="torch.compile every model")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats, the best kept (ijepa, mae, vjepa)")
    parser.add_argument("-n", type=int, default=4096, help="masks per run (masks)")
    parser.add_argument("--steps", type=int, default=60, help="training steps per timed run (busy)")
    parser.add_argument("--notebook", help="time this notebook under nbval instead of a training run (busy)")
    parser.add_argument("--kernels", type=int, default=4, help="copies run at once in the crowd scenario (busy)")
    parser.add_argument("--scenarios", default=",".join(busy.SCENARIOS), help="busy: which of idle,busy,crowd")
    parser.add_argument("--cap", type=float, default=8.0,
                        help="busy: stop a run past this many times its idle time (or its fair share in a crowd)")
    parser.add_argument("--policy", action="append", choices=list(busy.POLICIES),
                        help="only these thread policies (busy; repeatable, default all)")
    args = parser.parse_args(argv)
    if args.name == "busy-worker":
        busy.worker_main(args.mode, args.steps)
        return 0
    if args.name == "busy":
        return busy_main(args)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with runtime.num_threads(args.threads):
        print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, load {load:.2f}, device {args.device}"
              + (f" ({torch.cuda.get_device_name()})" if args.device.startswith("cuda") else "")
              + f", bf16 {args.bf16}, compile {args.compile}")
        if args.name == "masks":
            r = throughput.bench_masks(args.n)
            print(f"{args.n} I-JEPA masks on 14x14, sampled + collated:")
            print(f"  batched (jepa_lab.masks.sample_batch): {r['batched_s']:.3f} s")
            print(f"  one at a time + collate (reference):  {r['one_at_a_time_s']:.3f} s")
            print(f"  ratio reference / ours: {r['speedup']:.1f}x")
        elif args.name == "vjepa":
            r = throughput.bench_vjepa(args.mode, device=args.device, bf16=args.bf16, compile=args.compile,
                            repeats=args.repeats)
            b, half = r["batch"], r["frames"] // r["tubelet"]
            print(f"notebook-05 '{args.mode}' preset, batch {b}, clips of {r['frames']} frames "
                  f"({r['tokens']} tokens) vs one frame ({r['frame_tokens']} tokens), same model width:")
            print(f"  V-JEPA training step on clips: {b / r['vjepa_s']:.0f} clips/s")
            print(f"  the same step on one frame (reference): {b / r['frame_s']:.0f} frames/s")
            ratio = r["vjepa_s"] / r["frame_s"]
            print(f"  ratio clip step / frame step: {ratio:.2f} (target <= T/2 = {half}): "
                  + ("within" if ratio <= half else "OVER") + " the target")
        elif args.name == "mae":
            r = throughput.bench_mae(args.mode, device=args.device, bf16=args.bf16, compile=args.compile,
                                     repeats=args.repeats)
            print(f"notebook-04 '{args.mode}' preset, batch {r['batch']}, the same batch for both "
                  f"({r['context_tokens']} of {r['tokens']} tokens in context, {r['targets']} target blocks), "
                  f"steps timed interleaved, best of {args.repeats} each:")
            print(f"  I-JEPA training step (reference): {1e3 * r['ijepa_s']:.1f} ms/step")
            print(f"  MAE training step (same encoder, decoder sized as the predictor): "
                  f"{1e3 * r['mae_s']:.1f} ms/step")
            print(f"  ratio MAE step time / I-JEPA step time: {r['ratio']:.2f}")
        elif args.name == "ijepa":
            r = throughput.bench_ijepa(args.mode, device=args.device, bf16=args.bf16, compile=args.compile,
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
            peak = throughput.matmul_peak(args.device, args.bf16)
            print(f"  matmul peak measured now: {peak / 1e12:.3f} TFLOP/s")
            for row in throughput.bench_encoder(size=args.size, batch=args.batch, device=args.device, bf16=args.bf16,
                                     compile=args.compile):
                ours = row["jepa_lab"]
                achieved = args.batch * throughput.block_flops(row["tokens"], s.embed_dim, s.depth) / ours
                refs = ", ".join(f"{k} {args.batch / v:.0f}/s (ratio {v / ours:.2f})"
                                 for k, v in row.items() if k not in ("tokens", "jepa_lab"))
                print(f"  N={row['tokens']:>4}: jepa_lab {args.batch / ours:.0f} images/s "
                      f"({achieved / 1e12:.3f} TFLOP/s, {achieved / peak:.0%} of the matmul peak); {refs}")
            print("  ratio = reference time / our time (>= 1.0: ours is at least as fast)")
    return 0

