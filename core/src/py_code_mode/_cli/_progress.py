"""Progress of long commands on stderr: redrawn in place on a terminal, lines elsewhere.

Store commands count items, quiet unless asked for (``--progress``) or stderr is a
terminal, so scripts and logs see only the result. Installs stream the installer's own
lines (`StreamedLines`).
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


class StreamedLines:
    """A long command's own output as it comes (an install's lines), on stderr.

    On a terminal, one status line is redrawn in place with the latest line of the tool,
    and our own lines (not indented) stay; elsewhere, every line is printed as it comes, so
    a log keeps the whole install. Either way nothing is swallowed while the user waits.

    Args:
        stream: Where to write.
        live: Redraw in place (a terminal) instead of printing every line.
        width: Columns of the terminal; a redrawn line is cut to fit.
    """

    _SPINNER = "|/-\\"

    def __init__(self, stream: TextIO, *, live: bool, width: int = 80) -> None:
        self._stream = stream
        self._live = live
        self._width = max(width, 20)
        self._pending = ""
        self._drawn = False
        self._turns = 0

    def __call__(self, text: str) -> None:
        """Take a chunk of output; whole lines are shown, a partial one waits for its end."""
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._show(line)
        self._stream.flush()

    def finish(self) -> None:
        """Show a last partial line and leave the terminal's cursor on a clean line."""
        if self._pending:
            self._show(self._pending)
            self._pending = ""
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._drawn = False
        self._stream.flush()

    def _show(self, line: str) -> None:
        if not self._live:
            self._stream.write(line + "\n")
            return
        if not line.startswith(" "):  # our own line: it stays
            self._stream.write(("\r\x1b[K" if self._drawn else "") + line + "\n")
            self._drawn = False
            return
        self._turns += 1
        spin = self._SPINNER[self._turns % len(self._SPINNER)]
        status = f"{spin} {line.strip()}"[: self._width - 1]
        self._stream.write(f"\r\x1b[K{status}")
        self._drawn = True
