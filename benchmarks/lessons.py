"""Part 1: every solution notebook executed top to bottom, as a student would run it.

Reports per notebook the wall time (kernel start included), the device the lesson printed
("PyTorch ... is using cpu (2 threads).") and the final test accuracy of each AG News
training run, read from the epoch summaries the training loops print
(:func:`rnncourse.training.epoch_summary`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import nbformat

_EPOCH = re.compile(r"^epoch (\d+): train accuracy ([\d.]+), test accuracy ([\d.]+) \(\d+ s\)$")
_DEVICE = re.compile(r"^(PyTorch|TensorFlow) .* is using (.+)\.$")
# Lessons 2 and 3 announce each model: "--- LSTM: 1,234 parameters", "--- 2-layer BiLSTM: …".
_LABEL = re.compile(r"^--- (.+?): [\d,]+ parameters")


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream" and out.get("name") == "stdout")


def _first_ag_news_cell(notebook: nbformat.NotebookNode) -> int:
    """Index of the first Markdown heading that mentions AG News (0 if there is none)."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown" and any(
                line.startswith("#") and "AG News" in line for line in cell.source.splitlines()):
            return index
    return 0


def parse(notebook: nbformat.NotebookNode) -> dict:
    """Device, training runs (label, epochs, final test accuracy) and checks passed."""
    device, runs, checks = None, [], 0
    start = _first_ag_news_cell(notebook)
    for index, cell in enumerate(notebook.cells):
        text = _stdout(cell)
        checks += text.count("✓")
        label, last_epoch = None, None
        for line in text.splitlines():
            line = line.strip()
            if device is None and (found := _DEVICE.match(line)):
                device = found.group(2)
            if found := _LABEL.match(line):
                label = found.group(1)
            if found := _EPOCH.match(line):
                epoch = int(found.group(1))
                if last_epoch is None or epoch <= last_epoch:  # a new training run begins
                    runs.append({"cell": index, "label": label, "ag_news": index >= start,
                                 "epochs": 0, "test_accuracy": None})
                    label = None
                runs[-1].update(epochs=epoch, test_accuracy=float(found.group(3)))
                last_epoch = epoch
    ag_news = [run for run in runs if run["ag_news"]] or runs
    return {"device": device, "runs": runs, "checks_passed": checks,
            "accuracy": {(run["label"] or f"run {i + 1}"): run["test_accuracy"]
                         for i, run in enumerate(ag_news)}}


def execute(path: Path, env: dict[str, str], timeout: int) -> tuple[nbformat.NotebookNode, str]:
    """Run a notebook in a fresh python3 kernel with ``env`` added; (notebook, error or "")."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    notebook = nbformat.read(path, as_version=4)
    saved = dict(os.environ)
    os.environ.update(env)  # the kernel inherits this process's environment
    if env.get("RNNCOURSE_QUICK") is None:
        os.environ.pop("RNNCOURSE_QUICK", None)  # default settings, whatever the shell says
    try:
        NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        error = ""
    except CellExecutionError as failure:
        error = f"{failure.ename}: {failure.evalue}"
    except (DeadKernelError, TimeoutError, RuntimeError) as failure:
        error = f"{type(failure).__name__}: {str(failure).splitlines()[0] if str(failure) else ''}"
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return notebook, error


def run(root: Path, lessons: list[str], *, quick: bool, gpu: str | None,
        deadline: float | None, log: Callable[[str], None] = print) -> dict:
    """Part 1: run each lesson's solution notebook; returns the part's results and problems."""
    env = {"RNNCOURSE_QUICK": "1"} if quick else {}
    rows, problems = [], []
    for lesson in lessons:
        path = root / "solutions" / lesson / f"{lesson}.ipynb"
        if deadline is not None and time.time() > deadline:
            rows.append({"lesson": lesson, "status": "skipped: time budget spent"})
            problems.append(f"{lesson} was not run: the time budget was spent")
            continue
        log(f"lessons: running {path.relative_to(root)} ...")
        start = time.perf_counter()
        notebook, error = execute(path, env, timeout=1800)
        seconds = time.perf_counter() - start
        row = {"lesson": lesson, "status": "error" if error else "ok", "seconds": seconds,
               **parse(notebook)}
        if error:
            row["error"] = error
            problems.append(f"{lesson} stopped with {error}")
        on_gpu = row["device"] is not None and ("cuda" in row["device"] or "GPU" in row["device"])
        if gpu and not on_gpu:
            problems.append(f"{lesson} trained on {row['device']} although a GPU ({gpu}) is "
                            f"present")
        log(f"lessons: {lesson}: {seconds:.0f} s on {row['device']}, "
            f"accuracy {row['accuracy']}" + (f", {error}" if error else ""))
        rows.append(row)
    return {"quick": quick, "notebooks": rows, "problems": problems}
