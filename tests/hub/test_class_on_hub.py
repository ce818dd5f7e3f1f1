"""A whole term on JupyterHub: release, fetch, submit, collect, grade, return feedback.

One test walks the loop in order, as a class lives it, with real processes on 127.0.0.1:
deploy/jupyterhub/start (JupyterHub, the proxy, the formgrader service), a PostgreSQL
gradebook, and Unix accounts for the course's owner, an instructor and three students.

* The instructor releases Lesson 1 (PyTorch). Student 1 fetches it in Chromium, from the
  Assignment List; student 2 through their server's REST API (what that page calls);
  student 3, added to the hub later through its API, with nbgrader's command in a shell.
* Student 1 hands in the solution; student 2 hands in an untouched notebook, is refused a
  hand-in over the size limit, then hands in a notebook with one wrong cell. The due date
  passes; student 1 hands in again (late) and student 3 hands in for the first time (late).
* Student 2 tries to reach what is not theirs, as their own Unix account: it fails.
* The instructor collects (the last hand-in before the due date, else the first after it)
  and grades with ``rnncourse grade --db-url`` in the sandbox; the database is stopped
  mid-run, which stops the run in one sentence, and the same command then finishes.
* Feedback is released; each student fetches their own. The formgrader opens for the
  instructor in Chromium, and not for a student.

The timings of each step are printed and written to test-artifacts/hub/term.json.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from rnncourse.release import solved_notebook
from tests.conftest import REPO
from tests.grading.corpus import WRONG_KEY, cell_with_id
from tests.hub.conftest import ARTIFACTS
from tests.hub.hub import COURSE, Hub, Postgres, run_as

pytestmark = pytest.mark.hub

ASSIGNMENT = "01-rnn-pytorch"
NB = f"{ASSIGNMENT}.ipynb"
#: A hand-in over the exchange's limit (deploy/jupyterhub/jupyter/nbgrader_config.py: 20 MB).
TOO_LARGE = 21 * 10**6
STEP_MS = 120_000


class Steps:
    """Seconds each step of the term took, in order."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        #: What else the term measured: memory, grades.
        self.facts: dict[str, object] = {}

    @contextlib.contextmanager
    def __call__(self, name: str):
        started = time.monotonic()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - started


def assignments(hub: Hub, user: str, action: str | None = None) -> dict:
    """The Assignment List's own calls on ``user``'s server: list, or fetch / submit /
    fetch_feedback the assignment."""
    if action is None:
        response = hub.as_user(user, "GET", f"/user/{user}/assignments",
                               params={"course_id": COURSE})
    else:
        response = hub.as_user(user, "POST", f"/user/{user}/assignments/{action}",
                               json={"course_id": COURSE, "assignment_id": ASSIGNMENT})
    assert response.status_code == 200, response.text
    return response.json()


def save_notebook(hub: Hub, user: str, notebook: nbformat.NotebookNode) -> None:
    """Save ``notebook`` as the student's copy of the lesson, as JupyterLab saves it."""
    response = hub.as_user(user, "PUT", f"/user/{user}/api/contents/{ASSIGNMENT}/{NB}",
                           json={"type": "notebook", "format": "json", "content": notebook})
    assert response.status_code == 200, response.text


def fetched(user: str) -> nbformat.NotebookNode:
    """The lesson as the student fetched it."""
    return nbformat.read(Path(os.path.expanduser(f"~{user}")) / ASSIGNMENT / NB, as_version=4)


def solved(user: str) -> nbformat.NotebookNode:
    """The student's fetched lesson with the solution's code in its answer cells."""
    lesson = Path(os.path.expanduser(f"~{user}")) / ASSIGNMENT / NB
    return solved_notebook(lesson, REPO / "solutions" / ASSIGNMENT / NB)


