"""Child processes, one way everywhere: the worker, tool commands and the package installer.

Every child leads a process group of its own (a new session), so killing the group ends
whatever it started too; its output is kept bounded, and how it ended is named the same way
in every error. `Command` runs a short-lived command to completion on the event loop:
spawned with `subprocess.Popen` on the loop's thread (as asyncio's own subprocess support
does), its pipes read by loop callbacks and its exit seen through a pidfd, so a command
costs no thread hop (measured on `echo`, asyncio's watcher and pipe transports add ~0.4 ms
to a bare spawn, and every hop between threads ~0.05 ms). Where pidfds are missing (not
Linux, or a sandbox that forbids them), a worker thread with a selector does the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from py_code_mode._runtime.lifeline import kill_tree

__all__ = [
    "Bounded",
    "Command",
    "Lines",
    "Sink",
    "describe_exit",
    "kill_group",
    "kill_tree",
    "spawn",
]

_CHUNK = 64 * 1024


def describe_exit(returncode: int | None) -> str:
    """How a process ended, in words: ``exit status 1``, ``killed by SIGKILL``."""
    if returncode is None:
        return "it stopped answering"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal a child's whole process group (it leads one); quiet if it is already gone."""
    if sys.platform == "win32":  # pragma: no cover - no process groups to signal
        with contextlib.suppress(OSError):
            os.kill(pid, sig)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def spawn(
    argv: Sequence[str],
    *,
    stdout: int,
    stderr: int,
    cwd: Path | None,
    env: Mapping[str, str],
    pass_fds: Sequence[int] = (),
) -> asyncio.subprocess.Process:
    """Start a long-lived child (a worker) the way every child starts.

    A process group of its own, so `kill_group` ends whatever it starts; stdin is
    /dev/null, never the host's (under a stdio MCP server that is the protocol stream);
    only the environment given, and only the descriptors in `pass_fds` besides its output.
    """
    return await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        cwd=cwd,
        env=dict(env),
        pass_fds=tuple(pass_fds),
        start_new_session=True,
    )


class Sink(Protocol):
    """Where a command's output goes, chunk by chunk, as it is read."""

    def add(self, chunk: bytes) -> None:
        """Take one chunk."""
        ...


class Bounded:
    """The first `head` and the last `tail` bytes of a stream, counting what falls between.

    Output is kept bounded wherever it comes from: a command that prints 50 MB must not
    cost the host 50 MB, and the start and the end are what a reader needs.
    """

    def __init__(self, *, head: int = 0, tail: int = 0) -> None:
        self._head_limit = head
        self._tail_limit = tail
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0
        """Every byte ever added, kept or not."""

    def add(self, chunk: bytes) -> None:
        """Append a chunk."""
        self.total += len(chunk)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        if chunk and self._tail_limit:
            self._tail += chunk
            if len(self._tail) > 2 * self._tail_limit:
                del self._tail[: -self._tail_limit]

    @property
    def head(self) -> bytes:
        """The first bytes, up to `head`."""
        return bytes(self._head)

    @property
    def tail(self) -> bytes:
        """The last bytes after the head, up to `tail`."""
        return bytes(self._tail[-self._tail_limit :]) if self._tail else b""

    @property
    def dropped(self) -> int:
        """Bytes kept neither in the head nor in the tail."""
        return self.total - len(self._head) - min(len(self._tail), self._tail_limit)

    def raw(self) -> bytes:
        """The kept bytes, head then tail, without a note."""
        if not self.total:  # the common case of a run: nothing printed
            return b""
        return self.head + self.tail

    def text(self) -> str:
        """The kept text, with a note where the middle was cut."""
        if not self.total:
            return ""
        head = self._head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        dropped = self.dropped
        if dropped <= 0:
            return head + tail
        note = f"\n[... {dropped:,} bytes of output cut; {self.total:,} bytes in all ...]\n"
        return head + note + tail


