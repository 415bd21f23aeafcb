"""The worker's end of the one door out: send a request to the host, wait for its reply.

`PipeChannel` is the subprocess worker's: frames over two inherited pipe descriptors. One
thread at a time reads them, chosen so that a request costs the thread wake-ups of a bare
pipe round trip and no more:

- Between runs the main thread reads: a command wakes it directly, and replies to requests
  that background threads of agent code still make are routed on the way.
- During a run, a plain call from the main thread (the common case: agent code calling a
  tool) reads its own reply, routing any other replies it meets.
- Otherwise (a call from another thread, or an awaited one, while the main thread runs
  code) a reader thread wakes and routes replies until the run ends: a plain call blocks
  on a lock its reply releases, an awaited call gets a future on its own event loop, so
  several requests can be in flight at once.

A timeout's SIGINT must never cut a frame in half on the main thread: while it reads, the
handler defers the interrupt (`defer_interrupt`), which wakes the read, and the
`KeyboardInterrupt` is raised once the bytes in hand are routed. Who reads is one state,
`_reading`, guarded by `_turn`; the main thread repairs a stale claim of its own, so an
interrupt between two steps can never leave a waiter with nobody reading for it.

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
from py_code_mode._runtime import protocol

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the worker ~8 ms
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import Any, Protocol

    class Channel(Protocol):
        """What the namespaces need from a channel: one request, blocking or awaitable."""

        def request(self, verb: str, args: dict[str, Any]) -> Any:
            """Send a request and block until its reply; raise the reply's error."""
            ...

        def request_async(self, verb: str, args: dict[str, Any]) -> Awaitable[Any]:
            """Send a request; the returned awaitable resolves with its reply."""
            ...

        def notify(self, verb: str, args: dict[str, Any]) -> None:
            """Send a request and do not wait: its reply, when it comes, is dropped."""
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


MAIN = "main"
THREAD = "thread"