def inbound(hub: Hub, student: str) -> list[str]:
    """The student's hand-ins in the exchange, oldest first (the exchange's owner's view)."""
    folder = hub.exchange / COURSE / "inbound"
    return sorted((p.name for p in folder.iterdir() if p.name.startswith(f"{student}+")),
                  key=lambda name: name.split("+")[2])


def refused(result) -> bool:
    """The command failed because the machine said no."""
    return result.returncode != 0 and re.search(r"Permission denied|Operation not permitted|"
                                                r"password authentication failed|no password",
                                                result.stderr) is not None


def feedback_score(page: Path) -> str:
    """The total score a feedback page shows ("14.0 / 14.0")."""
    return re.search(r"Score: ([\d.]+ / [\d.]+)", page.read_text()).group(1)


def login(browser, hub: Hub, user: str):
    """A fresh browser tab logged in to the hub as ``user``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(r".*/(hub/home|hub/spawn.*|user/.*)$"), timeout=STEP_MS)
    return page


@contextlib.contextmanager
def screenshot_on_failure(page, name: str):
    """Keep what the browser showed when a step failed."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise


def fetch_in_the_assignment_list(browser, hub: Hub, student: str) -> None:
    """The student opens Nbgrader > Assignment List in JupyterLab, sees the lesson released,
    fetches it, and sees it downloaded; the instructors' tools are not in the menu."""
    page = login(browser, hub, student)
    with screenshot_on_failure(page, "assignment-list"):
        page.goto(f"{hub.url}/user/{student}/lab")
        page.get_by_role("menuitem", name="Nbgrader", exact=True).click(timeout=STEP_MS)
        items = [t.strip() for t in page.locator(".lm-Menu-itemLabel").all_inner_texts()]
        assert "Assignment List" in items
        assert not {"Formgrader", "Create assignment", "Course List"} & set(items)
        page.get_by_role("menuitem", name=re.compile("^Assignment List")).click()
        released = page.locator("#released_assignments_list")
        released.get_by_text(ASSIGNMENT).wait_for(timeout=STEP_MS)
        released.get_by_role("button", name="Fetch").click()
        page.locator("#fetched_assignments_list").get_by_text(ASSIGNMENT).first.wait_for(
            timeout=STEP_MS)
    page.context.close()


def formgrader_in_the_browser(browser, hub: Hub, student: str, postgres: Postgres) -> None:
    """The instructor's formgrader lists the lesson with its three submissions, read from
    PostgreSQL, and writes to it (a student added, which takes the hub's XSRF check); a student
    who opens the same address is refused."""
    page = login(browser, hub, hub.instructor)
    with screenshot_on_failure(page, "formgrader"):
        page.goto(f"{hub.url}/services/{COURSE}/formgrader")
        row = page.locator("tr", has_text=ASSIGNMENT).first
        row.wait_for(timeout=STEP_MS)
        assert re.search(r"\breleased\b", row.inner_text())
        assert row.locator("td").nth(8).inner_text().strip() == "3"  # "# Submissions"
        page.goto(f"{hub.url}/services/{COURSE}/formgrader/manage_students")
        page.get_by_text("Add new student...").click(timeout=STEP_MS)
        modal = page.locator("#add-student-modal")
        modal.locator("input.id").fill("auditor")
        with page.expect_response(re.compile(r".*/formgrader/api/student/auditor$")) as saved:
            modal.get_by_role("button", name="Save").click()
        assert saved.value.status == 200, saved.value.text()
    page.context.close()
    with Gradebook(postgres.url, COURSE) as gradebook:
        assert gradebook.find_student("auditor").id == "auditor"
    page = login(browser, hub, student)
    response = page.goto(f"{hub.url}/services/{COURSE}/formgrader")
    assert response.status == 403
    page.context.close()


