"""``python -m rnncourse.diagrams [FOLDER]``: redraw the diagrams into the repository's
``figures/`` folder (or FOLDER), rewriting only those that changed."""

from __future__ import annotations

import sys
from pathlib import Path

from rnncourse.diagrams import NAMES, write_all
from rnncourse.errors import CourseError
from rnncourse.i18n import LANGUAGES

#: The repository's figures folder, when this package runs from a checkout.
REPOSITORY = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    """Write the figures and print each file written; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        print("Usage: python -m rnncourse.diagrams [FOLDER]", file=sys.stderr)
        return 2
    if args:
        folder = Path(args[0])
    elif (REPOSITORY / "pyproject.toml").is_file():
        folder = REPOSITORY / "figures"
    else:
        raise CourseError("rnncourse is not running from a checkout of the course: "
                          "give the folder to write, as in `python -m rnncourse.diagrams DIR`.")
    written = write_all(folder)
    for path in written:
        print(f"wrote {path}")
    total = len(NAMES) * len(LANGUAGES)
    print(f"{folder}: {len(written)} of {total} diagrams rewritten, the rest were up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
