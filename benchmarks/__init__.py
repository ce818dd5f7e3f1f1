"""The course's benchmark harness: ``python -m benchmarks`` (see the README's Benchmarks section).

It measures seven things on whatever device is present and writes
``<out>/<device-kind>.json`` plus a readable ``<out>/<device-kind>.md``:

* ``lessons``: every solution notebook run top to bottom (wall time, accuracy, device);
* ``layers``: the solutions' own RNN, LSTM and GRU layers against the built-in ones, plus
  the two classic speed-ups of a from-scratch loop (input projection hoisted, loop compiled);
* ``grading``: seconds per notebook under real ``nbgrader autograde``;
* ``data``: tokenizing, building the vocabulary and encoding AG News;
* ``contention``: each lesson's training step on busy and restricted CPUs, with the course's
  thread policy and with the frameworks' defaults;
* ``busy-lessons``: Lessons 1 and 2 run top to bottom, quiet and beside busy processes;
* ``thread-settings``: one LSTM training step with 1 thread, the framework's default, the
  default with passive waiting, and the course's policy, quiet and beside busy processes.

This package lives in the repository only: ``pyproject.toml`` installs ``rnncourse*``, so
the harness never ships to students.
"""

from __future__ import annotations

#: The parts the harness knows, in the order it runs them by default.
PARTS: tuple[str, ...] = ("lessons", "layers", "grading", "data", "contention",
                          "busy-lessons", "thread-settings")

#: What ``--quick`` runs unless ``--parts`` says otherwise (lesson runs take minutes).
QUICK_PARTS: tuple[str, ...] = ("layers", "grading", "data", "contention", "thread-settings")


class HarnessError(Exception):
    """Bad input or an unusable output folder, explained in one sentence."""