class PipeChannel:
    """Requests to the host over frames on two pipe descriptors."""

    def __init__(
        self, read_fd: int, write_fd: int, max_frame_bytes: int = protocol.DEFAULT_MAX_FRAME_BYTES
    ) -> None:
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._max_frame_bytes = max_frame_bytes
        self._write_lock = _thread.allocate_lock()
        self._ids = itertools.count(1)
        self._waiters: dict[int, _Waiter] = {}
        self._frames = protocol.FrameBuffer()
        self._early: list[dict[str, Any]] = []  # commands read ahead by another reader
        self._main = _thread.get_ident()
        self._turn = _thread.allocate_lock()
        self._running = False  # the main thread is running a command
        self._reading: str | None = MAIN  # MAIN, THREAD, or None: nobody reads right now
        self._reader: _ReaderThread | None = None
        self._main_poll: Any = None  # made by the first read of a reply on the main thread
        self._main_wake = os.pipe()
        os.set_blocking(self._main_wake[0], False)
        self.critical = False  # the main thread holds bytes not yet routed
        self.deferred = False  # an interrupt arrived meanwhile

    def send(self, message: dict[str, Any]) -> None:
        """Write one frame; safe from any thread.

        Raises:
            FrameTooLarge: The host would refuse a frame this large; nothing was written.
        """
        with self._write_lock:
            protocol.write_frame(self._write_fd, message, self._max_frame_bytes)

    def defer_interrupt(self) -> None:
        """From the SIGINT handler while `critical`: raise once the bytes in hand are routed."""
        self.deferred = True
        os.write(self._main_wake[1], b"!")

    # --- the main thread's turns --------------------------------------------------------

    def end_run(self) -> None:
        """The main thread has finished a command: it reads the channel again from now on.

        Called before the result is sent, so that the host's next command cannot reach
        another reader first.
        """
        with self._turn:
            self._running = False
            self.deferred = False
            if self._reading == THREAD:
                assert self._reader is not None
                self._reader.pause()
            self._reading = MAIN

    def next_command(self) -> dict[str, Any] | None:
        """Between runs, on the main thread: the next command, or None when the host has gone.

        Replies that arrive meanwhile are routed to their waiters. Once a command is
        returned the main thread is running it until `end_run`.
        """
        while not self._early:
            chunk = os.read(self._read_fd, self._frames.read_size())
            if not chunk:
                return None
            self._route(chunk)
        command = self._early.pop(0)
        with self._turn:
            self._running = True
            self._reading = None
            if self._waiters:  # a background thread still waits for a reply
                self._start_reader()
        return command

    def _route(self, chunk: bytes) -> None:
        """Take in bytes read by whoever reads; route every whole frame they complete.

        Every frame, not just the first: a reply that came in the same read as a command
        must reach its waiter now, not when the run that command starts has ended.
        """
        self._frames.feed(chunk)
        while (frame := self._frames.pop()) is not None:
            if frame.get("kind") == "reply":
                self._deliver(frame)
            else:
                self._early.append(frame)

    # --- requests -----------------------------------------------------------------------

    def request(self, verb: str, args: dict[str, Any]) -> Any:
        """Send a request and block until its reply; raise the reply's error."""
        request_id = next(self._ids)
        waiter = _Waiter()
        reads_itself = False
        try:
            reads_itself = self._expect(request_id, waiter, blocking=True)
            self._send_request(request_id, verb, args)
            if reads_itself:
                while waiter.reply is None:
                    self._read_on_main()
            else:
                waiter.released.acquire()
        finally:
            self._waiters.pop(request_id, None)
            if reads_itself:
                self._hand_back()
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
        self._expect(request_id, _Waiter(loop, future), blocking=False)
        future.add_done_callback(lambda _: self._waiters.pop(request_id, None))
        try:
            self._send_request(request_id, verb, args)
        except BaseException:
            self._waiters.pop(request_id, None)
            raise
        return future

    def notify(self, verb: str, args: dict[str, Any]) -> None:
        """Send a request without waiting; its reply finds no waiter and is dropped.

        Best effort: a report that cannot be sent (too large, the host gone) is given up.
        """
        try:
            self._send_request(next(self._ids), verb, args)
        except (protocol.FrameTooLarge, OSError):
            pass

    def _send_request(self, request_id: int, verb: str, args: dict[str, Any]) -> None:
        # `main` marks requests of the run itself: when a timeout interrupts the run, the
        # host abandons those and goes on answering threads that outlive it.
        main = _thread.get_ident() == self._main
        message = {"kind": "request", "id": request_id, "verb": verb, "args": args, "main": main}
        try:
            self.send(message)
        except protocol.FrameTooLarge as exc:
            raise protocol.FrameTooLarge(
                f"{verb}() is too large to send: {exc}; send less at a time"
            ) from None

    def _expect(self, request_id: int, waiter: _Waiter, *, blocking: bool) -> bool:
        """Register a waiter and make sure someone reads its reply; True: the caller must."""
        on_main = _thread.get_ident() == self._main
        with self._turn:
            self._waiters[request_id] = waiter
            if not self._running:
                return False  # the main thread reads between runs
            if on_main and self._reading == MAIN:
                # The main thread is here, so it is not reading: its claim is stale (an
                # interrupt cut its hand-back short). Nobody reads.
                self._reading = None
            if on_main and blocking and self._reading is None:
                self._reading = MAIN
                return True
            if self._reading is None:
                self._start_reader()
            return False

    def _hand_back(self) -> None:
        """The main thread stops reading for itself; the reader thread takes over if needed."""
        with self._turn:
            if self._running and self._reading == MAIN:
                self._reading = None
                if self._waiters:
                    self._start_reader()

    def _start_reader(self) -> None:
        # Called with `_turn` held. In this order, an interrupt between two steps leaves
        # either a parked reader or a reading one, never one marked reading but asleep.
        if self._reader is None:
            self._reader = _ReaderThread(self)
        self._reader.resume()
        self._reading = THREAD

    def _read_on_main(self) -> None:
        """Wait for bytes on the main thread and route every whole frame among them."""
        if self._main_poll is None:
            import select  # deferred: only runs that make requests read here

            self._main_poll = select.poll()
            self._main_poll.register(self._read_fd, select.POLLIN)
            self._main_poll.register(self._main_wake[0], select.POLLIN)
        self.critical = True
        try:
            ready = [fd for fd, _ in self._main_poll.poll()]
            if self._read_fd in ready:
                chunk = os.read(self._read_fd, self._frames.read_size())
                if not chunk:
                    os._exit(0)  # the host has gone; see `_ReaderThread._serve`
                self._route(chunk)
        finally:
            self.critical = False
        if self.deferred:
            self.deferred = False
            try:
                os.read(self._main_wake[0], 4096)
            except BlockingIOError:
                pass
            raise KeyboardInterrupt

    # --- the reader thread's turn ---------------------------------------------------------

    def _read_for_reader(self, readable: Callable[[], bool]) -> bool:
        """One step of the reader thread: read and route what is there; False at EOF."""
        with self._turn:
            # Another reader may have taken over and read the bytes that woke us; a read
            # now must not block while holding the turn.
            if self._reading != THREAD or not readable():
                return True
            chunk = os.read(self._read_fd, self._frames.read_size())
            if not chunk:
                return False
            self._route(chunk)
        return True

    def _deliver(self, reply: dict[str, Any]) -> None:
        waiter = self._waiters.get(reply.get("id", -1))
        if waiter is None:
            return  # the caller was interrupted and stopped waiting
        if waiter.future is not None:
            waiter.loop.call_soon_threadsafe(_settle_future, waiter.future, reply)
        else:
            waiter.reply = reply
            waiter.released.release()


class _ReaderThread:
    """Reads the channel while agent code runs; parked between runs.

    It waits in `poll` on the channel and on a wake-up pipe of its own, so that the main
    thread can take the channel back at the end of a run without a frame being read by
    the wrong thread.
    """

    def __init__(self, channel: PipeChannel) -> None:
        import select  # deferred: only runs that make requests need the reader

        self._channel = channel
        self._gate: _queue.SimpleQueue[bool] = _queue.SimpleQueue()
        self._wake_read, self._wake_write = os.pipe()
        self._poll = select.poll()
        self._poll.register(channel._read_fd, select.POLLIN)
        self._poll.register(self._wake_read, select.POLLIN)
        self._poll_channel = select.poll()
        self._poll_channel.register(channel._read_fd, select.POLLIN)
        _thread.start_new_thread(self._serve, ())

    def _channel_readable(self) -> bool:
        return bool(self._poll_channel.poll(0))

    def resume(self) -> None:
        """Start reading (called with the channel's `_turn` held)."""
        self._gate.put(True)

    def pause(self) -> None:
        """Stop reading soon (called with `_turn` held, as the turn passes to the main thread)."""
        os.write(self._wake_write, b"x")

    def _serve(self) -> None:
        channel = self._channel
        while True:
            self._gate.get()
            while channel._reading == THREAD:
                ready = {fd for fd, _ in self._poll.poll()}
                if self._wake_read in ready:
                    os.read(self._wake_read, 4096)
                if channel._read_fd in ready and not channel._read_for_reader(
                    self._channel_readable
                ):
                    # The host has gone: nobody will ever read our results. Leave at once,
                    # even if agent code still runs or has started non-daemon threads.
                    os._exit(0)
