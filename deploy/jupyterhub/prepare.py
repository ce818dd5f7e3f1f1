"""Make this machine ready for the class hub, or take the try-out back (run as root).

``prepare.py setup`` (what ``start`` runs first) is safe to run again; it creates only what
is missing:

* the class's Unix group and accounts: the course's owner (who runs the formgrader) and
  each student, with a home only they can read (``useradd`` would make it readable by all);
* nbgrader's exchange: a shared folder anyone may write into, and the course's folders in
  it with nbgrader's own modes, plus the sticky bit on ``inbound`` so no student can move or
  delete another's submission;
* the course folder in the owner's home, readable by the owner alone: a copy of
  ``solutions/`` (the nbgrader sources), the repository's autograder settings (for
  ``rnncourse grade``) and the course's nbgrader settings with the gradebook's URL;
* where the course's Python lives in a folder others cannot enter (a pyenv in /root), an
  access-control entry that lets the class's group (only) pass through it.

``prepare.py remove`` deletes what ``setup`` created: the accounts and their homes, the group,
the access entries, and the hub's state folder.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import shutil
import stat
import struct
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from class_settings import COURSE_ID, HERE, REPO, VENV, ClassSettings, class_settings  # noqa: E402

#: What ``setup`` created, so that ``remove`` takes back exactly that.
RECORD = "created.json"
_ACL = "system.posix_acl_access"


class SetupError(Exception):
    """Something this machine lacks, said in one sentence."""


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SetupError(f"{' '.join(command)} failed: {result.stderr.strip()}")


def _record(s: ClassSettings) -> dict:
    path = s.hub_dir / RECORD
    return json.loads(path.read_text()) if path.exists() else {"users": [], "groups": [],
                                                               "acl": []}


def _save(s: ClassSettings, record: dict) -> None:
    (s.hub_dir / RECORD).write_text(json.dumps(record, indent=1))


def ensure_accounts(s: ClassSettings, record: dict) -> None:
    """The class's group, and an account with a private home for the owner and each student."""
    try:
        grp.getgrnam(s.group)
    except KeyError:
        _run("groupadd", s.group)
        record["groups"].append(s.group)
    for user in s.unix_users:
        try:
            pwd.getpwnam(user)
        except KeyError:
            s.home_base.mkdir(parents=True, exist_ok=True)
            # HOME_MODE: Debian's useradd makes homes world-readable (UMASK 022), which would
            # show a student's notebooks and nbgrader cache to the whole class.
            _run("useradd", "--create-home", "--base-dir", str(s.home_base), "--key",
                 "HOME_MODE=0700", "--shell", "/bin/bash", "--groups", s.group, user)
            record["users"].append(user)
        else:
            _run("usermod", "--append", "--groups", s.group, user)


def _blocked_folders(target: Path) -> list[Path]:
    """Folders on the way to ``target`` that others may not pass through."""
    blocked = []
    for folder in [*reversed(target.parents)]:
        if not folder.stat().st_mode & stat.S_IXOTH:
            blocked.append(folder)
    return blocked


def grant_passage(s: ClassSettings, record: dict) -> list[Path]:
    """Let the class's group pass through the folders that hide the course's Python (a pyenv
    in /root, say) with a POSIX access-control entry; returns the folders changed."""
    gid = grp.getgrnam(s.group).gr_gid
    python = (VENV / "bin" / "python").resolve()
    changed = []
    for target in (python, REPO / ".venv", REPO / "rnncourse"):
        for folder in _blocked_folders(target):
            if any(entry["path"] == str(folder) for entry in record["acl"]):
                continue
            try:
                os.getxattr(folder, _ACL)
                raise SetupError(f"{folder} already has an access-control list: give the group "
                                 f"{s.group} passage yourself (setfacl -m g:{s.group}:x {folder})"
                                 ", then run this again.")
            except OSError:
                pass  # no list yet: the usual case
            mode = stat.S_IMODE(folder.stat().st_mode)

            def entry(tag: int, perm: int, qualifier: int = 0xFFFFFFFF) -> bytes:
                return struct.pack("<HHI", tag, perm, qualifier)

            # Owner, owning group, the class's group (pass only), mask, others: the POSIX
            # ACL's binary form, written directly so that no acl package is needed.
            acl = (struct.pack("<I", 2) + entry(0x01, (mode >> 6) & 7)
                   + entry(0x04, (mode >> 3) & 7) + entry(0x08, 1, gid)
                   + entry(0x10, ((mode >> 3) & 7) | 1) + entry(0x20, mode & 7))
            os.setxattr(folder, _ACL, acl)
            record["acl"].append({"path": str(folder), "mode": mode})
            changed.append(folder)
    return changed


def unreadable(folder: Path) -> list[Path]:
    """Files and folders under ``folder`` that other accounts cannot read or enter."""
    found = []
    for path in [folder, *folder.rglob("*")]:
        if "__pycache__" in path.parts or path.is_symlink():
            continue
        need = stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0)
        if path.stat().st_mode & need != need:
            found.append(path)
    return found


def _owned_folder(path: Path, user: str, mode: int) -> None:
    entry = pwd.getpwnam(user)
    if not path.exists():
        path.mkdir()
        os.chown(path, entry.pw_uid, entry.pw_gid)
    os.chmod(path, mode)