def test_a_term_on_the_hub(hub: Hub, postgres: Postgres, browser):
    steps = Steps()
    steps.seconds["hub start"] = hub.started_in
    s1, s2 = hub.students
    s3 = f"{s1[:-3]}-s3"

    with steps("release"):
        made = hub.grader_run(f"nbgrader generate_assignment {ASSIGNMENT} && "
                              f"nbgrader release_assignment {ASSIGNMENT}")
        assert made.returncode == 0, made.stderr[-3000:]

    # A student who joins late: a Unix account, then a hub user in the students' group.
    useradd = subprocess.run(["useradd", "--create-home", "--base-dir",
                              hub.env["RNNCOURSE_HOME_BASE"], "--key", "HOME_MODE=0700",
                              "--groups", hub.env["RNNCOURSE_CLASS_GROUP"], s3],
                             capture_output=True, text=True)
    assert useradd.returncode == 0, useradd.stderr
    try:
        assert hub.api("POST", f"/users/{s3}").status_code == 201
        assert hub.api("POST", "/groups/nbgrader-rnncourse/users",
                       json={"users": [s3]}).status_code == 200
        _term(hub, postgres, browser, steps, s1, s2, s3)
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "term.json").write_text(json.dumps(
            {"seconds": steps.seconds, **steps.facts}, indent=1))
        print("\n" + "\n".join(f"{name:>28}: {seconds:6.1f} s"
                               for name, seconds in steps.seconds.items()))
        print(json.dumps(steps.facts))
        subprocess.run(["userdel", "--remove", s3], capture_output=True)


