"""Capturing a run's output: bounded in memory, streamed as it comes."""

from __future__ import annotations

import asyncio
import codecs
import os
import select
from collections.abc import Callable

from py_code_mode._process import Bounded

_READ_SIZE = 1 << 16

DEFAULT_OUTPUT_LIMIT = 1_000_000
"""Bytes of stdout (and of stderr) kept per run; the middle of anything longer is cut."""


def capture(limit: int = DEFAULT_OUTPUT_LIMIT) -> Bounded:
    """A run's capture of one stream: the first and last `limit // 2` bytes.

    A run that prints 50 MB must not cost the host 50 MB, and the start and the end of the
    output are what a reader needs.
    """
    half = max(limit // 2, 1)
    return Bounded(head=half, tail=half)


def _between() -> Bounded:
    """What a worker prints between runs, kept for the next run."""
    return capture(64 * 1024)


class PipeOutput:
    """Reads a worker's stdout or stderr pipe for as long as the worker lives.

    Bytes are read whenever the pipe is readable (so a chatty run never fills it and
    stalls) and streamed to the run's callback. A run's output needs no end marker: the
    worker flushes and finishes every write before it sends its result over the channel,
    so when the host holds the result, the rest of the run's output is already in the pipe
    and `finish` reads it without waiting. Bytes that arrive between runs (a background
    thread printing) are kept, bounded, for the next run.
    """

    def __init__(self, fd: int, name: str) -> None:
        self.name = name
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._between = _between()
        self._capture: Bounded | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._on_text: Callable[[str], None] | None = None
        self._open = True
        os.set_blocking(fd, False)
        self._loop.add_reader(fd, self._read_available)

    def begin(self, limit: int, on_text: Callable[[str], None] | None) -> None:
        """Start collecting one run's output; what arrived since the last run comes first.

        Bytes still in the pipe were written before the run started; the loop reads them
        into this run's capture, after the ones kept here, so the order holds.
        """
        self._capture = capture(limit)
        self._decoder.reset()
        self._on_text = on_text
        pending = self._between.raw()
        self._between = _between()
        if pending:
            self._emit(pending)

    def inject(self, text: str) -> None:
        """Add the host's own text (an installer's progress) to the run's output.

        Between runs nobody would read it, so it is dropped.
        """
        if self._capture is not None and text:
            self._emit(text.encode("utf-8", errors="replace"))

    def unclaimed_text(self) -> str:
        """Output that arrived outside any run (a worker that failed to start wrote it)."""
        self._read_available()
        return self._between.text()

    def finish(self, readable: bool) -> str:
        """Read what is left of the run's output (if `readable`) and return all of it.

        `finish_outputs` learns which pipes have bytes left with one system call.
        """
        if readable:
            self._read_available()
        if self._on_text is not None:
            tail = self._decoder.decode(b"", final=True)
            if tail:
                self._on_text(tail)
        capture, self._capture = self._capture, None
        self._on_text = None
        return capture.text() if capture is not None else ""

    def _read_available(self) -> None:
        while self._open:
            try:
                chunk = os.read(self._fd, _READ_SIZE)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.close()
                return
            if self._capture is None:
                self._between.add(chunk)
            else:
                self._emit(chunk)
            if len(chunk) < _READ_SIZE:
                return  # a pipe gives less than asked only when it has no more

    def _emit(self, data: bytes) -> None:
        assert self._capture is not None
        self._capture.add(data)
        if self._on_text is not None:
            text = self._decoder.decode(data)
            if text:
                self._on_text(text)

    def close(self) -> None:
        """Stop reading and close the pipe; idempotent."""
        if not self._open:
            return
        self._open = False
        if not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
        os.close(self._fd)


def finish_outputs(*outputs: PipeOutput) -> list[str]:
    """Finish several outputs at once, with one system call to learn which have bytes left."""
    open_fds = [output._fd for output in outputs if output._open]
    ready = set(select.select(open_fds, [], [], 0)[0]) if open_fds else set()
    return [output.finish(readable=output._fd in ready) for output in outputs]
