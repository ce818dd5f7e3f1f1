"""nbgrader settings for the student's Validate button (``rnncourse lab`` puts this folder
on JUPYTER_CONFIG_PATH). Validation trains on the quick subset (the lessons see
NBGRADER_EXECUTION=validate), so this timeout is a slow laptop's margin, never the norm."""

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "rnncourse"
c.Execute.timeout = 600
