"""Running a CLI tool: arguments checked and rendered to argv, then one bounded process.

Two steps, kept apart so that nothing runs unless every argument fits the schema:

1. `bind` checks the call's arguments against the tool's schema and renders the argv list
   and the stdin bytes. Every problem is a `ToolArgumentError`.
2. `run` starts the command without a shell (so `; rm -rf /` is one literal argument),
   feeds stdin or closes it, captures bounded output and enforces the timeout. A command
   that fails is a `ToolFailedError`.

The command runs in its own process group (session), so a timeout or a cancelled call
kills everything it started, not only the direct child.
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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from py_code_mode.errors import ToolArgumentError, ToolFailedError, UsageError
from py_code_mode.tools.definition import (
    INPUT_ARGUMENT,
    CLIToolDefinition,
    Parameter,
    Recipe,
    short_repr,
    value_problem,
)

__all__ = [
    "Invocation",
    "MAX_ERROR_CHARS",
    "MAX_STDOUT_BYTES",
    "bind",
    "run",
]

MAX_STDOUT_BYTES = 8 * 1024 * 1024
"""Stdout kept per call; the rest is read and dropped so a runaway command cannot fill memory."""

MAX_ERROR_CHARS = 4000
"""Characters of a failed command's stderr (its end, where errors are) shown in the error."""

_STDERR_BYTES = 64 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Invocation:
    """One checked call, ready to run.

    Attributes:
        argv: The command and its arguments, each one argv item.
        stdin: Bytes for the command's stdin, or None to give it an empty, closed stdin.
    """

    argv: tuple[str, ...]
    stdin: bytes | None


# --- binding ---------------------------------------------------------------------------


def bind(tool: CLIToolDefinition, recipe: Recipe | None, args: Mapping[str, Any]) -> Invocation:
    """Check a call's arguments and render the command line.

    The arguments are validated once, by the recipe's model
    (`CLIToolDefinition.arguments_model`). Values are merged in this order, later winning:
    the recipe's preset, the defaults of recipe params that the preset leaves out, the
    call's arguments. A None argument counts as absent. `input` is never rendered: it
    becomes the command's stdin.

    Args:
        tool: The tool being called.
        recipe: The recipe, or None to call the raw schema.
        args: The keyword arguments agent code passed.

    Returns:
        The argv and stdin to run.

    Raises:
        ToolArgumentError: An argument is unknown, has the wrong type, or a required one is
            missing; nothing was run.
    """
    where = f"{tool.name}.{recipe.name}" if recipe is not None else tool.name
    if not isinstance(args, Mapping):
        raise ToolArgumentError(
            f"{where}() takes keyword arguments as a mapping, got {type(args).__name__}"
        )
    given = {key: value for key, value in args.items() if value is not None}
    try:
        checked = tool.arguments_model(recipe).model_validate(given)
    except ValidationError as exc:
        raise ToolArgumentError(_rejected(where, tool, given, exc)) from None
    values = {key: value for key, value in checked.__dict__.items() if value is not None}
    stdin: bytes | None = values.pop(INPUT_ARGUMENT, None)
    merged = {**(recipe.given() if recipe is not None else {}), **values}
    return Invocation(argv=(*tool.command, *_render(where, tool, merged, values)), stdin=stdin)


def _rejected(
    where: str, tool: CLIToolDefinition, given: Mapping[Any, Any], exc: ValidationError
) -> str:
    """What was wrong with a call, argument by argument, in the tool's own terms."""
    unknown: list[Any] = []
    missing: list[str] = []
    problems: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        name = error["loc"][0] if error["loc"] else None
        if error["type"] == "extra_forbidden":
            unknown.append(name)
        elif error["type"] == "missing":
            missing.append(str(name))
        elif isinstance(name, str) and name not in problems:
            parameter = tool.parameter(name)
            if parameter is None:  # `input`: its validator says what is wrong
                problems[name] = error["msg"].removeprefix("Value error, ")
            else:
                problems[name] = value_problem(parameter.type, given[name]) or error["msg"]
    parts = []
    if unknown:
        parts.append(
            f"{where}() got unexpected argument(s) {', '.join(short_repr(k) for k in unknown)}; "
            f"allowed are {', '.join(tool.parameter_names())}"
        )
    if missing:
        parts.append(
            f"{where}() is missing required argument(s) {', '.join(repr(m) for m in missing)}"
        )
    parts += [f"{where}() argument {name!r} {problem}" for name, problem in problems.items()]
    return "; ".join(parts)