class Lines:
    """Hands each line of a stream to `emit` as it arrives, however long the line."""

    def __init__(self, emit: Callable[[str], None], *, longest: int = _CHUNK) -> None:
        self._emit = emit
        self._longest = longest
        self._pending = b""

    def add(self, chunk: bytes) -> None:
        """Take a chunk; emit the lines it completes."""
        self._pending += chunk
        *complete, self._pending = self._pending.split(b"\n")
        for raw in complete:
            self._emit(_decode(raw))
        if len(self._pending) > self._longest:
            self._emit(_decode(self._pending))
            self._pending = b""

    def close(self) -> None:
        """Emit a last line that had no newline."""
        if self._pending:
            self._emit(_decode(self._pending))
            self._pending = b""


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip("\r")


class Command:
    """One command run to completion, in a process group of its own, output to sinks.

    Args:
        argv: The command and its arguments (never a shell).
        stdout: Where stdout goes.
        stderr: Where stderr goes; None sends it to `stdout`, interleaved.
        stdin: Bytes for stdin, or None for an empty, closed stdin (never the host's: under
            a stdio MCP server that is the protocol stream).
        cwd: The working directory; None for the host's.
        env: The whole environment; None for the host's.
        timeout: Seconds before the command counts as timed out (and `run` gives up).
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        stdout: Sink,
        stderr: Sink | None = None,
        stdin: bytes | None = None,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float,
    ) -> None:
        self.argv = tuple(argv)
        self.stdout = stdout
        self.stderr = stderr
        self.stdin = stdin
        self.cwd = cwd
        self.env = env
        self.timeout = timeout
        self.returncode: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._done = False

    async def run(self) -> bool:
        """Spawn, feed stdin, collect output; False if the timeout ran out first.

        The command is killed (with its group) before this returns or raises, unless it
        ended by itself; a cancelled call kills it too.

        Raises:
            OSError: The command could not start (`FileNotFoundError` for a missing
                executable, `PermissionError` for one that is not executable).
        """
        try:
            return await self._run()
        finally:
            self.kill()

    async def _run(self) -> bool:
        deadline = time.monotonic() + self.timeout
        process = self._process = self._start()
        pidfd = _pidfd(process)
        if pidfd is None:
            return await asyncio.to_thread(self._finish_blocking, process, deadline)
        try:
            exchange = _LoopExchange(process, pidfd, self.stdin, self.stdout, self.stderr)
            finished = await exchange.wait(deadline)
        finally:
            os.close(pidfd)
            self._reap(process)
        return finished

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE if self.stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if self.stderr is not None else subprocess.STDOUT,
            cwd=self.cwd,
            env=self.env,
            start_new_session=True,
        )

    def _finish_blocking(self, process: subprocess.Popen[bytes], deadline: float) -> bool:
        """The worker-thread way, where there is no pidfd to wait on."""
        try:
            finished = _exchange(process, self.stdin, self.stdout, self.stderr, deadline)
            if finished:
                try:
                    process.wait(timeout=max(deadline - time.monotonic(), 0.0))
                except subprocess.TimeoutExpired:
                    finished = False
        finally:
            if process.returncode is None:
                kill_group(process.pid)
            with process:  # closes the pipes and reaps the process
                pass
            self.returncode = process.returncode
            self._done = True
        return finished

    def _reap(self, process: subprocess.Popen[bytes]) -> None:
        """Close the pipes and collect the exit status, killing the command if it still runs."""
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if process.poll() is None:
            kill_group(process.pid)
            # SIGKILL takes effect at once, but the zombie may take a moment to appear:
            # reap it off the loop rather than block here.
            threading.Thread(target=process.wait, name="pcm-reap", daemon=True).start()
        self.returncode = process.returncode
        self._done = True

    def kill(self) -> None:
        """Kill the command's process group unless it already ended; safe from any thread."""
        process = self._process
        if process is not None and not self._done:
            kill_group(process.pid)


def _pidfd(process: subprocess.Popen[bytes]) -> int | None:
    """A descriptor that becomes readable when `process` exits, where the OS has one."""
    global _PIDFD_WORKS
    if not _PIDFD_WORKS:
        return None
    try:
        return os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        _PIDFD_WORKS = False  # not Linux >= 5.3, or a sandbox forbids it: never ask again
        return None


_PIDFD_WORKS = hasattr(os, "pidfd_open")


