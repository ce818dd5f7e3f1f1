"""Exceptions the course raises on purpose, each with a one-sentence message."""

from __future__ import annotations


class CourseError(Exception):
    """Base class: something the user can fix, explained in one sentence."""


class DataError(CourseError):
    """A data file is missing, corrupt or cannot be downloaded."""


class CheckFailed(AssertionError):
    """A student's implementation differs from the reference; the message says how."""
