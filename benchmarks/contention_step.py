"""One lesson's training step, timed in a fresh process: ``python -m benchmarks.contention_step``.

Run by :mod:`benchmarks.contention` once per framework, lesson, thread setting and condition,
because thread pools are sized when a framework starts. Prints one JSON line: the median
seconds per step, every step's seconds and the threads the framework ended with.

The models are each lesson's AG News model at the lesson's sizes (batch 64, embeddings 64):
Lesson 1 the solution's own RNN layer (hidden 128, 48 tokens), Lesson 2 the built-in LSTM
(hidden 64, 64 tokens), Lesson 3 the 2-layer bidirectional LSTM (hidden 64, 64 tokens).
``--threads policy`` lets the course's thread policy choose (and, in PyTorch, adapt at every
step as :func:`rnncourse.pytorch.train` does); ``default`` leaves the frameworks' own; a
number fixes the framework's threads. ``--tokens`` changes the text length.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BATCH, EMBED, VOCAB, CLASSES = 64, 64, 20_000, 4
#: lesson -> (tokens per text, hidden size)
SIZES = {1: (48, 128), 2: (64, 64), 3: (64, 64)}
WARMUP = 3


def _torch_step(lesson: int, tokens: int, adapt: Callable[[], int]
                ) -> tuple[Callable[[], None], Callable]:
    import torch
    from torch import nn

    hidden = SIZES[lesson][1]
    if lesson == 1:
        from benchmarks.solutions import load_exercise

        recurrent = load_exercise(ROOT, "pytorch", "rnn").layer(EMBED, hidden)
        width = hidden
    else:
        recurrent = nn.LSTM(EMBED, hidden, batch_first=True, num_layers=lesson - 1,
                            bidirectional=lesson == 3)
        width = hidden * (2 if lesson == 3 else 1)
    embedding, output = nn.Embedding(VOCAB, EMBED, padding_idx=0), nn.Linear(width, CLASSES)
    modules = nn.ModuleList([embedding, recurrent, output])
    optimizer = torch.optim.Adam(modules.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(1, VOCAB, (BATCH, tokens), generator=generator)
    labels = torch.randint(0, CLASSES, (BATCH,), generator=generator)

    def step() -> None:
        adapt()
        outputs = recurrent(embedding(ids))[0]
        loss = nn.functional.cross_entropy(output(outputs[:, -1]), labels)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(modules.parameters(), 1.0)
        optimizer.step()
        loss.item()

    return step, torch.get_num_threads


def _tensorflow_step(lesson: int, tokens: int, adapt: Callable[[], int]
                     ) -> tuple[Callable[[], None], Callable]:
    import keras
    import tensorflow as tf

    hidden = SIZES[lesson][1]
    if lesson == 1:
        from benchmarks.solutions import load_exercise

        layer = load_exercise(ROOT, "tensorflow", "rnn").layer(EMBED, hidden)
        recurrent = [lambda x: layer(x)[0][:, -1]]
    elif lesson == 2:
        recurrent = [keras.layers.LSTM(hidden)]
    else:
        recurrent = [keras.layers.Bidirectional(keras.layers.LSTM(hidden, return_sequences=True)),
                     keras.layers.Bidirectional(keras.layers.LSTM(hidden))]
    embedding, output = keras.layers.Embedding(VOCAB, EMBED), keras.layers.Dense(CLASSES)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3, global_clipnorm=1.0)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    generator = tf.random.Generator.from_seed(0)
    ids = generator.uniform((BATCH, tokens), 1, VOCAB, dtype=tf.int64)
    labels = generator.uniform((BATCH,), 0, CLASSES, dtype=tf.int64)
    variables: list = []

    def forward() -> tf.Tensor:
        x = embedding(ids)
        for layer_call in recurrent:
            x = layer_call(x)
        return output(x)

    forward()  # creates the weights
    variables += embedding.trainable_variables + output.trainable_variables
    variables += [v for layer_call in recurrent for v in getattr(
        layer_call, "trainable_variables", [])]
    if lesson == 1:
        variables += layer.trainable_variables

    @tf.function
    def train_step() -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, forward())
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    def step() -> None:
        adapt()
        float(train_step())

    return step, lambda: tf.config.threading.get_intra_op_parallelism_threads()


def _fix_threads(framework: str, threads: int) -> None:
    if framework == "pytorch":
        import torch

        torch.set_num_threads(threads)
    else:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def measure(framework: str, lesson: int, threads: str, steps: int, seconds: float,
            tokens: int | None = None) -> dict:
    """Median seconds per step after :data:`WARMUP` steps; stops early after ``seconds``.

    ``threads`` is ``policy``, ``default`` or a number of threads; ``tokens`` overrides the
    lesson's text length.
    """
    adapt: Callable[[], int] = lambda: 0  # noqa: E731
    length = tokens or SIZES[lesson][0]
    if threads.isdigit():
        _fix_threads(framework, int(threads))
    if threads == "policy":  # as a lesson does: the course's module for its framework
        if framework == "pytorch":
            import rnncourse.pytorch  # noqa: F401
        else:
            import rnncourse.tensorflow  # noqa: F401  (gives TensorFlow the policy's threads)
        from rnncourse.threads import policy

        adapt = policy().adapt
    if framework == "pytorch":
        step, used = _torch_step(lesson, length, adapt)
    else:
        step, used = _tensorflow_step(lesson, length, adapt)
    for _ in range(WARMUP):
        step()
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(times) < steps and (not times or time.perf_counter() < deadline):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times), "times": times, "threads": used()}


def main() -> None:
    """Parse the arguments, time the step, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=("pytorch", "tensorflow"), required=True)
    parser.add_argument("--lesson", type=int, choices=sorted(SIZES), required=True)
    parser.add_argument("--threads", required=True,
                        help="policy, default, or a number of threads")
    parser.add_argument("--tokens", type=int, help="text length (default: the lesson's)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    if args.threads not in ("policy", "default") and not args.threads.isdigit():
        parser.error(f"--threads must be policy, default or a number, not {args.threads!r}")
    print(json.dumps(measure(args.framework, args.lesson, args.threads, args.steps,
                             args.seconds, args.tokens)), flush=True)


if __name__ == "__main__":
    main()
