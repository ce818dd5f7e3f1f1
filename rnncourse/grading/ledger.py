"""The resume ledger: one JSON line per finished submission, appended and synced to disk.

A line is written only after the submission's feedback and graded notebook are in place,
so a line in the ledger means the work is done. After an interruption (Ctrl-C, a killed
process, power loss) the next run skips what the ledger holds and grades the rest; a line
cut short by a crash is ignored, so its submission is graded again. A student appears once
in the results whatever happened: the latest line for a student wins.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from rnncourse.grading.worker import Result

FILE_NAME = "ledger.jsonl"


def read_ledger(out: Path) -> dict[str, Result]:
    """student -> latest finished result in ``out``'s ledger (empty when there is none)."""
    path = out / FILE_NAME
    if not path.exists():
        return {}
    results: dict[str, Result] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            result = Result(**json.loads(line))
        except (json.JSONDecodeError, TypeError):
            continue  # a line cut short by a crash: that submission is graded again
        results[result.student] = result
    return results


def append(out: Path, result: Result) -> None:
    """Add one finished result, durably, before the next submission is reported done."""
    path = out / FILE_NAME
    line = json.dumps(result.to_json(), ensure_ascii=False) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        if handle.tell() > 0 and not path.read_bytes().endswith(b"\n"):
            handle.write("\n")  # end a line a crash cut short, so this one stands alone
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
