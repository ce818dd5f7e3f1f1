"""The lessons as students and CI meet them: executed with real kernels on real AG News.

The untouched Korean notebooks run here. Everything else runs under nbgrader in
tests/notebooks/test_autograde.py, which checks the executed notebooks the same way besides
their scores: the solved notebooks of both editions (every check passed, quizzes shown,
device named once, no stderr in graded cells) and the untouched English ones (they fail only
at the exercise stubs), so no notebook is executed twice per CI run.
"""

from __future__ import annotations

import pytest

from rnncourse.i18n.editions import edition_dir
from rnncourse.release import stale_lessons
from tests.notebooks.helpers import LESSONS, assert_untouched_failed_only_at_the_stubs, execute

pytestmark = pytest.mark.notebooks


def test_lessons_are_what_nbgrader_generates_from_solutions(repo):
    assert stale_lessons(repo) == []


@pytest.mark.parametrize("lesson", LESSONS)
def test_untouched_korean_notebook_fails_only_with_the_exercise_stubs(repo, shared_ag_news,
                                                                     lesson):
    notebook = execute(repo / edition_dir("ko") / lesson / f"{lesson}.ipynb",
                       {"RNNCOURSE_DATA": str(shared_ag_news), "RNNCOURSE_QUICK": "1"},
                       allow_errors=True)
    assert_untouched_failed_only_at_the_stubs(notebook, "ko")
