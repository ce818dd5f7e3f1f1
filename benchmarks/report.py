"""The results files: JSON for programs, Markdown for people, both written atomically."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from benchmarks import HarnessError
from benchmarks.layers import VARIANTS

#: First line of every Markdown file the harness writes; it overwrites only such files.
MARKER = "<!-- written by `python -m benchmarks`: rerun it rather than editing this file -->"
NAMES = {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}


def prepare(out: Path, kind: str) -> tuple[Path, Path]:
    """Check, before any measurement, that the results can be written; returns their paths.

    Raises HarnessError (one sentence) when the folder cannot be created or written, or when
    the Markdown file there was written by hand (the harness never overwrites one).
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as error:
        raise HarnessError(f"Cannot write the results to {out}: "
                           f"{error.strerror or error}.") from None
    json_path, md_path = out / f"{kind}.json", out / f"{kind}.md"
    if md_path.is_file():
        with md_path.open(encoding="utf-8", errors="replace") as existing:
            first = existing.readline().strip()
        if first != MARKER:
            raise HarnessError(f"{md_path} was not written by this harness, so it is kept: move "
                               f"it elsewhere or pass --out to write the results to another "
                               f"folder.")
    return json_path, md_path


def kept_parts(json_path: Path, parts: list[str], quick: bool, described: dict) -> dict:
    """For ``--update``: the parts of the existing results that this run does not measure.

    Raises HarnessError (one sentence) when there is nothing to update, or when the existing
    results could not be combined with new ones honestly: another mode, other library
    versions, or problems recorded (whose part can no longer be told).
    """
    try:
        existing = json.loads(json_path.read_text(encoding="utf-8"))
        machine, old_parts = existing["machine"], existing["parts"]
    except FileNotFoundError:
        raise HarnessError(f"--update needs existing results, and {json_path} does not exist: "
                           f"run without --update first.") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise HarnessError(f"{json_path} cannot be read as the harness's results ({error}): "
                           f"run without --update to replace it.") from None
    if existing.get("quick") != quick:
        raise HarnessError(f"{json_path} holds a {'quick' if existing.get('quick') else 'full'}"
                           f" run and this one is {'quick' if quick else 'full'}: the two "
                           f"cannot share a file.")
    if machine.get("versions") != described["versions"]:
        changed = sorted(name for name, version in described["versions"].items()
                         if machine.get("versions", {}).get(name) != version)
        raise HarnessError(f"{json_path} was measured with other versions of "
                           f"{', '.join(changed)}: rerun every part without --update.")
    if existing.get("problems"):
        raise HarnessError(f"{json_path} lists problems, which belong to no single part: "
                           f"rerun every part without --update.")
    kept = {}
    for part in old_parts:
        if part not in parts:
            kept[part] = existing[part]
            kept[part].setdefault("measured", {"date": machine["date"],
                                               "commit": machine["commit"]})
    return kept


def write(paths: tuple[Path, Path], results: dict) -> None:
    """Write the JSON and Markdown files; each appears complete or not at all."""
    texts = [json.dumps(results, indent=1, allow_nan=False) + "\n", markdown(results)]
    partials = []
    try:
        for path, text in zip(paths, texts, strict=True):
            partial = path.with_name(f".{path.name}.partial")
            partials.append(partial)
            partial.write_text(text, encoding="utf-8")
        for partial, path in zip(partials, paths, strict=True):
            os.replace(partial, path)
    except OSError as error:
        for partial in partials:
            with contextlib.suppress(OSError):
                partial.unlink()
        raise HarnessError(f"Cannot write the results to {paths[0].parent}: "
                           f"{error.strerror or error}.") from None


