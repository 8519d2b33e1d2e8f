""""Did you mean ...?" for ids a user typed: the closest known ids, found by difflib.

difflib's ratio is the standard library's own fuzzy match; slugs are short, so its quadratic
cost does not matter and no third-party matcher is needed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ledger.errors import UnknownReference

CUTOFF = 0.6  # difflib's own default: close enough for a typo, not for a different word


def close_matches(word: str, known: Iterable[str], limit: int = 3) -> list[str]:
    """The known ids most like `word`, best first."""
    return difflib.get_close_matches(word, sorted(set(known)), n=limit, cutoff=CUTOFF)


def hint(word: str, known: Iterable[str]) -> str:
    """"; did you mean 'x'?" (or "'x' or 'y'"), or nothing when no known id is close."""
    matches = close_matches(word, known)
    if not matches:
        return ""
    return "; did you mean " + " or ".join(repr(m) for m in matches) + "?"


def unknown(message: str, word: str, known: Iterable[str], field: str) -> UnknownReference:
    """A NOT_FOUND error whose message ends with the closest known ids."""
    return UnknownReference(message + hint(word, known), field=field)
