"""Capturing a run's output: bounded in memory, streamed as it comes."""

from __future__ import annotations

import asyncio
import codecs
import os
import select
from collections.abc import Callable

_READ_SIZE = 1 << 16

DEFAULT_OUTPUT_LIMIT = 1_000_000
"""Bytes of stdout (and of stderr) kept per run; the middle of anything longer is cut."""


class BoundedCapture:
    """Keeps the first and last `limit // 2` bytes of a stream and counts what it drops.

    A run that prints 50 MB must not cost the host 50 MB, and the start and the end of the
    output are what a reader needs.
    """

    def __init__(self, limit: int = DEFAULT_OUTPUT_LIMIT) -> None:
        self._half = max(limit // 2, 1)
        self._head = bytearray()
        self._tail = bytearray()
        self._total = 0

    def add(self, data: bytes) -> None:
        """Append a chunk."""
        self._total += len(data)
        room = self._half - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            if len(self._tail) > 2 * self._half:
                del self._tail[: len(self._tail) - self._half]

    def raw(self) -> bytes:
        """The captured bytes without a note (for a capture that was never cut)."""
        return bytes(self._head) + bytes(self._tail[-self._half :])

    def text(self) -> str:
        """The captured text, with a note where the middle was cut."""
        tail = bytes(self._tail[-self._half :]) if self._tail else b""
        cut = self._total - len(self._head) - len(tail)
        head = self._head.decode("utf-8", errors="replace")
        if cut <= 0:
            return head + tail.decode("utf-8", errors="replace")
        note = f"\n[... {cut:,} bytes of output cut; {self._total:,} bytes in all ...]\n"
        return head + note + tail.decode("utf-8", errors="replace")


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
        self._between = BoundedCapture(64 * 1024)
        self._capture: BoundedCapture | None = None
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
        self._capture = BoundedCapture(limit)
        self._decoder.reset()
        self._on_text = on_text
        pending = self._between.raw()
        self._between = BoundedCapture(64 * 1024)
        if pending:
            self._emit(pending)

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
