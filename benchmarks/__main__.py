"""``python -m benchmarks``: run the harness and write ``<out>/<device-kind>.json`` and ``.md``.

Exit status: 0 when everything ran, 1 when results were written but something failed (a
notebook error, a lesson off the GPU, a part that crashed; listed under "Problems"),
2 when nothing ran (bad arguments, no writable output folder).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
import traceback
from pathlib import Path

from benchmarks import PARTS, QUICK_PARTS, HarnessError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence instead of usage plus message
        raise HarnessError(f"{message[0].upper()}{message[1:]} (see python -m benchmarks --help).")


def _names(text: str, known: list[str] | tuple[str, ...], what: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        shown = repr(unknown[0]) if unknown else "nothing"
        raise HarnessError(f"Unknown {what} {shown}; choose from {', '.join(known)}.")
    return names


def build_parser() -> argparse.ArgumentParser:
    """The command line, exposed for tests and documentation."""
    parser = _Parser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--parts", help=f"comma-separated parts to run, in this order "
                        f"(default: {','.join(PARTS)}; with --quick: {','.join(QUICK_PARTS)})")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and the first lesson only: proves the harness works "
                        "(CI); lesson runs, if asked for, use RNNCOURSE_QUICK=1")
    parser.add_argument("--lessons", help="comma-separated lessons for the lessons and grading "
                        "parts (default: every lesson; with --quick: the first)")
    parser.add_argument("--out", type=Path, help=f"folder for the results (default: "
                        f"{DEFAULT_OUT.relative_to(ROOT)}; quick runs need --out, so that they "
                        f"never replace the committed results)")
    parser.add_argument("--update", action="store_true",
                        help="replace only the parts run now in this device kind's existing "
                        "results; keep its other parts as they were measured (each part "
                        "names its own date and commit)")
    parser.add_argument("--budget", type=float, metavar="SECONDS",
                        help="start no further notebook or layer size after this many seconds; "
                        "what is left is listed as skipped")
    return parser


def _log(message: str) -> None:
    print(message, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the harness; returns the exit status."""
    from rnncourse.release import list_assignments

    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        parts = _names(args.parts, PARTS, "part") if args.parts else list(
            QUICK_PARTS if args.quick else PARTS)
        known = list_assignments(ROOT)
        lessons = _names(args.lessons, known, "lesson") if args.lessons else (
            known[:1] if args.quick else known)
        if args.quick and args.out is None:
            raise HarnessError("A quick run needs --out, so that it never replaces the "
                               "committed results in benchmarks/results.")
        if args.budget is not None and args.budget <= 0:
            raise HarnessError(f"--budget must be a positive number of seconds, not "
                               f"{args.budget:g}.")
        from benchmarks import machine

        described = machine.describe(ROOT)
        from benchmarks import report

        paths = report.prepare(args.out or DEFAULT_OUT, described["device_kind"])
        kept = report.kept_parts(paths[0], parts, args.quick, described) if args.update else {}
    except HarnessError as error:
        print(f"benchmarks: {error}", file=sys.stderr)
        return 2

    deadline = time.time() + args.budget if args.budget is not None else None
    _log(f"benchmarks: {', '.join(parts)} on {described['device_kind']}"
         + (" (quick)" if args.quick else ""))
    results: dict = {"command": " ".join(["python -m benchmarks", shlex.join(argv)]).strip(),
                     "quick": args.quick, "parts": parts, "lessons": lessons,
                     "machine": described, "problems": []}
    for part in parts:
        start = time.perf_counter()
        try:
            results[part] = _run_part(part, lessons, args.quick, described, deadline)
        except Exception as error:  # one broken part must not lose the others' results
            traceback.print_exc()
            results[part] = {"error": f"{type(error).__name__}: {error}"}
        results[part]["part_seconds"] = time.perf_counter() - start
        results[part]["measured"] = {"date": described["date"], "commit": described["commit"]}
        results["problems"] += results[part].pop("problems", [])
        if "error" in results[part]:
            results["problems"].append(f"{part} failed: {results[part]['error']}")
    if kept:
        results.update(kept)
        results["parts"] = [part for part in PARTS if part in parts or part in kept]
    try:
        report.write(paths, results)
    except HarnessError as error:
        print(f"benchmarks: {error}", file=sys.stderr)
        return 2
    _log(f"benchmarks: wrote {paths[0]} and {paths[1]}\n")
    print(report.markdown(results), end="", flush=True)  # the table comes last
    return 1 if results["problems"] else 0


def _run_part(part: str, lessons: list[str], quick: bool, described: dict,
              deadline: float | None) -> dict:
    if part == "lessons":
        from benchmarks import lessons as module

        return module.run(ROOT, lessons, quick=quick, gpu=described["gpu"], deadline=deadline,
                          log=_log)
    if part == "layers":
        from benchmarks import layers

        return layers.run(ROOT, quick=quick, deadline=deadline, log=_log)
    if part == "grading":
        from benchmarks import grading

        return grading.run(ROOT, lessons, deadline=deadline, quick=quick, log=_log)
    if part == "contention":
        from benchmarks import contention

        return contention.run(ROOT, quick=quick, log=_log)
    if part == "busy-lessons":
        from benchmarks import contention

        return contention.run_lessons(ROOT, lessons, log=_log)
    if part == "thread-settings":
        from benchmarks import contention

        return contention.run_settings(ROOT, quick=quick, log=_log)
    from benchmarks import data

    return data.run(ROOT, quick=quick, log=_log)


if __name__ == "__main__":
    sys.exit(main())
