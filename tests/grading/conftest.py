"""The corpus graded once by the local pool, shared by the tests that compare against it."""

from __future__ import annotations

import time

import pytest

from rnncourse.grading.run import grade_class
from rnncourse.grading.worker import Limits
from tests.grading.corpus import ASSIGNMENT, build

# Three times the longest legitimate cell (about 15 s, AG News training with one thread per
# worker), and short enough that each endless loop costs under a minute.
LIMITS = Limits(cell_seconds=45, notebook_seconds=400, memory_bytes=3 * 2**30)


@pytest.fixture(scope="session")
def graded(repo, shared_ag_news, tmp_path_factory):
    """The whole corpus graded once by the local pool, 2 workers; (out, run, start time)."""
    base = tmp_path_factory.mktemp("class")
    build(base / "submitted")
    started = time.time()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNCOURSE_DATA", str(shared_ag_news))
        patch.delenv("RNNCOURSE_QUICK", raising=False)  # nbgrader's own switch must work
        run = grade_class(repo, ASSIGNMENT, base / "submitted", base / "out", workers=2,
                          limits=LIMITS, progress=False, say=lambda line: None)
    return base / "out", run, started