def ensure_exchange(s: ClassSettings) -> None:
    """nbgrader's exchange: open to all (sticky, as /tmp), the course's folders owned by the
    course's owner with nbgrader's own modes, and inbound sticky."""
    s.exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(s.exchange, 0o1777)
    course = s.exchange / COURSE_ID
    _owned_folder(course, s.grader, 0o755)
    _owned_folder(course / "inbound", s.grader, 0o1733)  # write-only; sticky: nobody else's
    _owned_folder(course / "outbound", s.grader, 0o755)
    _owned_folder(course / "feedback", s.grader, 0o711)  # pass-only: files by secret name


COURSE_SETTINGS = '''"""nbgrader settings of this course (written by {prepare}: change the
gradebook there, the policy in {policy})."""

c = get_config()  # noqa: F821

load_subconfig("{exchange}")  # noqa: F821 - the exchange, shared by the whole class
load_subconfig("{policy}")  # noqa: F821 - release, collection and the late policy
c.CourseDirectory.root = "{root}"
c.CourseDirectory.db_url = "{db_url}"
c.Exchange.root = "{exchange_root}"
'''


def ensure_course(s: ClassSettings) -> None:
    """The instructor's course folder: sources, settings, and later submissions and grades."""
    entry = pwd.getpwnam(s.grader)
    course = s.course_dir
    if not course.exists():
        course.mkdir(mode=0o700)
        shutil.copytree(REPO / "solutions", course / "solutions")
        (course / "autograder").mkdir()
        shutil.copy(REPO / "autograder" / "nbgrader_config.py", course / "autograder")
    settings = course / "nbgrader_config.py"
    settings.write_text(COURSE_SETTINGS.format(
        prepare=Path(__file__).resolve(), policy=HERE / "course_config.py",
        exchange=HERE / "jupyter" / "nbgrader_config.py", root=course, db_url=s.db_url,
        exchange_root=s.exchange))
    os.chmod(settings, 0o600)  # it holds the gradebook's password
    for folder, _, files in os.walk(course):
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        for name in files:
            os.chown(Path(folder) / name, entry.pw_uid, entry.pw_gid)
    os.chmod(course, 0o700)


def setup(s: ClassSettings) -> list[str]:
    """Everything the hub needs on this machine; returns notes for the person running it."""
    if os.geteuid() != 0:
        raise SetupError("Run this as root: every user's server runs as their own account.")
    if not (VENV / "bin" / "jupyterhub-singleuser").exists():
        raise SetupError(f"{VENV} has no JupyterHub: run .venv/bin/python -m pip install -e "
                         "'.[cpu,dev]' in the repository first.")
    if not s.students:
        raise SetupError("No students: set RNNCOURSE_STUDENTS to their user names, "
                         "comma-separated.")
    hidden = unreadable(REPO / "rnncourse")
    if hidden:  # every student's server, kernel and the grader import the package
        raise SetupError(f"{len(hidden)} file(s) of the course's package cannot be read by "
                         f"other accounts (the first: {hidden[0]}): chmod -R o+rX "
                         f"{REPO / 'rnncourse'}, then run this again.")
    s.hub_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(s.hub_dir, 0o755)
    record = _record(s)
    notes = []
    try:
        ensure_accounts(s, record)
        for folder in grant_passage(s, record):
            notes.append(f"The group {s.group} may now pass through {folder} to reach the "
                         "course's Python (an access-control entry; `start remove` takes it "
                         "back).")
        ensure_exchange(s)
        ensure_course(s)
    finally:
        _save(s, record)
    if (REPO / "solutions").stat().st_mode & stat.S_IROTH:
        notes.append(f"{REPO / 'solutions'} is readable by every account, students included: "
                     "on a real server, chmod o-rwx solutions autograder in the checkout.")
    return notes


def remove(s: ClassSettings) -> None:
    """Take back what ``setup`` created (stop the hub first)."""
    record = _record(s)
    busy = sorted(_running_users() & set(record["users"]))
    if busy:
        raise SetupError(f"{', '.join(busy)} still run processes: stop the hub (Ctrl-C where "
                         "start runs) and wait for it to exit, then run this again.")
    for user in record["users"]:
        subprocess.run(["userdel", "--remove", user], capture_output=True)
    for group in record["groups"]:
        subprocess.run(["groupdel", group], capture_output=True)
    for grant in record["acl"]:
        with contextlib.suppress(OSError):
            os.removexattr(grant["path"], _ACL)
        os.chmod(grant["path"], grant["mode"])  # the mask had become the group's bits
    shutil.rmtree(s.hub_dir, ignore_errors=True)
    if not s.exchange.is_relative_to(s.hub_dir):
        shutil.rmtree(s.exchange / COURSE_ID, ignore_errors=True)


def _running_users() -> set[str]:
    """The accounts that run a process now."""
    import psutil  # the course's .venv has it (the grader's watchdog)

    users = set()
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, KeyError):
            users.add(process.username())
    return users


def main(argv: list[str]) -> int:
    """``prepare.py setup`` or ``prepare.py remove``."""
    action = argv[0] if argv else "setup"
    s = class_settings()
    try:
        if action == "setup":
            for note in setup(s):
                print(f"note: {note}")
        elif action == "remove":
            remove(s)
        else:
            print("usage: prepare.py setup | remove", file=sys.stderr)
            return 2
    except SetupError as error:
        print(f"prepare: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
