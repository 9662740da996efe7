"""Benchmarks with a reference measured in the same run: ``python -m jepa_lab.bench NAME``.

- ``masks``: sampling + collating I-JEPA multi-block masks on a 14x14 grid, our vectorised
  sampler against drawing the same masks one at a time (the reference collator's approach).

Reports the thread count and machine load, since both change the figures.

Introduced in notebook 02.
"""

from __future__ import annotations

import argparse
import os
import sys

import torch

from jepa_lab import masks, runtime


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=["masks"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("-n", type=int, default=4096, help="masks per run (masks)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with runtime.num_threads(args.threads):
        print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, load {load:.2f}")
        if args.name == "masks":
            r = bench_masks(args.n)
            print(f"{args.n} I-JEPA masks on 14x14, sampled + collated:")
            print(f"  batched (jepa_lab.masks.sample_batch): {r['batched_s']:.3f} s")
            print(f"  one at a time + collate (reference):  {r['one_at_a_time_s']:.3f} s")
            print(f"  ratio reference / ours: {r['speedup']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
