"""nbgrader settings every account of the class hub shares: the course, its exchange, and how
large a hand-in may be. The hub puts this folder on every server's JUPYTER_CONFIG_PATH; the
course folder's own settings load it too (deploy/jupyterhub/prepare.py writes them)."""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "rnncourse"
c.Exchange.root = os.environ.get("RNNCOURSE_EXCHANGE", "/srv/nbgrader/exchange")

# A hand-in over 20 MB (kB here, nbgrader's unit: ten lesson notebooks with their outputs) is
# refused whole ("Directory size is too big"). max_file_size is the same on purpose: nbgrader
# leaves a file over max_file_size out of a hand-in with only a warning in its log.
c.CourseDirectory.max_dir_size = 20_000
c.CourseDirectory.max_file_size = 20_000
