"""Progress of long store commands on stderr: a counter on a terminal, lines elsewhere.

Quiet unless asked for (``--progress``) or stderr is a terminal, so scripts and logs see
only the result.
"""

from __future__ import annotations

import math
from typing import TextIO


class Progress:
    """Counts done/total per step, e.g. ``pushed 120/500 skills``.

    Args:
        stream: Where to write, or None to stay silent.
        live: Redraw one line in place (a terminal) instead of printing a line per tenth.
    """

    def __init__(self, stream: TextIO | None, *, live: bool = False) -> None:
        self._stream = stream
        self._live = live

    @property
    def enabled(self) -> bool:
        """Whether anything is shown."""
        return self._stream is not None

    def update(self, verb: str, kind: str, done: int, total: int) -> None:
        """Report that `done` of `total` items of `kind` are done."""
        stream = self._stream
        if stream is None or total <= 0:
            return
        line = f"{verb} {done}/{total} {kind}"
        if self._live:
            stream.write(f"\r\x1b[K{line}" + ("\n" if done >= total else ""))
        elif done >= total or done % math.ceil(total / 10) == 0:
            stream.write(line + "\n")
        stream.flush()
