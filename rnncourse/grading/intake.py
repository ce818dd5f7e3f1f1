"""What the instructor has after a deadline, turned into one :class:`Submission` per student.

Three shapes are understood:

* nbgrader's layout, ``<folder>/<student>/<assignment>/...`` (the course's ``submitted/``);
* a folder of zip files, one per student, named ``<student>.zip`` (the notebook anywhere
  inside);
* one zip file for the whole class, as learning-management systems export it: either a
  folder per student (``<student>/...``) or files named ``<student>_<anything>`` (the
  student's id before the first underscore, as Canvas and Moodle name them).

Zip members are read into memory, never extracted, so a path such as ``../../x`` cannot
write anywhere; oversized members are refused instead of read.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from rnncourse.errors import CourseError
from rnncourse.release import LESSON_FIGURES

#: A notebook larger than this is not read (a lesson notebook with outputs is under 2 MB).
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
#: Data files a notebook may read where it was handed in (Lesson 4: the student's own data),
#: and how much of them one submission may bring.
DATA_SUFFIXES = (".csv", ".tsv")
MAX_DATA_BYTES = 50 * 1024 * 1024
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
_IGNORED_PARTS = {".ipynb_checkpoints", "__MACOSX", "__pycache__", ".DS_Store"}


@dataclass
class Submission:
    """One student's hand-in for one assignment, read but not yet graded."""

    student: str
    assignment: str
    origin: str
    #: The notebook's bytes, or ``None`` when no notebook was handed in.
    notebook: bytes | None = None
    notebook_name: str | None = None
    #: Other files handed in (names only: they are never copied next to the notebook).
    extra_files: list[str] = field(default_factory=list)
    #: CSV and TSV files beside the notebook or below its folder, by path relative to it:
    #: shown read-only next to the notebook while it runs, so it can read its own data.
    data_files: dict[str, bytes] = field(default_factory=dict)
    #: One sentence each: what about the hand-in itself needs the instructor's eye.
    notes: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        """A fingerprint of the graded notebook and its data, so a rerun knows what it
        already graded."""
        digest = hashlib.sha256(self.notebook or b"no notebook")
        for name, content in sorted(self.data_files.items()):
            digest.update(f"\0{name}\0{len(content)}\0".encode() + content)
        return digest.hexdigest()


def student_id(raw: str) -> str:
    """A student id safe as a folder name and an nbgrader id, made from a folder or file name.

    Letters, digits, '.', '_', '-' and '@' are kept; any other run of characters becomes
    one '-', so "Kim Minsu" becomes "Kim-Minsu".
    """
    name = re.sub(r"[^A-Za-z0-9._@-]+", "-", raw.strip()).strip("-._@")
    if not _SAFE_ID.match(name):
        name = "student-" + hashlib.sha256(raw.encode()).hexdigest()[:8]
    return name


def _ignored(path: PurePosixPath) -> bool:
    return any(part in _IGNORED_PARTS or part.startswith("._") for part in path.parts)


def choose_notebook(files: dict[str, bytes | None], assignment: str,
                    grade_ids: set[str] | None = None) -> tuple[str | None, list[str]]:
    """Pick the file to grade among ``files`` (relative names); returns (name, notes).

    The notebook named ``<assignment>.ipynb`` wins; a single notebook of another name is
    graded as if it were it (a renamed notebook); among several, the one holding the most
    of the assignment's grade ids.
    """
    expected = f"{assignment}.ipynb"
    notebooks = sorted((n for n in files if n.lower().endswith(".ipynb")),
                       key=lambda n: (n.count("/"), n))
    if not notebooks:
        return None, [f"No notebook was handed in (expected {expected})."]
    exact = [n for n in notebooks if PurePosixPath(n).name == expected]
    if exact:
        return exact[0], []
    if len(notebooks) == 1:
        return notebooks[0], [f"The notebook was renamed: {notebooks[0]} was graded as {expected}."]

    def matches(name: str) -> int:
        text = (files[name] or b"").decode("utf-8", errors="replace")
        return sum(f'"{grade_id}"' in text for grade_id in grade_ids or ())

    best = max(notebooks, key=matches)
    return best, [f"Several notebooks and none named {expected}: graded {best} "
                  f"(of {', '.join(notebooks)})."]


def _submission(student: str, assignment: str, origin: str, files: dict[str, bytes | None],
                grade_ids: set[str] | None) -> Submission:
    chosen, notes = choose_notebook(files, assignment, grade_ids)
    safe = student_id(student)
    if safe != student:
        notes.insert(0, f"The student id {student!r} was changed to {safe!r}.")
    submission = Submission(student=safe, assignment=assignment, origin=origin, notes=notes)
    if chosen is not None:
        content = files[chosen]
        if content is None:
            submission.notes.append(f"{chosen} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB "
                                    "and was not read.")
        else:
            submission.notebook, submission.notebook_name = content, chosen
    used = _take_data_files(submission, files, PurePosixPath(chosen).parent) if chosen else set()
    # The lesson's own diagrams (figures/*.svg) come back with a whole folder: not worth a note.
    submission.extra_files = sorted(n for n in files if n != chosen and not (
        PurePosixPath(n).parent.name == LESSON_FIGURES and n.endswith(".svg")) and n not in used)
    if submission.extra_files:
        shown = ", ".join(submission.extra_files[:5])
        hidden = len(submission.extra_files) - 5
        more = f" and {hidden} more" if hidden > 0 else ""
        submission.notes.append(f"Extra files were handed in and not used: {shown}{more}.")
    return submission