def _term(hub: Hub, postgres: Postgres, browser, steps: Steps, s1: str, s2: str,
          s3: str) -> None:
    with steps("spawn (two servers)"):
        steps.seconds["spawn of one server"] = hub.spawn(s1)
        hub.spawn(s2)
    time.sleep(2)  # idle: the server has finished starting up
    steps.facts["idle server RSS (MiB)"] = round(hub.server_rss(s1) / 2**20, 1)

    with steps("fetch"):
        assert [a["status"] for a in assignments(hub, s2)["value"]] == ["released"]
        with steps("browser: Assignment List"):
            fetch_in_the_assignment_list(browser, hub, s1)
        assert [a["status"] for a in assignments(hub, s2, "fetch")["value"]] == ["fetched"]
        cli = run_as(s3, f"nbgrader fetch_assignment {ASSIGNMENT}", hub.student_env)
        assert cli.returncode == 0, cli.stderr
        assert fetched(s1) == fetched(s2) == fetched(s3)

    with steps("submit"):
        blank = fetched(s2)
        assert assignments(hub, s2, "submit")["success"]  # the untouched lesson, first
        big = Path(os.path.expanduser(f"~{s2}")) / ASSIGNMENT / "data.bin"
        made = run_as(s2, f"head -c {TOO_LARGE} /dev/zero > {big}")
        assert made.returncode == 0, made.stderr
        too_large = assignments(hub, s2, "submit")
        assert not too_large["success"]
        assert "Directory size is too big" in too_large["value"]
        assert len(inbound(hub, s2)) == 1  # refused whole; the first hand-in is still there
        big.unlink()
        wrong = solved(s2)
        cell_with_id(wrong, "load_weights").source += WRONG_KEY
        save_notebook(hub, s2, wrong)
        assert assignments(hub, s2, "submit")["success"]
        save_notebook(hub, s1, solved(s1))
        assert assignments(hub, s1, "submit")["success"]
        time.sleep(1.1)  # nbgrader's timestamps are to the microsecond; be generous
        due = datetime.now(timezone.utc).replace(tzinfo=None)
        set_due = hub.grader_run(f"nbgrader db assignment add {ASSIGNMENT} "
                                 f"--duedate='{due.isoformat(sep=' ')} UTC'")
        assert set_due.returncode == 0, set_due.stderr
        time.sleep(1.1)
        save_notebook(hub, s1, blank)  # student 1 hands in again, late, and worse
        assert assignments(hub, s1, "submit")["success"]
        # Student 3 works in a shell: the solved lesson, saved as their own file.
        mine = Path(os.path.expanduser(f"~{s3}")) / ASSIGNMENT / NB
        nbformat.write(solved(s3), mine)
        shutil.chown(mine, s3)
        late = run_as(s3, f"nbgrader submit {ASSIGNMENT}", hub.student_env)
        assert late.returncode == 0, late.stderr
    assert [len(inbound(hub, s)) for s in (s1, s2, s3)] == [2, 2, 1]

    with steps("permissions"):
        _nothing_of_others(hub, postgres, intruder=s2, victim=s1)

    with steps("collect"):
        collected = hub.grader_run(f"nbgrader collect {ASSIGNMENT}")
        assert collected.returncode == 0, collected.stderr
    submitted = hub.course_dir / "submitted"
    taken = {s: (submitted / s / ASSIGNMENT / "timestamp.txt").read_text() for s in (s1, s2, s3)}
    # Student 1's on-time hand-in, not the late one; student 2's later one; student 3's only.
    assert taken[s1] == inbound(hub, s1)[0].split("+")[2]
    assert taken[s2] == inbound(hub, s2)[1].split("+")[2]
    assert taken[s3] == inbound(hub, s3)[0].split("+")[2]

    with steps("grade"):
        _grade_through_an_outage(hub, postgres, steps)
    with Gradebook(postgres.url, COURSE) as gradebook:
        rows = {s.student.id: (s.score, sum(n.late_submission_penalty or 0 for n in s.notebooks))
                for s in gradebook.find_assignment(ASSIGNMENT).submissions}
    assert rows == {s1: (14.0, 0), s2: (12.0, 0), s3: (14.0, 14.0)}  # s3: late, "zero" policy
    steps.facts["grades (score, late penalty)"] = rows

    with steps("feedback"):
        released = hub.grader_run(f"nbgrader release_feedback {ASSIGNMENT} "
                                  f"--CourseDirectory.feedback_directory=graded/{ASSIGNMENT}/"
                                  "feedback")
        assert released.returncode == 0, released.stderr
        assignments(hub, s1, "fetch_feedback")
        assignments(hub, s2, "fetch_feedback")
        cli = run_as(s3, f"nbgrader fetch_feedback {ASSIGNMENT}", hub.student_env)
        assert cli.returncode == 0, cli.stderr
    pages = {s: sorted((Path(os.path.expanduser(f"~{s}")) / ASSIGNMENT / "feedback").glob(
        "*/*.html")) for s in (s1, s2, s3)}
    assert {s: len(p) for s, p in pages.items()} == {s1: 1, s2: 1, s3: 1}  # their own only
    assert pages[s1][0].parent.name == taken[s1]  # for the hand-in that was graded
    assert {s: feedback_score(p[0]) for s, p in pages.items()} == {
        s1: "14.0 / 14.0", s2: "12.0 / 14.0", s3: "14.0 / 14.0"}

    with steps("browser: formgrader"):
        formgrader_in_the_browser(browser, hub, s1, postgres)


#: The instructor's command: the course's gradebook from its settings (no password on the
#: command line), small limits for a test, two notebooks at a time on two cores.
GRADE = (f"rnncourse grade {ASSIGNMENT} submitted --db-url --workers 2 --cell-timeout 120 "
         "--notebook-timeout 600 --memory 3")


