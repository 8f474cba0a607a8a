#!/usr/bin/env bash
# GPU check: one call of at most 8 minutes on a machine with one CUDA GPU (its own Python,
# torch and numpy). It
#   1. prints the stack and installs this project on it (scripts/install.sh keeps the
#      machine's torch),
#   2. runs the CUDA tests,
#   3. generates a reduced paper-profile Teapot (train: $EPISODES episodes; eval: 1,000 with
#      the paper's hard negatives and traversals),
#   4. trains the Teapot rows (sen, none, hvae) at the paper's widths and batch size for
#      $EPOCHS epochs, all three at once on the one GPU, then evaluates them,
#   5. prints transitions/s per run, the GPU's peak memory while they trained, and the
#      training benchmark at the paper widths (3 runs of each model side by side).
# Everything it writes goes under $OUT (default: gpu-check/), which comes back to the caller.
#
#   bash benchmark/gpu_check.sh                     # on the GPU machine
#   DEVICE=cpu EPISODES=64 EPOCHS=1 EVAL_EPISODES=16 BENCH_STEPS=1 bash benchmark/gpu_check.sh
#                                                   # a CPU dry run of every step (minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-check}
DEVICE=${DEVICE:-cuda}
EPISODES=${EPISODES:-20000}
EVAL_EPISODES=${EVAL_EPISODES:-1000}
EPOCHS=${EPOCHS:-2}
BENCH_STEPS=${BENCH_STEPS:-10}
WORKERS=${WORKERS:-$(nproc)}
mkdir -p "$OUT/data"
export MUJOCO_GL=${MUJOCO_GL:-egl}
t0=$(date +%s)
stamp() { echo "== $(( $(date +%s) - t0 )) s: $*"; }

stamp "stack"
python -c "import sys, platform; print('python', sys.version.split()[0], platform.machine())"
python -c "import torch, numpy; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'numpy', numpy.__version__); print('devices', [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())])" || true
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true

stamp "install (bash scripts/install.sh)"
bash scripts/install.sh

stamp "CUDA tests"
python -m pytest -q -k "cuda" tests/ 2>&1 | tail -3

stamp "reduced paper-profile Teapot data"
senbench generate --env teapot --split train --episodes "$EPISODES" --steps 1 --seed 31 \
    --actions large --workers "$WORKERS" --out "$OUT/data/train.h5" --force --quiet
senbench generate --env teapot --split eval --episodes "$EVAL_EPISODES" --steps 1 --seed 32 \
    --actions large --set hard_negatives=10 --set 'hard_negative_turns=[120, 60, 30, 15]' \
    --set traversals=30 --workers "$WORKERS" --out "$OUT/data/eval.h5" --force --quiet

stamp "train sen, none, hvae at the paper profile, $EPOCHS epoch(s), side by side on $DEVICE"
python - "$OUT/params.yaml" "$EPOCHS" <<'EOF'
import sys, yaml
params = yaml.safe_load(open("params.yaml"))
params["paper"]["train"]["teapot"]["epochs"] = int(sys.argv[2])
params["paper"]["train"]["teapot"]["val_episodes"] = 0
yaml.safe_dump(params, open(sys.argv[1], "w"), sort_keys=False)
EOF
SAMPLER=""
if [[ "$DEVICE" == cuda* ]] && command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv,noheader,nounits -lms 500 \
        > "$OUT/gpu_samples.csv" &
    SAMPLER=$!
fi
pids=()
for method in sen none hvae; do
    senbench train --env teapot --method "$method" --data "$OUT/data/train.h5" --seed 0 \
        --profile paper --params "$OUT/params.yaml" --device "$DEVICE" \
        --out "$OUT/runs/$method" --quiet > "$OUT/train-$method.log" 2>&1 &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[[ -n "$SAMPLER" ]] && kill "$SAMPLER" 2>/dev/null || true
if [[ $status != 0 ]]; then tail -n 5 "$OUT"/train-*.log; exit 1; fi
python - "$OUT" <<'EOF'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
for method in ("sen", "none", "hvae"):
    hist = json.loads((out / "runs" / method / "train.json").read_text())["history"]
    rates = ", ".join(f"{h['transitions_per_s']:.0f}" for h in hist)
    print(f"teapot {method:5s}: transitions/s per epoch {rates} (3 runs sharing the device)")
samples = out / "gpu_samples.csv"
if samples.is_file() and samples.read_text().strip():
    rows = [list(map(float, r.split(","))) for r in samples.read_text().split("\n") if r.strip()]
    print(f"GPU memory used, peak over the 3 runs: {max(r[0] for r in rows):.0f} MiB; "
          f"utilisation: mean {sum(r[1] for r in rows) / len(rows):.0f}%")
EOF

stamp "evaluate"
for method in sen none hvae; do
    senbench evaluate --run "$OUT/runs/$method" --data "$OUT/data/eval.h5" --device "$DEVICE" \
        --out "$OUT/metrics/$method.json" --quiet
done
python - "$OUT" <<'EOF'
import json, sys, pathlib
for path in sorted(pathlib.Path(sys.argv[1], "metrics").glob("*.json")):
    m = json.loads(path.read_text())["metrics"]
    keys = [k for k in ("hits@1_1step", "hh@1_1step_turn30", "th@1_yaw", "ee_s") if k in m]
    print(path.stem, {k: round(m[k], 3) for k in keys})
EOF

stamp "training benchmark, paper widths, 3 runs of each model at once"
python -m benchmark.bench_training --device "$DEVICE" --profile paper \
    --pairs teapot:sen,teapot:none,teapot:hvae --side-by-side 3 --steps "$BENCH_STEPS" \
    --json "$OUT/bench_training.json"
stamp "done"
