"""Plumbing every job command shares: `--batch-size`, and errors as CommandError."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import DatabaseError

from common.exceptions import DomainError


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def add_batch_size(parser, *, default: int, rows: str) -> None:
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=default,
        help=f"{rows} per transaction (default {default}).",
    )


def failure_message(what: str, error: Exception) -> str:
    """One line naming the job and the error (a database error can run long)."""
    first_line = str(error).strip().splitlines()[0] if str(error) else ""
    return f"{what} failed: {type(error).__name__}: {first_line}"


# What a job may meet that is not a bug: the database gone or refusing, or a
# domain rule (a lock timeout). Anything else is a bug and keeps its traceback.
JOB_ERRORS = (DatabaseError, DomainError)


@contextmanager
def command_errors(what: str) -> Iterator[None]:
    """Turn a job's expected failures into a CommandError: one line, exit 1."""
    try:
        yield
    except JOB_ERRORS as error:
        raise CommandError(failure_message(what, error)) from error