def is_data_file(name: str) -> bool:
    """A file a notebook may read where it was handed in (CSV or TSV)."""
    return name.lower().endswith(DATA_SUFFIXES)


def _take_data_files(submission: Submission, files: dict[str, bytes | None],
                     home: PurePosixPath) -> set[str]:
    """Keep the data files in the notebook's folder or below it, up to MAX_DATA_BYTES in
    all (smallest first); returns the names kept."""
    inside = sorted(((name, content) for name, content in files.items()
                     if is_data_file(name) and PurePosixPath(name).is_relative_to(home)),
                    key=lambda item: (item[1] is None, len(item[1] or b""), item[0]))
    used, total = set(), 0
    for name, content in inside:
        if content is None or total + len(content) > MAX_DATA_BYTES:
            submission.notes.append(
                f"{name} was not shown to the notebook: a submission's data files may hold "
                f"{MAX_DATA_BYTES // 2**20} MB in all.")
            continue
        total += len(content)
        submission.data_files[str(PurePosixPath(name).relative_to(home))] = content
        used.add(name)
    return used


def _read_folder(folder: Path) -> dict[str, bytes | None]:
    files: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        relative = PurePosixPath(path.relative_to(folder).as_posix())
        if path.is_symlink() or not path.is_file() or _ignored(relative):
            continue
        files[str(relative)] = _content(path.name, path.stat().st_size, path.read_bytes)
    return files


def _zip_members(archive: zipfile.ZipFile) -> Iterable[tuple[PurePosixPath, zipfile.ZipInfo]]:
    for info in archive.infolist():
        path = PurePosixPath(info.filename)
        if info.is_dir() or _ignored(path) or path.is_absolute() or ".." in path.parts:
            continue
        yield path, info


def _content(name: str, size: int, read: Callable[[], bytes]) -> bytes | None:
    """What intake keeps of a file: a notebook's or a data file's bytes (None: too large);
    of any other file, nothing (b""): it is listed by name only."""
    limit = (MAX_NOTEBOOK_BYTES if name.lower().endswith(".ipynb")
             else MAX_DATA_BYTES if is_data_file(name) else None)
    if limit is None:
        return b""
    return None if size > limit else read()


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    def read() -> bytes:
        with archive.open(info) as handle:
            return handle.read(info.file_size + 1)

    return _content(info.filename, info.file_size, read)


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise CourseError(f"{path} is not a readable zip file ({error}); export it again "
                          "from the learning-management system.") from None


def _from_student_zip(path: Path, assignment: str, grade_ids: set[str] | None) -> Submission:
    student = path.stem
    try:
        archive = _open_zip(path)
    except CourseError as error:
        return Submission(student=student_id(student), assignment=assignment,
                          origin=str(path), notes=[str(error)])
    with archive:
        files = {str(name): _read_member(archive, info) for name, info in _zip_members(archive)}
    return _submission(student, assignment, str(path), files, grade_ids)


def _from_class_zip(path: Path, assignment: str,
                    grade_ids: set[str] | None) -> list[Submission]:
    with _open_zip(path) as archive:
        members = list(_zip_members(archive))
        by_student: dict[str, dict[str, bytes | None]] = defaultdict(dict)
        foldered = all(len(name.parts) > 1 for name, _ in members) and members
        for name, info in members:
            if foldered:
                owner, rest = name.parts[0], str(PurePosixPath(*name.parts[1:]))
            else:
                owner, _, rest = name.name.partition("_")
                rest = rest or name.name
                # Canvas appends ids before the original name: "<student>_<id>_<id>_<name>".
                rest = re.sub(r"^(?:LATE_)?(?:\d+_)*", "", rest) or rest
            by_student[owner][rest] = _read_member(archive, info)
    return [_submission(owner, assignment, f"{path}:{owner}", files, grade_ids)
            for owner, files in sorted(by_student.items())]


def collect(source: Path, assignment: str, grade_ids: set[str] | None = None) -> list[Submission]:
    """Every submission for ``assignment`` found in ``source`` (a folder or a class zip)."""
    if not source.exists():
        raise CourseError(f"{source} does not exist: give the folder of submissions "
                          "(nbgrader's submitted/ or a folder of zip files) or a class zip.")
    if source.is_file():
        if source.suffix.lower() != ".zip":
            raise CourseError(f"{source} is a file but not a .zip: give a folder or a class zip.")
        return _from_class_zip(source, assignment, grade_ids)
    submissions = []
    for entry in sorted(source.iterdir()):
        if entry.name.startswith(".") or entry.name in _IGNORED_PARTS:
            continue
        if entry.is_dir():
            folder = entry / assignment
            if folder.is_dir():
                submissions.append(_submission(entry.name, assignment, str(folder),
                                               _read_folder(folder), grade_ids))
        elif entry.suffix.lower() == ".zip":
            submissions.append(_from_student_zip(entry, assignment, grade_ids))
    if not submissions:
        raise CourseError(
            f"No submission of {assignment} in {source}: expected <student>/{assignment}/ "
            "folders (nbgrader's layout) or <student>.zip files.")
    students = [s.student for s in submissions]
    twice = sorted({s for s in students if students.count(s) > 1})
    if twice:
        raise CourseError(f"Student {twice[0]} appears twice (a folder and a zip, or two names "
                          "that differ only in spaces or accents); keep one and run again.")
    return submissions
