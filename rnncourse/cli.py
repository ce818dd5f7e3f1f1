"""The ``rnncourse`` command: data download, lesson release and the student bundle."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rnncourse.errors import CourseError


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
    from rnncourse.release import course_root, release

    root = course_root()
    for path in release(root, args.assignments or None):
        print(f"wrote {path.relative_to(root)}")
    return 0


def _check_release(args: argparse.Namespace) -> int:
    from rnncourse.release import course_root, stale_lessons

    problems = stale_lessons(course_root())
    for line in problems:
        print(line)
    if problems:
        print("lessons/ is out of date: run `rnncourse release` and commit the result.")
        return 1
    print("lessons/ matches solutions/.")
    return 0


def _bundle(args: argparse.Namespace) -> int:
    from rnncourse.bundle import build_bundle
    from rnncourse.release import course_root

    root = course_root()
    out = Path(args.out) if args.out else root / "dist"
    bundle = build_bundle(root, out, force=args.force, say=print)
    print(f"wrote {bundle.folder} ({len(bundle.files)} files) and {bundle.archive}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, exposed for tests and documentation."""
    parser = argparse.ArgumentParser(prog="rnncourse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    data = commands.add_parser("data", help="download and verify AG News, or check a local folder")
    data.add_argument("--dir", help="a folder holding train.csv and test.csv (else the cache)")
    data.set_defaults(run=_data)
    rel = commands.add_parser("release", help="regenerate lessons/ from solutions/ with nbgrader")
    rel.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    rel.set_defaults(run=_release)
    check = commands.add_parser("check-release", help="fail if lessons/ is out of date")
    check.set_defaults(run=_check_release)
    bundle = commands.add_parser(
        "bundle", help="build what students receive: DIR/rnncourse-student/ and its zip")
    bundle.add_argument("--out", metavar="DIR", help="where to write it (default: dist/)")
    bundle.add_argument("--force", action="store_true", help="replace an existing bundle")
    bundle.set_defaults(run=_bundle)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rnncourse`` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CourseError as error:
        print(f"rnncourse: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
