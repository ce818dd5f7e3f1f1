"""nbgrader configuration for rnncourse.

Run nbgrader from this folder (``cd autograder && nbgrader ...``): the course root is the
repository, the nbgrader source notebooks are ``solutions/`` and the English student
notebooks are released into ``lessons/en/`` (``rnncourse.release.RELEASE_DIR``). The Korean
edition, ``lessons/ko/``, is generated from them by ``rnncourse release`` with the same file
names, so nbgrader grades a submission from either edition as the same assignment. Each
lesson in each framework is its own assignment (``01-rnn-pytorch``, ``01-rnn-tensorflow``),
so a student following one framework is never marked down for the other.
"""

from pathlib import Path

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

ROOT = Path(__file__).resolve().parent.parent

c.CourseDirectory.course_id = "rnncourse"
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lessons/en"
# The gradebook lives beside this file, out of the student-facing folders.
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'autograder' / 'gradebook.db'}"

# Outputs never ship in student notebooks; a generated lesson is fully determined by its source.
c.ClearOutput.enabled = True
# Autograding trains small models (the notebooks detect NBGRADER_EXECUTION and shrink their data);
# a cell still gets generous time on a slow machine.
c.Execute.timeout = 600
# A test cell a student deleted is put back (and graded) instead of silently missing;
# `rnncourse grade` also reports it.
c.OverwriteCells.add_missing_cells = True