def _render(
    where: str, tool: CLIToolDefinition, merged: Mapping[str, Any], called: Mapping[str, Any]
) -> list[str]:
    argv: list[str] = []
    for option in tool.options:
        value = merged.get(option.name)
        if value is None or value is False or option.flag is None:
            continue
        if value is True:
            argv.append(option.flag)
        elif isinstance(value, list | tuple):
            for item in value:
                argv += [option.flag, str(item)]
        else:
            argv += [option.flag, str(value)]
    gap: str | None = None
    for positional in tool.positionals:
        value = merged.get(positional.name)
        if value is None:
            gap = gap or positional.name
            continue
        if gap is not None:
            raise ToolArgumentError(
                f"{where}() got positional {positional.name!r} without {gap!r} before it; "
                f"give {gap!r} too, or the command would read {positional.name!r} in its place"
            )
        items = value if isinstance(value, list | tuple) else [value]
        if positional.name in called:
            for item in items:
                _not_an_option(where, positional, item)
        argv += [str(item) for item in items]
    return argv


def _not_an_option(where: str, positional: Parameter, value: Any) -> None:
    if isinstance(value, str) and value.startswith("-"):
        # Not a shell problem but an argv one: the command would parse it as an option,
        # and options outside the schema (curl -o, -K) must stay out of the agent's reach.
        raise ToolArgumentError(
            f"{where}() argument {positional.name!r} is {short_repr(value)}, which starts with "
            "'-' and would be read as an option; options must be declared in the tool's schema"
        )


# --- running ---------------------------------------------------------------------------


class _Head:
    """The first `limit` bytes of a stream, counting what was dropped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]


class _Tail:
    """The last `limit` bytes of a stream."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > 2 * self.limit:
            del self.data[: -self.limit]

    def text(self) -> str:
        return bytes(self.data[-self.limit :]).decode("utf-8", errors="replace")


async def run(tool: CLIToolDefinition, invocation: Invocation, *, cwd: Path | None = None) -> str:
    """Run one checked invocation of `tool` and return its stdout.

    A tool call is the most frequent thing agent code does, so it costs as little as a
    bare `subprocess.run` allows. The command is spawned with `subprocess.Popen` on the
    loop's thread (as asyncio's own subprocess support does), its pipes are read by loop
    callbacks and its exit is seen through a pidfd: no thread hop, no child watcher
    (measured on `echo`, asyncio's watcher and pipe transports add ~0.4 ms to a bare spawn,
    and every hop between threads ~0.05 ms). Where pidfds are missing (not Linux, or a
    sandbox that forbids them), the pipes are read and the process awaited on a worker
    thread instead.

    Args:
        tool: The tool, for its name, source and timeout.
        invocation: What `bind` returned.
        cwd: The working directory of the command; None for the host's.

    Returns:
        Stdout decoded as UTF-8 (undecodable bytes replaced), untrimmed. Output beyond
        `MAX_STDOUT_BYTES` is dropped and a note at the end says so.

    Raises:
        ToolFailedError: The executable is missing, the command exited non-zero or was
            killed by a signal, or it ran past the tool's timeout (it was killed).
        UsageError: `cwd` is not a directory.
    """
    if cwd is not None and not cwd.is_dir():
        raise UsageError(f"Tool {tool.name!r} cannot run in {str(cwd)!r}: not a directory")
    command = _Command(tool, invocation, cwd)
    try:
        finished = await command.run()
    finally:
        # Cancelled (the run was abandoned): kill the command and whatever it started.
        command.kill()
    if not finished:
        raise ToolFailedError(
            f"Tool {tool.name!r} timed out after {tool.timeout:g}s and was killed; "
            f"raise `timeout` in {tool.source} if it needs longer"
        )
    stdout, stderr = command.stdout, command.stderr
    if command.returncode != 0:
        raise ToolFailedError(_failure(tool, command.returncode, stderr, stdout))
    text = bytes(stdout.data).decode("utf-8", errors="replace")
    if stdout.total > len(stdout.data):
        text += (
            f"\n[py-code-mode: output truncated: the command wrote {stdout.total} bytes, "
            f"only the first {len(stdout.data)} are shown]"
        )
    return text