def _grade_through_an_outage(hub: Hub, postgres: Postgres, steps: Steps) -> None:
    """Grade; stop PostgreSQL once the first result is in; the run stops in one sentence,
    the same command fails at once while the database is down, and once it is back the
    same command records everything and grades the rest, each submission once."""
    ledger = hub.course_dir / "graded" / ASSIGNMENT / "ledger.jsonl"
    started = time.monotonic()
    grading = hub.grader_start(GRADE)
    deadline = time.monotonic() + 400
    while grading.poll() is None and not (ledger.exists() and ledger.read_text().strip()):
        assert time.monotonic() < deadline, "no submission was graded in 400 s"
        time.sleep(0.1)
    postgres.stop()
    steps.facts["graded before the database stopped"] = len(ledger.read_text().splitlines())
    _, stderr = grading.communicate(timeout=600)
    steps.seconds["grade: run stopped by the outage"] = time.monotonic() - started
    last = stderr.strip().splitlines()[-1]
    steps.facts["outage message"] = last
    steps.facts["graded when the run stopped"] = len(ledger.read_text().splitlines())
    assert grading.returncode == 2, stderr[-3000:]
    assert re.fullmatch(r"rnncourse: The gradebook at postgresql://rnncourse:\*\*\*@\S+ "
                        r"stopped answering \(.+\) while recording \S+; everything graded so "
                        r"far is kept in \S+: start the database, then run the same command "
                        r"again to record it and grade the rest\.", last), last
    with steps("grade: again while the database is down"):
        while_down = hub.grader_run(GRADE)
    assert while_down.returncode == 2
    steps.facts["message while down"] = while_down.stderr.strip().splitlines()[-1]
    assert "cannot be reached" in steps.facts["message while down"]
    postgres.start()
    with steps("grade: the same command, database back"):
        again = hub.grader_run(GRADE)
    steps.facts["summary"] = again.stdout
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Recorded in the gradebook at postgresql://rnncourse:***@" in again.stdout
    assert re.search(r"Late: \S+-s3 submitted \d+ s after the due date; the course's late "
                     r"policy took 14 of 14 points in the gradebook\.", again.stdout), again.stdout
    assert postgres.password not in again.stdout + again.stderr + stderr
    graded = [json.loads(line)["student"] for line in ledger.read_text().splitlines()]
    assert sorted(graded) == sorted(set(graded)) and len(graded) == 3  # each graded once


def _nothing_of_others(hub: Hub, postgres: Postgres, *, intruder: str, victim: str) -> None:
    """As the intruder's own Unix account: other students' hand-ins, homes and feedback, and
    the instructor's course and gradebook, cannot be read, listed, moved or changed."""
    course = hub.exchange / COURSE
    victims_home = Path(os.path.expanduser(f"~{victim}"))
    theirs = course / "inbound" / inbound(hub, victim)[0]  # even knowing its secret name
    q = shlex.quote  # nbgrader's hand-in names hold spaces (their time stamp)
    attempts = {
        "list the exchange's inbound": f"ls {q(str(course / 'inbound'))}",
        "list released feedback": f"ls {q(str(course / 'feedback'))}",
        "move another's hand-in": f"mv {q(str(theirs))} {q(str(course / 'inbound' / 'mine'))}",
        "delete a released lesson": f"rm -rf {q(str(course / 'outbound' / ASSIGNMENT))}",
        "read another's notebook": f"cat {q(str(victims_home / ASSIGNMENT / NB))}",
        "list another's nbgrader cache": f"ls {q(str(victims_home / '.local/share/jupyter'))}",
        "read the course's settings": f"cat {q(str(hub.course_dir / 'nbgrader_config.py'))}",
        "list the collected hand-ins": f"ls {q(str(hub.course_dir))}",
        "open the gradebook": f"{postgres.bin / 'psql'} -w -h 127.0.0.1 -p {postgres.port} "
                              "-U rnncourse -d gradebook -c 'select 1'",
    }
    outcomes = {what: run_as(intruder, command, cwd="/") for what, command in attempts.items()}
    allowed = {what: (r.returncode, r.stderr[-300:]) for what, r in outcomes.items()
               if not refused(r)}
    assert allowed == {}, f"{intruder} could: {allowed}"
    own = run_as(victim, f"cat {victims_home / ASSIGNMENT / NB} > /dev/null", cwd="/")
    assert own.returncode == 0, own.stderr  # the files are there: the refusals are real
