"""Which skips are fine under CI=true: the one list is tests/skips.txt (tests/unit/skip.hpp reads
the same file for the doctest suites).

Skips count as passes, so a CI run that could not reach what a test needs would pass without having
tested. Under CI=true a skip is therefore a failure unless tests/skips.txt names it. Each line of
that file is `<pattern> | <why the skip is fine>`; the pattern is a shell-style glob (`*`, `?`)
matched against `<test id>: <skip reason>`. Outside CI a skip stays a skip, with its message.
Only the standard library, so the conformance runners can import it without the harness."""

import fnmatch
import os
import sys
from pathlib import Path

SKIPS_FILE = Path(__file__).resolve().parent / "skips.txt"


def under_ci():
    return os.environ.get("CI", "").strip().lower() == "true"


def allowed_skips(path=SKIPS_FILE):
    """[(pattern, why)] from tests/skips.txt. A line without a reason is an error: the list is
    where the reason is written down."""
    out = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pattern, sep, why = line.partition(" | ")
            if not sep or not pattern.strip() or not why.strip():
                raise ValueError(f"{path}:{number}: expected `<pattern> | <why the skip is fine>`")
            out.append((pattern.strip(), why.strip()))
    return out


def allowed(test_id, reason, path=SKIPS_FILE):
    """The entry of tests/skips.txt that allows this skip, or None."""
    subject = f"{test_id}: {reason}"
    for pattern, why in allowed_skips(path):
        if fnmatch.fnmatchcase(subject, pattern):
            return pattern, why
    return None


def unexpected(test_id, reason):
    """The failure message for a skip under CI=true that the list does not allow; None when the skip
    may stand (not under CI, or listed)."""
    if not under_ci() or allowed(test_id, reason):
        return None
    return (f"unexpected skip under CI=true: {test_id}: {reason} "
            f"(add it to tests/skips.txt with a reason if it is fine)")


def skip_exit(test_id, reason):
    """For runners that exit 77 to skip: prints the skip and returns 77, or under CI=true, unless the
    list allows it, prints why and returns 1."""
    message = unexpected(test_id, reason)
    if message:
        print(message, file=sys.stderr)
        return 1
    print(f"SKIP: {reason}")
    return 77
