"""Progress bars for long command-line jobs (import, export, rebuild), drawn by tqdm on stderr.

tqdm is small, has no dependencies and imports in a few milliseconds, which keeps `ledger --help`
fast; it handles terminal width, rates and time left so this module only says when to show a bar.
Bars are drawn only when stderr is a terminal: piped or logged output stays free of carriage
returns, as a Unix tool's should. Jobs under MINIMUM items finish before a bar could be read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

MINIMUM = 2000


class Bars:
    """One bar per stage of a job ("checking", "writing", ...), created when the stage first reports."""

    def __init__(self, err: TextIO, minimum: int = MINIMUM) -> None:
        self.err = err
        self.minimum = minimum
        self.shown = _is_terminal(err)
        self._bars: dict[str, Any] = {}
        self._finished: set[str] = set()

    def stage(self, label: str) -> Callable[[int, int], None]:
        """A `progress(done, total)` callback that moves the bar named `label`."""
        return lambda done, total: self.update(label, done, total)

    def update(self, label: str, done: int, total: int) -> None:
        """Move the bar named `label` to `done` of `total`; closes it when done reaches total."""
        if not self.shown or total < self.minimum or label in self._finished:
            return
        bar = self._bars.get(label)
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, desc=f"{label:8}", unit=" entries", file=self.err, leave=True,
                       dynamic_ncols=True, mininterval=0.2)
            self._bars[label] = bar
        bar.total = max(total, done)
        bar.update(done - bar.n)
        if done >= total:
            self._finish(label)

    def close(self) -> None:
        """Close every bar still open (a job that stopped early)."""
        for label in list(self._bars):
            self._finish(label)

    def _finish(self, label: str) -> None:
        bar = self._bars.pop(label, None)
        self._finished.add(label)
        if bar is not None:
            bar.close()


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
