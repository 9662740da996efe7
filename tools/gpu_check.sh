#!/usr/bin/env bash
# The GPU path, end to end, on a CUDA machine: benchmarks (fp32, bf16 autocast, bf16 + torch.compile)
# and full-preset training runs with probes. Logs and checkpoints go to $1 (default build/gpu).
#   bash tools/gpu_check.sh [OUT_DIR] [bench|train-ijepa|train-vjepa|train-pendulum|all]
# The figures in the README's "On a GPU" section come from this script (see its header for the machine).
set -euo pipefail
out=${1:-build/gpu}
what=${2:-all}
py=${PYTHON:-python3}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 TQDM_MININTERVAL=20
$py - <<'PY' | tee "$out/device.txt"
import torch
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name()}")
PY
if [[ $what == bench || $what == all ]]; then
  {
    for flags in "" "--bf16" "--bf16 --compile"; do
      $py -m jepa_lab.bench encoder --device cuda --size small --batch 128 $flags
      $py -m jepa_lab.bench ijepa --mode full --device cuda --repeats 10 $flags
      $py -m jepa_lab.bench vjepa --mode full --device cuda --repeats 10 $flags
    done
  } 2>&1 | tee "$out/bench.txt"
fi
for task in ijepa vjepa pendulum; do
  if [[ $what == "train-$task" || $what == all ]]; then
    $py -m jepa_lab.train "$task" --mode full --compile --probe --out "$out/${task}_full.pt" 2>&1 | tee "$out/train_$task.txt"
  fi
done
