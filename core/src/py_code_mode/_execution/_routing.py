"""Per-thread capture of `sys.stdout`/`sys.stderr` for in-process runs.

`sys.stdout` is one global, so capturing one thread's prints means replacing it with a
router that sends each write to the sink of the writing thread, or to the original stream
for every other thread. The router is in place only while some in-process run is active;
the last run to finish puts the host's own streams back. A thread abandoned after a
timeout is silenced: what it prints goes nowhere, never to the host's console, and the
router stays in place until that thread finishes its code (if it ever does).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TextIO

Sink = Callable[[Literal["stdout", "stderr"], str], None]


class _RoutedStream:
    def __init__(
        self, original: TextIO, name: Literal["stdout", "stderr"], sinks: dict[int, Sink]
    ) -> None:
        self._original = original
        self._name = name
        self._sinks = sinks

    def write(self, text: str) -> int:
        sink = self._sinks.get(threading.get_ident())
        if sink is None:
            return self._original.write(text)
        sink(self._name, text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if threading.get_ident() not in self._sinks:
            self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def _discard(stream: Literal["stdout", "stderr"], text: str) -> None:
    """The sink of a silenced thread."""


class OutputRouter:
    """Installs the routing streams while at least one capture is active."""

    _lock = threading.Lock()
    _sinks: dict[int, Sink] = {}
    _installed: tuple[Any, Any, Any, Any] | None = None

    @contextmanager
    def capture(self, sink: Sink) -> Iterator[None]:
        """Send this thread's writes to `sink` for the duration of the block."""
        ident = threading.get_ident()
        with self._lock:
            self._sinks[ident] = sink
            self._install()
        try:
            yield
        finally:
            self.release(ident)

    def silence(self, ident: int | None) -> None:
        """Discard a thread's writes from now on (one abandoned after a timeout)."""
        with self._lock:
            if ident is not None and ident in self._sinks:
                self._sinks[ident] = _discard

    def release(self, ident: int | None) -> None:
        """Stop capturing for a thread (also one that was abandoned and still runs)."""
        with self._lock:
            if self._sinks.pop(ident or 0, None) is not None:
                self._uninstall()

    @classmethod
    def _install(cls) -> None:
        installed = cls._installed
        if installed is not None and (
            sys.stdout is not installed[2] or sys.stderr is not installed[3]
        ):
            # Someone swapped the streams since (a test runner, a notebook, the host): our
            # routers are no longer in place, so route the streams that are.
            installed = cls._installed = None
        if installed is None:
            out = _RoutedStream(sys.stdout, "stdout", cls._sinks)
            err = _RoutedStream(sys.stderr, "stderr", cls._sinks)
            cls._installed = (sys.stdout, sys.stderr, out, err)
            sys.stdout, sys.stderr = out, err

    @classmethod
    def _uninstall(cls) -> None:
        if not cls._sinks and cls._installed is not None:
            original_out, original_err, out, err = cls._installed
            # Put back only what is still ours: someone else may have replaced it since.
            if sys.stdout is out:
                sys.stdout = original_out
            if sys.stderr is err:
                sys.stderr = original_err
            cls._installed = None
