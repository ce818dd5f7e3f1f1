"""The ``rnncourse`` command: data, lesson release, translations, the bundle and grading."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rnncourse.errors import CourseError
from rnncourse.i18n.language import LANGUAGES, SOURCE_LANGUAGE


def _data(args: argparse.Namespace) -> int:
    from rnncourse.data import fetch_ag_news_file, find_data_dir, load_ag_news

    folder = find_data_dir(args.dir)
    for split in ("train", "test"):
        if folder is None:
            path = fetch_ag_news_file(split)
            print(f"{split}: {path} (checksum verified)")
        data = load_ag_news(split, folder)
        print(f"{split}: {len(data):,} articles, {data.class_counts()}")
    return 0


def _release(args: argparse.Namespace) -> int:
    from rnncourse.i18n.catalogs import catalog_names, catalog_problems
    from rnncourse.i18n.editions import TRANSLATIONS
    from rnncourse.release import course_root, release

    root = course_root()
    for path in release(root, args.assignments or None):
        print(f"wrote {path.relative_to(root)}")
    missing = sum(len(catalog_problems(root, name, language))
                  for language in TRANSLATIONS for name in catalog_names(root))
    if missing:
        print(f"note: {missing} texts have no current translation and stay English in the "
              "translated editions; `rnncourse translations status` lists them.")
    return 0


def _check_release(args: argparse.Namespace) -> int:
    from rnncourse.release import course_root, stale_lessons

    problems = stale_lessons(course_root())
    for line in problems:
        print(line)
    if problems:
        print("lessons/ is out of date or not fully translated: run `rnncourse release` (and "
              "`rnncourse translations update`) and commit the result.")
        return 1
    print("lessons/ matches solutions/ and every translation is current.")
    return 0


def _translations(args: argparse.Namespace) -> int:
    from rnncourse.i18n.catalogs import (
        catalog_names,
        catalog_path,
        catalog_problems,
        catalog_status,
        extract,
        read_catalog,
        update_catalogs,
    )
    from rnncourse.i18n.editions import TRANSLATIONS
    from rnncourse.release import course_root

    root = course_root()
    languages = [args.language] if args.language else list(TRANSLATIONS)
    if args.action == "update":
        changed = update_catalogs(root, languages)
        for path in changed:
            print(f"wrote {path.relative_to(root)}")
        if not changed:
            print("The catalogs already match solutions/.")
    incomplete = False
    for language in languages:
        for name in catalog_names(root):
            problems = catalog_problems(root, name, language)
            incomplete = incomplete or bool(problems)
            path = catalog_path(root, name, language)
            if path.exists() and not any("cannot be read" in p for p in problems):
                print(catalog_status(extract(root, name), read_catalog(path, root, language),
                                     name, language))
            if args.action == "status":
                for problem in problems:
                    print(f"  {problem}")
    return 1 if incomplete and args.action == "status" else 0


def _bundle(args: argparse.Namespace) -> int:
    from rnncourse.bundle import build_bundle
    from rnncourse.release import course_root

    root = course_root()
    out = Path(args.out) if args.out else root / "dist"
    bundle = build_bundle(root, out, force=args.force, say=print)
    print(f"wrote {bundle.folder} ({len(bundle.files)} files) and {bundle.archive}")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from rnncourse.grading.run import grade_class
    from rnncourse.grading.worker import Limits
    from rnncourse.release import course_root

    root = course_root()
    out = Path(args.out) if args.out else Path.cwd() / "graded" / args.assignment
    limits = Limits(cell_seconds=args.cell_timeout, notebook_seconds=args.notebook_timeout,
                    memory_bytes=int(args.memory * 2**30), sandbox=not args.no_sandbox)
    if args.scheduler and args.cluster:
        raise CourseError("Give either --scheduler (an existing Dask cluster) or --cluster local, "
                          "not both.")
    scheduler = args.scheduler or args.cluster
    db_url = args.db_url
    if db_url == "":  # --db-url alone: the course's own, from its nbgrader settings
        from rnncourse.grading.gradebook import course_db_url

        db_url = course_db_url()
    run = grade_class(root, args.assignment, Path(args.submissions), out, workers=args.workers,
                      limits=limits, scheduler=scheduler, db_url=db_url)
    print(run.summary)
    print(f"Grades: {out / 'grades.csv'}; feedback: {out / 'feedback'}; gradebook: "
          f"{out / 'gradebook.db'}")
    return 0


def _check_sandbox(args: argparse.Namespace) -> int:
    from rnncourse.grading.sandbox import check

    print(check())
    return 0


def _mistakes(args: argparse.Namespace) -> int:
    from rnncourse.checks.mistakes import catalogue_text
    from rnncourse.i18n import set_language

    set_language(args.language)
    print(catalogue_text())
    return 0


def _lab(args: argparse.Namespace) -> int:
    from rnncourse.lab import launch

    launch(args.jupyter_args, instructor=args.instructor)
    return 0  # not reached: launch() becomes JupyterLab


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, exposed for tests and documentation."""
    parser = argparse.ArgumentParser(prog="rnncourse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    data = commands.add_parser("data", help="download and verify AG News, or check a local folder")
    data.add_argument("--dir", help="a folder holding train.csv and test.csv (else the cache)")
    data.set_defaults(run=_data)
    rel = commands.add_parser(
        "release", help="regenerate lessons/en (nbgrader) and lessons/ko from solutions/")
    rel.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    rel.set_defaults(run=_release)
    check = commands.add_parser(
        "check-release", help="fail if lessons/ is out of date or a translation is not current")
    check.set_defaults(run=_check_release)
    translate = commands.add_parser(
        "translations", help="the gettext catalogs of the notebooks' prose (locale/)")
    translate.add_argument(
        "action", choices=("update", "status"),
        help="update: re-extract locale/*.pot from solutions/ and merge every .po into it; "
             "status: list what is not translated yet (exit 1 if anything)")
    translate.add_argument("--language", choices=[lang for lang in LANGUAGES
                                                  if lang != SOURCE_LANGUAGE],
                           help="one language (default: every translation)")
    translate.set_defaults(run=_translations)
    bundle = commands.add_parser(
        "bundle", help="build what students receive: DIR/rnncourse-student/ and its zip")
    bundle.add_argument("--out", metavar="DIR", help="where to write it (default: dist/)")
    bundle.add_argument("--force", action="store_true", help="replace an existing bundle")
    bundle.set_defaults(run=_bundle)
    grade = commands.add_parser(
        "grade", help="autograde a whole class in parallel: grades CSV, feedback, summary")
    grade.add_argument("assignment", help="the assignment, e.g. 01-rnn-pytorch")
    grade.add_argument("submissions", help="nbgrader's submitted/ folder, a folder of "
                       "<student>.zip files, or a class zip exported by the LMS")
    grade.add_argument("--out", metavar="DIR",
                       help="where results go (default: graded/<assignment>); a rerun resumes")
    grade.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                       help="notebooks graded at once (default: one per CPU core); with "
                            "--cluster local, the number of Dask worker processes")
    grade.add_argument("--cell-timeout", type=int, default=600, metavar="S",
                       help="seconds one cell may run before it is interrupted (default 600)")
    grade.add_argument("--notebook-timeout", type=int, default=1800, metavar="S",
                       help="seconds one notebook may take in all (default 1800)")
    grade.add_argument("--memory", type=float, default=4.0, metavar="GB",
                       help="memory one notebook's kernel may use (default 4 GB)")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="grade without the bubblewrap sandbox (unsafe: student code can read "
                            "and change your files); the CSV, ledger and summary say so")
    grade.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on an existing Dask cluster, e.g. tcp://HOST:8786 (each worker "
                            "needs the course's environment and bubblewrap)")
    grade.add_argument("--cluster", choices=["local"],
                       help="local: grade on a Dask LocalCluster of --workers processes")
    grade.add_argument("--db-url", metavar="URL", nargs="?", const="",
                       help="also record every result in the course's nbgrader gradebook at URL "
                            "(e.g. postgresql://user:password@host/gradebook), or, given alone, "
                            "at the db_url of the nbgrader settings in the working folder (no "
                            "password on the command line), with the submission's time and the "
                            "late penalty those settings choose; if the database stops "
                            "answering, the run stops and the same command resumes")
    grade.set_defaults(run=_grade)
    lab = commands.add_parser(
        "lab", help="open JupyterLab on lessons/ with the course's Validate settings and "
                    "students' tools only; other options go to jupyter lab (e.g. --port 8899)")
    lab.add_argument("--instructor", action="store_true",
                     help="keep nbgrader's Formgrader, Create Assignment and course list")
    lab.set_defaults(run=_lab)
    sandbox = commands.add_parser(
        "check-sandbox", help="prove that the grading sandbox (bubblewrap) works on this machine")
    sandbox.set_defaults(run=_check_sandbox)
    mistakes = commands.add_parser(
        "mistakes", help="list the classic mistakes the checks name, as the grading summary "
                         "counts them")
    mistakes.add_argument("--language", default="en", choices=LANGUAGES,
                          help="the language of the titles (default: en)")
    mistakes.set_defaults(run=_mistakes)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rnncourse`` command."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command == "lab":
        args.jupyter_args = unknown
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.run(args)
    except CourseError as error:
        print(f"rnncourse: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
