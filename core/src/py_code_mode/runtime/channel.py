"""The worker's end of the one door out: send a request to the host, wait for its reply.

`PipeChannel` is the subprocess worker's: frames over two inherited pipe descriptors, with a
reader thread that routes each reply to whoever waits for it. Plain calls block on a lock
that the reply releases (a signal still interrupts that wait, so timeouts work); awaited
calls get a future on their own event loop, so several requests can be in flight at once.
It uses `_thread` and `_queue` rather than `threading` and `queue`, whose imports cost the
worker's start milliseconds.

Standard library only: this runs inside the worker.
"""

from __future__ import annotations

import _queue
import _thread
import itertools
import os

from py_code_mode import errors
from py_code_mode.runtime import protocol

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the worker ~8 ms
if TYPE_CHECKING:
    from collections.abc import Awaitable
    from typing import Any, Protocol

    class Channel(Protocol):
        """What the namespaces need from a channel: one request, blocking or awaitable."""

        def request(self, verb: str, args: dict[str, Any]) -> Any:
            """Send a request and block until its reply; raise the reply's error."""
            ...

        def request_async(self, verb: str, args: dict[str, Any]) -> Awaitable[Any]:
            """Send a request; the returned awaitable resolves with its reply."""
            ...


def rebuild_error(payload: dict[str, Any]) -> errors.CodeModeError:
    """Turn an error payload from the host back into our typed exception."""
    cls = errors.error_class(str(payload.get("type", ""))) or errors.CodeModeError
    return cls(str(payload.get("message", "")))


class _Waiter:
    __slots__ = ("released", "loop", "future", "reply")

    def __init__(self, loop: Any = None, future: Any = None) -> None:
        self.released = _thread.allocate_lock()  # held until the reply arrives
        self.released.acquire()
        self.loop = loop
        self.future = future
        self.reply: dict[str, Any] | None = None


def _settle_future(future: Any, reply: dict[str, Any]) -> None:
    if future.done():
        return
    if "error" in reply:
        future.set_exception(rebuild_error(reply["error"]))
    else:
        future.set_result(reply.get("value"))


class PipeChannel:
    """Requests to the host over frames on two pipe descriptors."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._write_lock = _thread.allocate_lock()
        self._ids = itertools.count(1)
        self._waiters: dict[int, _Waiter] = {}
        self.commands: _queue.SimpleQueue[dict[str, Any] | None] = _queue.SimpleQueue()

    def start(self) -> None:
        """Start the reader thread that routes replies and queues commands."""
        _thread.start_new_thread(self._read_loop, ())

    def send(self, message: dict[str, Any]) -> None:
        """Write one frame; safe from any thread."""
        with self._write_lock:
            protocol.write_frame(self._write_fd, message)

    def request(self, verb: str, args: dict[str, Any]) -> Any:
        """Send a request and block until its reply; raise the reply's error."""
        request_id = next(self._ids)
        waiter = _Waiter()
        self._waiters[request_id] = waiter
        try:
            self.send({"kind": "request", "id": request_id, "verb": verb, "args": args})
            waiter.released.acquire()
        finally:
            self._waiters.pop(request_id, None)
        reply = waiter.reply or {}
        if "error" in reply:
            raise rebuild_error(reply["error"])
        return reply.get("value")

    def request_async(self, verb: str, args: dict[str, Any]) -> Awaitable[Any]:
        """Send a request; the future resolves on the caller's loop when the reply comes."""
        import asyncio  # deferred: only awaiting code pays for asyncio

        loop = asyncio.get_running_loop()
        future = loop.create_future()
        request_id = next(self._ids)
        self._waiters[request_id] = _Waiter(loop, future)
        future.add_done_callback(lambda _: self._waiters.pop(request_id, None))
        self.send({"kind": "request", "id": request_id, "verb": verb, "args": args})
        return future

    def _read_loop(self) -> None:
        while True:
            frame = protocol.read_frame(self._read_fd)
            if frame is None:
                # The host has gone: nobody will ever read our results. Leave at once, even
                # if agent code is still running or has started non-daemon threads.
                os._exit(0)
            if frame.get("kind") == "reply":
                self._deliver(frame)
            else:
                self.commands.put(frame)

    def _deliver(self, reply: dict[str, Any]) -> None:
        waiter = self._waiters.get(reply.get("id", -1))
        if waiter is None:
            return  # the caller was interrupted and stopped waiting
        if waiter.future is not None:
            waiter.loop.call_soon_threadsafe(_settle_future, waiter.future, reply)
        else:
            waiter.reply = reply
            waiter.released.release()
