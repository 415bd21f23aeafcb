"""Capturing a run's output: bounded in memory, streamed as it comes, split at end markers."""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import Callable

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

    def text(self) -> str:
        """The captured text, with a note where the middle was cut."""
        tail = bytes(self._tail[-self._half :]) if self._tail else b""
        cut = self._total - len(self._head) - len(tail)
        head = self._head.decode("utf-8", errors="replace")
        if cut <= 0:
            return head + tail.decode("utf-8", errors="replace")
        note = f"\n[... {cut:,} bytes of output cut; {self._total:,} bytes in all ...]\n"
        return head + note + tail.decode("utf-8", errors="replace")


class MarkedStream:
    """Reads a worker's stdout or stderr pipe for as long as the worker lives.

    Each run's output ends at a marker the worker writes when the run is done; bytes after
    it (a background thread printing between runs) are kept for the next run.
    """

    def __init__(self, reader: asyncio.StreamReader, name: str) -> None:
        self._reader = reader
        self.name = name
        self._marker = b""
        self._carry = b""
        self._capture: BoundedCapture | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._on_text: Callable[[str], None] | None = None
        self._ended = asyncio.Event()
        self._eof = False
        self._task = asyncio.create_task(self._pump())

    def begin(self, marker: bytes, limit: int, on_text: Callable[[str], None] | None) -> None:
        """Start collecting one run's output, up to `marker`."""
        self._marker = marker
        self._capture = BoundedCapture(limit)
        self._decoder.reset()
        self._on_text = on_text
        self._ended.clear()
        pending, self._carry = self._carry, b""
        if self._eof:
            self._ended.set()
        if pending:
            self._feed(pending)

    def unclaimed_text(self) -> str:
        """Output that arrived outside any run (a worker that failed to start wrote it)."""
        return self._carry.decode("utf-8", errors="replace")

    async def finish(self, timeout: float) -> str:
        """Wait (bounded) for the run's marker and return what the run wrote."""
        try:
            await asyncio.wait_for(self._ended.wait(), timeout)
        except TimeoutError:
            pass  # the worker died or closed the stream: return what arrived
        capture, self._capture = self._capture, None
        self._on_text = None
        return capture.text() if capture is not None else ""

    async def _pump(self) -> None:
        while True:
            chunk = await self._reader.read(1 << 16)
            if not chunk:
                self._eof = True
                self._ended.set()
                return
            self._feed(chunk)

    def _feed(self, chunk: bytes) -> None:
        if self._capture is None or self._ended.is_set():
            self._carry += chunk
            return
        data = self._carry + chunk
        self._carry = b""
        index = data.find(self._marker)
        if index >= 0:
            self._emit(data[:index])
            self._carry = data[index + len(self._marker) :]
            self._ended.set()
            return
        # Hold back bytes that could be the start of a marker split across two reads.
        safe_end = max(len(data) - (len(self._marker) - 1), 0)
        while safe_end < len(data) and not self._marker.startswith(data[safe_end:]):
            safe_end += 1
        self._emit(data[:safe_end])
        self._carry = data[safe_end:]

    def _emit(self, data: bytes) -> None:
        if not data or self._capture is None:
            return
        self._capture.add(data)
        if self._on_text is not None:
            text = self._decoder.decode(data)
            if text:
                self._on_text(text)

    async def close(self) -> None:
        """Stop reading."""
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
