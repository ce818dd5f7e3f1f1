"""The course's nbgrader policy on the hub: how assignments are released, collected and how
late work counts. The course folder's nbgrader_config.py (written by prepare.py with the
folder and the gradebook's URL) loads this file, so the formgrader and the instructor's
commands in a terminal read the same settings."""

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

# The repository's layout: the nbgrader sources are solutions/ (a copy of the repository's).
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "release"
# As autograder/nbgrader_config.py: no outputs in released notebooks, generous cell time, and a
# deleted test cell put back and graded.
c.ClearOutput.enabled = True
c.Execute.timeout = 600
c.OverwriteCells.add_missing_cells = True

# Late policy. nbgrader collect takes each student's last submission before the due date (set
# with `nbgrader db assignment add ID --duedate=...` or in the formgrader), so a late
# resubmission never replaces work handed in on time; every submission stays in the exchange.
# A student who handed in only after the due date is graded and gets feedback, and nbgrader's
# "zero" method sets the late penalty to the whole score in the gradebook (`rnncourse grade
# --db-url` applies it; "none" would only mark the work late).
c.ExchangeCollect.before_duedate = True
c.LateSubmissionPlugin.penalty_method = "zero"
