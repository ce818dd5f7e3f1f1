"""Part 2: from scratch versus built in — forward plus backward time of recurrent layers.

Per framework, layer kind and size, five variants compute a forward pass over a batch of
sequences and the gradients of the outputs' sum with respect to the layer's weights:

* ``builtin``: ``torch.nn.RNN/LSTM/GRU`` or ``keras.layers.SimpleRNN/LSTM/GRU``;
* ``scratch``: the solution notebook's own layer (its Python loop over time steps);
* ``hoisted``: the same cell formula with the input projection ``x @ W + b`` computed for
  all time steps in one matrix product before the loop;
* ``compiled``: the per-step formula with the loop compiled (TorchScript; ``tf.function``);
* ``hoisted+compiled``: both speed-ups.

The optimised variants use the solution cell's own weights, and the harness checks that
their outputs equal the solution layer's before it times them. Each framework runs in its
own interpreter (``python -m benchmarks.layers``), so the two never share CPU thread pools.
Timing: warm-up calls first, then repeated rounds that call every variant once each, so a
change in background load hits all variants alike; the median per variant is reported,
with ratios to ``builtin`` from the same rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from rnncourse.speed import time_calls

VARIANTS: tuple[str, ...] = ("builtin", "scratch", "hoisted", "compiled", "hoisted+compiled")
KINDS: tuple[str, ...] = ("rnn", "lstm", "gru")
FRAMEWORKS: dict[str, str] = {"pytorch": "torch", "tensorflow": "tensorflow"}  # name: module


@dataclass(frozen=True)
class Settings:
    """Sizes and repeats of one run."""

    batch: int
    steps: tuple[int, ...]
    hidden: tuple[int, ...]
    input_size: int
    warmup: int
    repeats: int


# Input 64 is the lessons' embedding size; batch 64 their batch size.
FULL = Settings(batch=64, steps=(50, 200), hidden=(128, 512), input_size=64, warmup=3, repeats=5)
# Not hidden 8: torch 2.13's oneDNN LSTM takes a quarter of a second per call at that size.
QUICK = Settings(batch=4, steps=(5,), hidden=(16,), input_size=8, warmup=1, repeats=2)
#: The issue's target: on a CPU, the optimised scratch LSTM within 2x of the built-in one here.
TARGET = {"kind": "lstm", "batch": 64, "steps": 200, "hidden": 128, "ratio": 2.0}


def _worker_module(framework: str):
    if framework == "pytorch":
        from benchmarks import layers_torch as module
    else:
        from benchmarks import layers_tf as module
    return module


def measure_framework(root: Path, framework: str, settings: Settings,
                      deadline: float | None = None) -> dict:
    """Every kind, size and variant in one framework, in this process (the worker's job)."""
    from benchmarks.solutions import load_exercise

    module = _worker_module(framework)
    device = module.setup()
    exercises = {kind: load_exercise(root, framework, kind) for kind in KINDS}
    rows, skipped = [], []
    for steps in settings.steps:
        for hidden in settings.hidden:
            for kind in KINDS:
                size = {"kind": kind, "batch": settings.batch, "steps": steps,
                        "hidden": hidden, "input": settings.input_size}
                if deadline is not None and time.time() > deadline:
                    skipped.append(size)
                    continue
                forwards, steps_ = module.variants(exercises[kind], settings.batch, steps,
                                                   settings.input_size, hidden)
                differences = module.differences(forwards)
                timings = {name: asdict(timing) for name, timing in
                           time_calls(steps_, settings.warmup, settings.repeats).items()}
                builtin = timings["builtin"]["seconds"]
                for variant, timing in timings.items():
                    rows.append({"framework": framework, **size, "variant": variant, **timing,
                                 "ratio_to_builtin": timing["seconds"] / builtin,
                                 "max_difference": differences.get(variant)})
                shown = ", ".join(f"{v} {timings[v]['seconds'] / builtin:.2f}x"
                                  for v in VARIANTS[1:])
                print(f"layers/{framework}: {kind} steps {steps} hidden {hidden}: "
                      f"builtin {builtin * 1000:.1f} ms, {shown}", flush=True)
    return {"framework": framework, "status": "measured", "device": device,
            "version": module.version(), "settings": asdict(settings),
            "sources": {kind: e.source for kind, e in exercises.items()},
            "notes": module.NOTES, "rows": rows, "skipped": skipped}


def run(root: Path, *, quick: bool, deadline: float | None,
        log: Callable[[str], None] = print) -> dict:
    """Part 2 for every framework, each in a fresh interpreter. Returns the part's results."""
    import importlib.util

    settings = QUICK if quick else FULL
    results, problems = [], []
    for framework, module in FRAMEWORKS.items():
        if importlib.util.find_spec(module) is None:
            results.append({"framework": framework, "status": "not measured",
                            "reason": f"{module} is not installed"})
            continue
        with tempfile.TemporaryDirectory(prefix="rnncourse-bench-") as tmp:
            target = Path(tmp) / "layers.json"
            command = [sys.executable, "-m", "benchmarks.layers", "--framework", framework,
                       "--result", str(target)] + (["--quick"] if quick else [])
            if deadline is not None:
                command += ["--deadline", str(deadline)]
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg"}
            # stdout (one line per size) goes straight to the user; stderr is kept for errors.
            done = subprocess.run(command, cwd=root, env=env, stderr=subprocess.PIPE,
                                  text=True)
            if done.returncode != 0 or not target.is_file():
                tail = [line for line in done.stderr.strip().splitlines() if line.strip()]
                reason = tail[-1] if tail else f"exit status {done.returncode}"
                log(f"layers/{framework} failed: {reason}")
                problems.append(f"layers ({framework}) failed: {reason}")
                results.append({"framework": framework, "status": "failed", "reason": reason})
                continue
            results.append(json.loads(target.read_text()))
    return {"settings": asdict(settings), "target": TARGET, "frameworks": results,
            "problems": problems}


def main(argv: list[str] | None = None) -> int:
    """The worker: measure one framework and write its results as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.layers")
    parser.add_argument("--framework", choices=sorted(FRAMEWORKS), required=True)
    parser.add_argument("--result", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, two repeats")
    parser.add_argument("--deadline", type=float, help="skip sizes that start after this "
                        "time (seconds since the epoch)")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    results = measure_framework(root, args.framework, QUICK if args.quick else FULL,
                                args.deadline)
    args.result.write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