class _Command:
    """One command run to completion, its output bounded."""

    def __init__(self, tool: CLIToolDefinition, invocation: Invocation, cwd: Path | None) -> None:
        self.tool = tool
        self.invocation = invocation
        self.cwd = cwd
        self.stdout = _Head(MAX_STDOUT_BYTES)
        self.stderr = _Tail(_STDERR_BYTES)
        self.returncode: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._done = False

    async def run(self) -> bool:
        """Spawn, feed stdin, collect output; False if the tool's timeout ran out first."""
        deadline = time.monotonic() + self.tool.timeout
        process = self._process = _start(self.tool, self.invocation, self.cwd)
        pidfd = _pidfd(process)
        if pidfd is None:
            return await asyncio.to_thread(self._finish_blocking, process, deadline)
        try:
            exchange = _LoopExchange(
                process, pidfd, self.invocation.stdin, self.stdout, self.stderr
            )
            finished = await exchange.wait(deadline)
        finally:
            os.close(pidfd)
            self._reap(process)
        return finished

    def _finish_blocking(self, process: subprocess.Popen[bytes], deadline: float) -> bool:
        """The worker-thread way, where there is no pidfd to wait on."""
        try:
            finished = _exchange(process, self.invocation.stdin, self.stdout, self.stderr, deadline)
            if finished:
                try:
                    process.wait(timeout=max(deadline - time.monotonic(), 0.0))
                except subprocess.TimeoutExpired:
                    finished = False
        finally:
            if process.returncode is None:
                _kill_group(process)
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
            _kill_group(process)
            # SIGKILL takes effect at once, but the zombie may take a moment to appear:
            # reap it off the loop rather than block here.
            threading.Thread(target=process.wait, name="pcm-reap", daemon=True).start()
        self.returncode = process.returncode
        self._done = True

    def kill(self) -> None:
        """Kill the command's process group unless it already ended; safe from any thread."""
        process = self._process
        if process is not None and not self._done:
            _kill_group(process)


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
    """Feeds stdin and reads both outputs in loop callbacks until the command has ended.

    Ended means exited (the pidfd is readable) and both outputs at end of file: a command
    that leaves a background child holding its stdout is waited for, as `subprocess.run`
    would, up to the tool's timeout.
    """

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        pidfd: int,
        stdin: bytes | None,
        stdout: _Head,
        stderr: _Tail,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._done: asyncio.Future[bool] = self._loop.create_future()
        self._pidfd = pidfd
        self._exited = False
        self._readers: dict[int, _Head | _Tail] = {}
        self._writer: int | None = None
        self._pending = memoryview(stdin or b"")
        self._stdin = process.stdin
        for stream, sink in ((process.stdout, stdout), (process.stderr, stderr)):
            if stream is not None:
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


def _start(
    tool: CLIToolDefinition, invocation: Invocation, cwd: Path | None
) -> subprocess.Popen[bytes]:
    executable = invocation.argv[0]
    try:
        return subprocess.Popen(
            invocation.argv,
            # Never the host's stdin: under a stdio MCP server that is the protocol stream.
            stdin=subprocess.PIPE if invocation.stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        where = "does not exist" if os.sep in executable else "was not found on PATH"
        raise ToolFailedError(
            f"Tool {tool.name!r} could not start: executable {executable!r} {where}; "
            f"install it or fix `command` in {tool.source}"
        ) from exc
    except PermissionError as exc:
        raise ToolFailedError(
            f"Tool {tool.name!r} could not start: {executable!r} is not executable "
            f"(permission denied); fix `command` in {tool.source}"
        ) from exc
    except OSError as exc:
        raise ToolFailedError(
            f"Tool {tool.name!r} could not start {executable!r}: {exc.strerror or exc}"
        ) from exc


def _exchange(
    process: subprocess.Popen[bytes],
    stdin: bytes | None,
    stdout: _Head,
    stderr: _Tail,
    deadline: float,
) -> bool:
    """Write stdin and read both outputs until end of file; False at the deadline."""
    sinks: dict[int, _Head | _Tail] = {}
    pending = memoryview(stdin or b"")
    with selectors.DefaultSelector() as selector:
        for stream, sink in ((process.stdout, stdout), (process.stderr, stderr)):
            if stream is not None:
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


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the command and everything it started."""
    if sys.platform == "win32":
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        return
    # The process leads its own group (start_new_session), so its pid is the group id.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _failure(tool: CLIToolDefinition, code: int | None, stderr: _Tail, stdout: _Head) -> str:
    if code is not None and code < 0:
        try:
            how = f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            how = f"killed by signal {-code}"
    else:
        how = f"exit {code}"
    detail = stderr.text().strip()
    if not detail:
        # Some commands report errors on stdout; better that than nothing.
        detail = bytes(stdout.data[-_STDERR_BYTES:]).decode("utf-8", errors="replace").strip()
    if len(detail) > MAX_ERROR_CHARS:
        detail = "..." + detail[-MAX_ERROR_CHARS:]
    return f"Tool {tool.name!r} failed ({how}): {detail or '(no output)'}"