class _LoopExchange:
    """Feeds stdin and reads the outputs in loop callbacks until the command has ended.

    Ended means exited (the pidfd is readable) and every output at end of file: a command
    that leaves a background child holding its stdout is waited for, as `subprocess.run`
    would, up to the timeout.
    """

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        pidfd: int,
        stdin: bytes | None,
        stdout: Sink,
        stderr: Sink | None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._done: asyncio.Future[bool] = self._loop.create_future()
        self._pidfd = pidfd
        self._exited = False
        self._readers: dict[int, Sink] = {}
        self._writer: int | None = None
        self._pending = memoryview(stdin or b"")
        self._stdin = process.stdin
        for stream, sink in ((process.stdout, stdout), (process.stderr, stderr)):
            if stream is not None and sink is not None:
                fd = stream.fileno()
                os.set_blocking(fd, False)
                self._readers[fd] = sink
                self._loop.add_reader(fd, self._read, fd)
        if process.stdin is not None:
            self._writer = process.stdin.fileno()
            os.set_blocking(self._writer, False)
            self._loop.add_writer(self._writer, self._write)
        self._loop.add_reader(pidfd, self._exit)

    async def wait(self, deadline: float) -> bool:
        """True once the command has ended, False at the deadline; always unhooks the loop."""
        timer = self._loop.call_at(
            self._loop.time() + max(deadline - time.monotonic(), 0.0), self._settle, False
        )
        try:
            return await self._done
        finally:
            timer.cancel()
            for fd in list(self._readers):
                self._loop.remove_reader(fd)
            if self._writer is not None:
                self._loop.remove_writer(self._writer)
            if not self._exited:
                self._loop.remove_reader(self._pidfd)

    def _settle(self, finished: bool) -> None:
        if not self._done.done():
            self._done.set_result(finished)

    def _read(self, fd: int) -> None:
        try:
            chunk = os.read(fd, _CHUNK)
        except BlockingIOError:
            return
        if chunk:
            self._readers[fd].add(chunk)
            return
        self._loop.remove_reader(fd)
        del self._readers[fd]
        self._check()

    def _write(self) -> None:
        assert self._writer is not None and self._stdin is not None
        try:
            self._pending = self._pending[os.write(self._writer, self._pending[:_CHUNK]) :]
        except BlockingIOError:
            return
        except (BrokenPipeError, ConnectionResetError):
            # A command that exits without reading all of its stdin closes the pipe: not
            # an error, its exit status tells whether it worked.
            self._pending = self._pending[:0]
        if not self._pending:
            self._loop.remove_writer(self._writer)
            self._writer = None
            with contextlib.suppress(BrokenPipeError):
                self._stdin.close()

    def _exit(self) -> None:
        self._loop.remove_reader(self._pidfd)
        self._exited = True
        self._check()

    def _check(self) -> None:
        if self._exited and not self._readers:
            self._settle(True)


def _exchange(
    process: subprocess.Popen[bytes],
    stdin: bytes | None,
    stdout: Sink,
    stderr: Sink | None,
    deadline: float,
) -> bool:
    """Write stdin and read the outputs until end of file; False at the deadline."""
    sinks: dict[int, Sink] = {}
    pending = memoryview(stdin or b"")
    with selectors.DefaultSelector() as selector:
        for stream, sink in ((process.stdout, stdout), (process.stderr, stderr)):
            if stream is not None and sink is not None:
                selector.register(stream.fileno(), selectors.EVENT_READ)
                sinks[stream.fileno()] = sink
        if process.stdin is not None:
            os.set_blocking(process.stdin.fileno(), False)
            selector.register(process.stdin.fileno(), selectors.EVENT_WRITE)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            for key, _ in selector.select(remaining):
                fd = key.fd
                if fd in sinks:
                    chunk = os.read(fd, _CHUNK)
                    if chunk:
                        sinks[fd].add(chunk)
                    else:
                        selector.unregister(fd)
                    continue
                try:
                    pending = pending[os.write(fd, pending[:_CHUNK]) :]
                except BlockingIOError:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    # A command that exits without reading all of its stdin closes the
                    # pipe: not an error, its exit status tells whether it worked.
                    pending = pending[:0]
                if not pending:
                    selector.unregister(fd)
                    assert process.stdin is not None
                    with contextlib.suppress(BrokenPipeError):
                        process.stdin.close()
    return True