def _f(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _machine(results: dict) -> list[str]:
    machine, versions = results["machine"], results["machine"]["versions"]
    device = (f"GPU: {machine['gpu']} (CUDA {machine['cuda']}); " if machine["gpu"]
              else "no GPU; ") + f"CPU: {machine['cpu']}, {machine['cpu_count']} cores"
    rows = [["device kind", f"`{machine['device_kind']}`"], ["device", device],
            ["Python", versions["python"]], ["PyTorch", str(versions["torch"])],
            ["TensorFlow", f"{versions['tensorflow']} (Keras {versions['keras']})"],
            ["nbgrader, nbclient, NumPy",
             f"{versions['nbgrader']}, {versions['nbclient']}, {versions['numpy']}"],
            ["platform", machine["platform"]], ["date (UTC)", machine["date"]],
            ["commit", str(machine["commit"])]]
    return _table(["", ""], rows)


def _lessons(part: dict) -> list[str]:
    settings = "quick settings (`RNNCOURSE_QUICK=1`)" if part["quick"] else "default settings"
    lines = [f"Each solution notebook executed top to bottom in a fresh kernel at its {settings}; "
             "wall time includes the kernel's start. Accuracy: the final test accuracy of each "
             "AG News training run the notebook printed.", ""]
    rows = []
    for row in part["notebooks"]:
        if row["status"].startswith("skipped"):
            rows.append([row["lesson"], row["status"], "—", "—", "—", "—"])
            continue
        accuracy = ", ".join(f"{label} {value:.3f}" if len(row["accuracy"]) > 1
                             else f"{value:.3f}" for label, value in row["accuracy"].items()
                             if value is not None) or "—"
        status = "ok" if row["status"] == "ok" else f"**{row.get('error', row['status'])}**"
        rows.append([row["lesson"], status, _f(row["seconds"], 0), str(row["device"]), accuracy,
                     str(row["checks_passed"])])
    return lines + _table(["lesson", "status", "wall time, s", "device it trained on",
                           "test accuracy", "checks passed (✓)"], rows)


def best_optimised(rows: list[dict], size: dict) -> tuple[str, float] | None:
    """The fastest optimised variant at ``size`` and its ratio to the built-in layer."""
    matching = [row for row in rows if row["variant"] in VARIANTS[2:]
                and all(row[key] == size[key] for key in ("kind", "batch", "steps", "hidden"))]
    if not matching:
        return None
    best = min(matching, key=lambda row: row["ratio_to_builtin"])
    return best["variant"], best["ratio_to_builtin"]


def _layers(part: dict, on_gpu: bool) -> list[str]:
    settings, target = part["settings"], part["target"]
    lines = [f"Forward plus backward pass (gradients of the outputs' sum with respect to the "
             f"weights) over a batch of {settings['batch']} sequences with {settings['input_size']}"
             f" inputs per step, float32. Built-in: median milliseconds per call; the other "
             f"columns: that time divided by the built-in layer's, measured in the same "
             f"interleaved rounds (median of {settings['repeats']} after "
             f"{settings['warmup']} warm-up call{'s' * (settings['warmup'] > 1)}); below 1 is "
             f"faster than the built-in layer. *scratch*: the "
             f"solution notebook's own layer; *hoisted*: the input projection for all steps in "
             f"one matrix product before the loop; *compiled*: the loop compiled; both: "
             f"*hoisted+compiled*.", ""]
    for framework in part["frameworks"]:
        name = NAMES[framework["framework"]]
        if framework["status"] != "measured":
            lines += [f"### {name}", "", f"Not measured: {framework['reason']}.", ""]
            continue
        lines += [f"### {name} {framework['version']} on {framework['device']}", ""]
        table: dict[tuple, dict] = {}
        for row in framework["rows"]:
            key = (row["kind"], row["steps"], row["hidden"])
            table.setdefault(key, {})[row["variant"]] = row
        rows = []
        for (kind, steps, hidden), variants in table.items():
            rows.append([kind.upper(), str(steps), str(hidden),
                         _f(variants["builtin"]["seconds"] * 1000)]
                        + [f"{variants[v]['ratio_to_builtin']:.2f}×" for v in VARIANTS[1:]])
        lines += _table(["layer", "steps", "hidden", "built-in, ms", *VARIANTS[1:]], rows)
        best = best_optimised(framework["rows"], target)
        if best and not on_gpu:
            verdict = "met" if best[1] <= target["ratio"] else "not met"
            lines += ["", f"Target on a CPU: the optimised scratch LSTM within "
                      f"{target['ratio']:g}× of the built-in one at batch {target['batch']}, "
                      f"length {target['steps']}, hidden {target['hidden']}: "
                      f"{best[1]:.2f}× ({best[0]}), **{verdict}**."]
        firsts = {v: max((row["first_call_seconds"] for row in framework["rows"]
                          if row["variant"] == v), default=None)
                  for v in ("compiled", "hoisted+compiled")}
        if None not in firsts.values():
            lines += ["", "Longest first call (tracing or compiling included): "
                      + ", ".join(f"{v} {s:.2f} s" for v, s in firsts.items()) + "."]
        if framework["skipped"]:
            lines += ["", f"Skipped (time budget spent): {len(framework['skipped'])} sizes."]
        lines += ["", "Where the layers come from: "
                  + "; ".join(f"{k.upper()}: {v}" for k, v in framework["sources"].items())
                  + ".", ""] + [f"- {note}" for note in framework["notes"]] + [""]
    return lines


def _grading(part: dict) -> list[str]:
    lines = ["Wall time of one `nbgrader autograde` command grading one solved submission "
             "(nbgrader's start-up included; the notebooks train on their autograding "
             "settings), in a scratch copy of the course.", ""]
    rows = []
    for row in part["notebooks"]:
        if row["status"] == "ok":
            rows.append([row["lesson"], _f(row["seconds"]),
                         f"{row['score']:g} / {row['max_score']:g}"])
        else:
            rows.append([row["lesson"], row.get("error", row["status"]), "—"])
    lines += _table(["notebook", "seconds", "score"], rows)
    parallel = part["parallel"]
    lines += ["", f"`rnncourse grade {parallel['lesson']}` on a class of {parallel['students']} "
              "(three solved submissions in four, one untouched), each configuration in a "
              "fresh results folder, one after the other; the wall time includes generating "
              "the assignment and, in the sandbox, its self-check.", ""]
    class_rows = []
    for row in parallel["rows"]:
        # Results from before the sandbox and Dask existed: no sandbox, the local pool.
        sandbox = "yes" if row.get("sandbox") else "no"
        executor = row.get("executor", "local-pool")
        if row["status"] == "ok":
            class_rows.append([str(row["workers"]), executor, sandbox, _f(row["seconds"]),
                               _f(row["seconds_per_notebook"]), f"{row['mean_score']:.2f}"])
        else:
            class_rows.append([str(row["workers"]), executor, sandbox, row["status"], "—", "—"])
    lines += _table(["workers", "runs on", "sandbox", "wall seconds", "seconds per notebook",
                     "mean score"], class_rows)
    timed = {(row.get("executor", "local-pool"), bool(row.get("sandbox"))): row
             for row in parallel["rows"] if row["status"] == "ok"}
    base = timed.get(("local-pool", True))
    for key, what in [(("local-pool", False), "The sandbox"), (("dask-local", True), "Dask")]:
        other = timed.get(key)
        if base is None or other is None:
            continue
        new, old = ((base, other) if what == "The sandbox" else (other, base))
        extra = new["seconds_per_notebook"] - old["seconds_per_notebook"]
        lines += ["", f"{what} costs {extra:+.2f} s per notebook: "
                  f"{new['seconds'] / old['seconds']:.3f}× the time without it."]
    return lines


def _data(part: dict) -> list[str]:
    seconds = part["seconds"]
    articles = part["articles"]["train"] + part["articles"]["test"]
    lines = [f"{articles:,} articles ({part['articles']['train']:,} train, "
             f"{part['articles']['test']:,} test) from {part['source']}: "
             f"{part['tokens']:,} tokens, vocabulary {part['vocabulary']:,}, length "
             f"{part['max_len']}; median of {part['repeats']}.", ""]
    rows = [["read both CSV files", _f(seconds["read_csv"], 2)],
            ["tokenize every article", _f(seconds["tokenize"], 2)],
            ["build the vocabulary (training split)", _f(seconds["build_vocabulary"], 2)],
            ["encode both splits (tokenizes again, pads)", _f(seconds["encode"], 2)],
            ["**`encode_splits` as the lessons call it**", f"**{seconds['encode_splits']:.2f}**"]]
    return lines + _table(["stage", "seconds"], rows)


def _step_ms(row: dict | None) -> str:
    """A step's median in milliseconds and the threads it used, or why it is missing."""
    if not row:
        return "—"
    if row["status"] != "ok":
        return row["status"]
    threads = f" ({row['threads']} thr.)" if row.get("threads") else ""
    return f"{row['seconds'] * 1000:.1f}{threads}"


def _contention(part: dict) -> list[str]:
    rounds = part.get("rounds", 1)
    lines = [f"Each lesson's training step (batch 64) on {part['cpus']} CPUs: the median of "
             f"{part['steps']} steps in each of {rounds} fresh process(es) per setting, after "
             f"3 warm-up steps each, the two settings taking turns. *policy*: the "
             "course's thread policy (`rnncourse.threads`); *default*: the framework's own "
             "thread pools. Quiet: milliseconds per step; the other columns: that setting's "
             "time divided by its own quiet time in this run, and the threads it used.", ""]
    lines += [f"- *{name}*: {description}" for name, description in part["conditions"].items()
              if name != "quiet"] + [""]
    others = [name for name in part["conditions"] if name != "quiet"
              and name not in part["skipped"]]
    cells: dict[tuple, dict] = {}
    for row in part["rows"]:
        cells.setdefault((NAMES.get(row["framework"], row["framework"]), row["lesson"],
                          row["setting"]), {})[row["condition"]] = row

    def ratio(row: dict | None) -> str:
        if row is None or row["status"] != "ok":
            return _step_ms(row)
        threads = f" ({row['threads']} thr.)" if row.get("threads") else ""
        ratio = row.get("ratio_to_quiet")
        return (f"{ratio:.2f}×{threads}" if ratio is not None else "—")

    rows = [[framework, str(lesson), setting, _step_ms(by.get("quiet"))]
            + [ratio(by.get(name)) for name in others]
            for (framework, lesson, setting), by in cells.items()]
    lines += _table(["framework", "lesson", "threads", "quiet, ms", *others], rows)
    for name, reason in part["skipped"].items():
        lines += ["", f"Not measured: *{name}*: {reason}."]
    return lines


def _busy_lessons(part: dict) -> list[str]:
    lines = [f"Each solution notebook executed top to bottom at its default settings (as in "
             f"part 1), first on a quiet machine, then at once beside {part['busy_processes']} "
             f"busy process(es); the device column is what the lesson printed.", ""]
    rows = []
    for row in part["notebooks"]:
        quiet, busy = row["quiet"], row["busy"]
        rows.append([row["lesson"], _f(quiet["seconds"], 0), str(quiet["device"]),
                     _f(busy["seconds"], 0), str(busy["device"]), f"{row['ratio']:.2f}×"])
    return lines + _table(["lesson", "quiet, s", "quiet device", "busy, s", "busy device",
                           "busy / quiet"], rows)


def _thread_settings(part: dict) -> list[str]:
    lines = [f"One training step of the built-in LSTM (batch 64, {part['tokens']} tokens, hidden "
             f"64, Adam) on {part['cpus']} CPUs: the median of {part['steps']} steps in each of "
             f"{part['rounds']} fresh process(es) per setting, the settings taking turns; "
             f"busy: beside {part['busy_processes']} busy process(es). *default*: the "
             "framework's own thread pools; *passive wait*: `OMP_WAIT_POLICY=PASSIVE`; "
             "*policy*: the course's thread policy (`rnncourse.threads`). The last column "
             "compares each quiet time with the default's.", ""]
    cells: dict[tuple, dict] = {}
    for row in part["rows"]:
        cells.setdefault((NAMES.get(row["framework"], row["framework"]), row["setting"]),
                         {})[row["condition"]] = row
    def ratio(top: dict, bottom: dict) -> str:
        return ("—" if top.get("status") != "ok" or bottom.get("status") != "ok"
                else f"{top['seconds'] / bottom['seconds']:.2f}×")

    rows = []
    for (framework, setting), by in cells.items():
        quiet, busy = by.get("quiet", {}), by.get("busy", {})
        default = cells.get((framework, "default"), {}).get("quiet", {})
        rows.append([framework, setting, _step_ms(quiet), _step_ms(busy), ratio(busy, quiet),
                     ratio(quiet, default)])
    return lines + _table(["framework", "threads", "quiet, ms", "busy, ms", "busy / quiet",
                           "quiet / default's quiet"], rows)


def markdown(results: dict) -> str:
    """The readable table of a results dictionary."""
    machine = results["machine"]
    mode = ("Quick mode: tiny sizes, which prove that the harness works and measure nothing."
            if results["quick"] else "Full mode.")
    lines = [MARKER, f"# Benchmarks on `{machine['device_kind']}`", "",
             f"Written by `{results['command']}`. {mode}", ""] + _machine(results)
    sections = {"lessons": ("1. Lesson runs", _lessons),
                "layers": ("2. From scratch versus built in",
                           lambda part: _layers(part, bool(machine["gpu"]))),
                "grading": ("3. Grading", _grading), "data": ("4. Data", _data),
                "contention": ("5. Busy and restricted CPUs", _contention),
                "busy-lessons": ("6. Lessons beside busy processes", _busy_lessons),
                "thread-settings": ("7. Ways of setting threads", _thread_settings)}
    for part, (title, render) in sections.items():
        if part in results["parts"]:
            lines += ["", f"## {title}", ""]
            measured = results[part].get("measured")
            if measured:
                lines += [f"Measured {measured['date']} at commit {measured['commit']}.", ""]
            lines += (render(results[part]) if "error" not in results[part]
                      else [f"Failed: {results[part]['error']}"])
    if results["problems"]:
        lines += ["", "## Problems", ""] + [f"- {problem}" for problem in results["problems"]]
    return "\n".join(lines).rstrip() + "\n"
