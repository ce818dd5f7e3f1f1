#!/usr/bin/env bash
# The GPU run of issue 7, in one command, on a machine with a CUDA GPU and the course
# installed (./course lab or the conda environment-gpu.yml; this script installs nothing):
#
#   benchmarks/gpu.sh [more harness options, e.g. --out /tmp/gpu-results]
#
# It checks that PyTorch and TensorFlow both see the GPU, then runs the harness: every
# solution notebook at its default settings (each must train on the GPU), the layer
# benchmark, the data part and nbgrader autograding, and prints the results table last.
# Sized to finish within 8 minutes: no notebook, layer size or autograde starts after
# BUDGET seconds (default 390); whatever that leaves out is listed as skipped, and a
# skipped lesson counts as a problem (exit status 1).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${PYTHON:-}" ]; then
    py="$PYTHON"
elif [ -x .venv/bin/python ]; then
    py=.venv/bin/python
else
    py=python3
fi
die() { echo "gpu.sh: $*" >&2; exit 2; }

"$py" -c 'import benchmarks, rnncourse' 2>/dev/null \
    || die "$py cannot import rnncourse: install the course first (./course lab) or set PYTHON."
"$py" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' 2>/dev/null \
    || die "PyTorch sees no CUDA GPU (a CPU build, or no driver); this script is for GPU machines."
TF_CPP_MIN_LOG_LEVEL=3 "$py" -c \
    'import sys, tensorflow as tf; sys.exit(not tf.config.list_physical_devices("GPU"))' \
    2>/dev/null \
    || die "TensorFlow sees no GPU: install tensorflow[and-cuda] (the gpu extra) for every lesson to use it."

exec "$py" -m benchmarks --parts lessons,layers,data,grading --budget "${BUDGET:-390}" "$@"
