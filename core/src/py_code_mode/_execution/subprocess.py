"""Run agent code in a child Python process that talks to the host over its own pipes.

The worker is ``python -I`` importing only the standard-library runtime, started in a new
process group with an explicit environment. A second, warm worker waits in reserve, so that
replacing a crashed or killed worker costs no start-up time.

Timeouts escalate: SIGINT to the worker's process group (agent code sees KeyboardInterrupt
and the session keeps its variables), then, if the code ignores it, SIGKILL and the spare
takes over, and the result says plainly that the variables were lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import py_code_mode
from py_code_mode._execution._cgroup import CONTROLLERS, WorkerCgroup, controllers_available
from py_code_mode._execution._deadline import Deadline, InterruptIgnored, timed_out_outcome
from py_code_mode._execution._output import DEFAULT_OUTPUT_LIMIT, PipeOutput, finish_outputs
from py_code_mode._execution._workdir import SessionDir
from py_code_mode._execution.base import (
    REQUEST_OUTPUT,
    OutputCallback,
    RequestHandler,
    WorkerContext,
)
from py_code_mode._execution.limits import Limits
from py_code_mode._process import describe_exit, kill_group, kill_tree, spawn
from py_code_mode._result import ExecutionResult
from py_code_mode._runtime import protocol
from py_code_mode._runtime.lifeline import children
from py_code_mode.errors import CodeModeError, UsageError, WorkerLostError

__all__ = ["DEFAULT_INHERITED_ENV", "Launch", "SubprocessExecutor"]

logger = logging.getLogger(__name__)

DEFAULT_INHERITED_ENV: tuple[str, ...] = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "USER",
    "LOGNAME",
    "TERM",
)
"""Host variables a worker sees by default: enough to run programs, no secrets."""

_PACKAGE_ROOT = str(Path(py_code_mode.__file__).resolve().parent.parent)


def _bootstrap(package_root: str) -> str:
    """The worker's `-c` program: find py_code_mode at `package_root`, run the worker."""
    return (
        "import sys\n"
        f"if {package_root!r} not in sys.path: sys.path.insert(0, {package_root!r})\n"
        "from py_code_mode._runtime.worker import main\n"
        "main(sys.argv[1:])\n"
    )


_START_TIMEOUT = 30.0
_MIN_FRAME_BYTES = 64 * 1024


def _drain(fd: int, limit: int = 4096) -> str:
    """What a dead process left in a pipe, up to `limit` bytes, without blocking."""
    os.set_blocking(fd, False)
    try:
        return os.read(fd, limit).decode(errors="replace")
    except OSError:
        return ""


def _worker_cgroup(limits: dict[str, int]) -> WorkerCgroup | None:
    """Cgroups keeping a new worker's process and memory limits, where the host can."""
    if not any(name in CONTROLLERS for name in limits):
        return None
    try:
        cgroup = WorkerCgroup(limits)
    except OSError as exc:
        logger.warning("no cgroup limits for this worker: cannot make a cgroup: %s", exc)
        return None
    return cgroup or None


def _is_id(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Launch:
    """How a worker process starts: the interpreter, and what it runs inside of, if anything.

    The plain subprocess worker is `python` itself, a child of the host. A confined one
    (`SandboxExecutor`) is started by a `wrapper` command (bubblewrap and its options) and
    is then that command's child, so signals meant for agent code go to the child.
    """

    python: str
    env: Mapping[str, str]
    wrapper: Sequence[str] = ()
    """The command and options that start the interpreter; () to start it directly."""
    parent_pid: int | None = None
    """The worker's parent as the worker sees it (0 from inside a PID namespace); None for
    this process."""
    import_paths: Sequence[str] | None = None
    """Where the session's import paths are, as the worker sees them; None: where they are."""
    limits: Mapping[str, int] = field(default_factory=dict)
    """The resource limits the worker sets on itself (`Limits.as_worker_args`)."""
    package_root: str | None = None
    """Where the worker finds the py_code_mode package; None: where the host has it."""
    channel_dir: Path | None = None
    """A host directory for the channel's Unix socket, for a worker that inherits no
    descriptors (a container's); None: inherited pipes."""
    channel_dir_inside: str | None = None
    """Where the worker sees `channel_dir`."""
    host_cgroups: bool = True
    """Whether the host puts the spawned process in cgroups of its own for the limits; a
    container engine keeps them itself, for the container."""
    signal: Callable[[int], None] | None = None
    """How a signal reaches the worker when signalling the spawned process does not (a
    container engine's `kill`); None: the spawned process (or a wrapper's child)."""


_SOCKET_NAMES = itertools.count()


class _PipeEnds:
    """The channel as two pipes the worker inherits (READ_FD WRITE_FD)."""

    def __init__(self) -> None:
        self._host_read, self._child_write = os.pipe()
        self._child_read, self._host_write = os.pipe()
        self.args = [str(self._child_read), str(self._child_write)]
        self.pass_fds = (self._child_read, self._child_write)
        self._open = [self._host_read, self._host_write, self._child_read, self._child_write]

    def spawned(self) -> None:
        """The child has its ends (or never will): close ours of them."""
        for fd in (self._child_read, self._child_write):
            if fd in self._open:
                self._open.remove(fd)
                os.close(fd)

    async def connected(self, process: asyncio.subprocess.Process) -> tuple[int, int]:
        """The host's ends, now theirs to close."""
        self._open = []
        return self._host_read, self._host_write

    def close(self) -> None:
        for fd in self._open:
            os.close(fd)
        self._open = []


class _SocketEnds:
    """The channel as a Unix socket the worker connects to (``unix:PATH -``).

    For a worker that inherits no descriptors: a container's, through a bind-mounted
    directory. The host listens before the worker starts and takes one connection.
    """

    def __init__(self, launch: Launch) -> None:
        assert launch.channel_dir is not None
        name = f"channel-{next(_SOCKET_NAMES)}.sock"  # a worker and its spare may both start
        self._path = launch.channel_dir / name
        inside = launch.channel_dir_inside or str(launch.channel_dir)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._listener.bind(str(self._path))
            self._listener.listen(1)
            self._listener.setblocking(False)
        except BaseException:
            self._listener.close()
            raise
        self.args = [f"unix:{inside}/{name}", "-"]
        self.pass_fds: tuple[int, ...] = ()

    def spawned(self) -> None:
        """Nothing to hand over: the worker connects."""

    async def connected(self, process: asyncio.subprocess.Process) -> tuple[int, int]:
        """Wait for the worker's connection, or for its process to end first."""
        loop = asyncio.get_running_loop()
        accept = asyncio.ensure_future(loop.sock_accept(self._listener))
        exited = asyncio.ensure_future(process.wait())
        try:
            done, _ = await asyncio.wait(
                {accept, exited}, timeout=_START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
        except BaseException:  # cancelled (a spare no longer wanted): keep no connection
            if accept.done() and not accept.cancelled() and accept.exception() is None:
                accept.result()[0].close()
            raise
        finally:
            exited.cancel()
            if not accept.done():
                accept.cancel()
        if accept not in done:
            why = "it ended" if exited in done else f"nothing in {_START_TIMEOUT:g} s"
            raise WorkerLostError(f"the worker never connected to the channel ({why})")
        connection, _ = accept.result()
        self.close()
        fd = connection.detach()
        return fd, os.dup(fd)

    def close(self) -> None:
        self._listener.close()
        with contextlib.suppress(OSError):
            self._path.unlink()


class _Worker:
    """One live worker process and the host's end of its channel."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        channel_fds: tuple[int, int],
        handler: RequestHandler,
        output_fds: tuple[int, int],
        max_frame_bytes: int,
        *,
        launch: Launch,
        cgroup: WorkerCgroup | None = None,
    ) -> None:
        self.process = process
        self._launch = launch
        self._cgroup = cgroup
        self._cgroup_limits = dict(cgroup.limits) if cgroup is not None else {}
        self._oom_killed = False
        self._loop = asyncio.get_running_loop()
        self._read_fd, self._write_fd = channel_fds
        self._frames = protocol.FrameBuffer(max_frame_bytes)
        self._unsent = bytearray()  # what the pipe would not take yet
        self._handler = handler
        self.stdout = PipeOutput(output_fds[0], "stdout")
        self.stderr = PipeOutput(output_fds[1], "stderr")
        self._ids = 0
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._requests: set[asyncio.Task[None]] = set()
        self._run_requests: set[asyncio.Task[None]] = set()  # made by the run's own thread
        self._ready: asyncio.Future[None] = self._loop.create_future()
        self._gone: asyncio.Future[None] = self._loop.create_future()
        self.alive = True
        self.violation: str | None = None
        """What the worker sent that broke the protocol, if it did."""
        for fd in channel_fds:
            os.set_blocking(fd, False)
        # Frames are read in the loop's own callback, not in a task: a result reaches its
        # waiter in the same loop iteration that the pipe became readable.
        self._loop.add_reader(self._read_fd, self._on_readable)

    @classmethod
    async def spawn(cls, launch: Launch, context: WorkerContext, max_frame_bytes: int) -> _Worker:
        ends = _SocketEnds(launch) if launch.channel_dir is not None else _PipeEnds()
        # Output pipes of our own rather than asyncio's transports: the host must be able to
        # read whatever is in them at the moment a result arrives (PipeOutput).
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        cgroup: WorkerCgroup | None = None
        try:
            paths = context.import_paths if launch.import_paths is None else launch.import_paths
            parent = os.getpid() if launch.parent_pid is None else launch.parent_pid
            limits = dict(launch.limits)
            cgroup = _worker_cgroup(limits) if launch.host_cgroups else None
            if cgroup is not None and "processes" in cgroup.limits:
                limits["processes"] = cgroup.limits["processes"]  # the worker may name it
            else:
                limits.pop("processes", None)  # no cgroup keeps it: not in effect
            root = launch.package_root or _PACKAGE_ROOT
            argv = [*launch.wrapper, launch.python, "-I", "-c", _bootstrap(root), *ends.args]
            argv += [json.dumps(list(paths)), json.dumps(list(context.operations))]
            argv += [str(max_frame_bytes), str(parent), json.dumps(limits)]
            process = await spawn(
                argv,
                stdout=out_write,
                stderr=err_write,
                cwd=context.cwd,  # a wrapper moves the worker where it belongs
                env=launch.env,
                pass_fds=ends.pass_fds,
            )
        except BaseException:
            ends.close()
            os.close(out_read)
            os.close(err_read)
            if cgroup is not None:
                cgroup.remove()
            raise
        finally:
            ends.spawned()
            for fd in (out_write, err_write):
                os.close(fd)
        if cgroup is not None:
            cgroup.adopt(process.pid)  # before any agent code: it waits for a run
        worker: _Worker | None = None
        try:
            channel = await ends.connected(process)
            worker = cls(
                process,
                channel,
                context.handler,
                (out_read, err_read),
                max_frame_bytes,
                launch=launch,
                cgroup=cgroup,
            )
            await asyncio.wait_for(asyncio.shield(worker._ready), _START_TIMEOUT)
        except BaseException as exc:
            # Cancelled (a spare no longer wanted) or failed: leave no process behind.
            kill_group(process.pid)
            if launch.signal is not None:
                launch.signal(signal.SIGKILL)
            if worker is None:
                ends.close()
                await process.wait()
                said = _drain(err_read).strip()
                for fd in (out_read, err_read):
                    os.close(fd)
                if cgroup is not None:
                    await asyncio.to_thread(cgroup.remove)
                if isinstance(exc, TimeoutError | WorkerLostError):
                    raise WorkerLostError(
                        f"The worker process did not start: {exc}" + (f": {said}" if said else "")
                    ) from exc
                raise
            await worker._shutdown()
            if isinstance(exc, TimeoutError | WorkerLostError):
                command = " ".join([*launch.wrapper[:1], launch.python, "-I"])
                raise WorkerLostError(
                    f"The worker process did not start ({command}): "
                    f"{worker.stderr.unclaimed_text().strip() or exc}"
                ) from exc
            raise
        return worker

    def _write(self, data: bytes) -> None:
        """Write a frame now, or as soon as the pipe has room; never blocks the loop."""
        if self._unsent:
            self._unsent += data
            return
        try:
            written = os.write(self._write_fd, data)
        except BlockingIOError:
            written = 0
        except (BrokenPipeError, ConnectionResetError):
            return  # the worker has gone; reading its end of the channel will say so
        if written < len(data):
            self._unsent += data[written:]
            self._loop.add_writer(self._write_fd, self._flush_unsent)

    def _flush_unsent(self) -> None:
        try:
            written = os.write(self._write_fd, self._unsent)
        except BlockingIOError:
            return
        except (BrokenPipeError, ConnectionResetError):
            written = len(self._unsent)
        del self._unsent[:written]
        if not self._unsent:
            self._loop.remove_writer(self._write_fd)

    def _on_readable(self) -> None:
        try:
            chunk = os.read(self._read_fd, self._frames.read_size())
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._channel_closed()
            return
        self._frames.feed(chunk)
        try:
            while (frame := self._frames.pop()) is not None:
                self._route(frame)
        except protocol.ProtocolError as exc:
            self._violated(str(exc))

    def _route(self, frame: dict[str, Any]) -> None:
        """Act on one frame from the worker, believing nothing that breaks the protocol.

        Raises:
            ProtocolError: The frame is not one the worker may send now.
        """
        kind = frame.get("kind")
        if kind == "request":
            request_id, verb, args = frame.get("id"), frame.get("verb"), frame.get("args")
            if not _is_id(request_id) or not isinstance(verb, str) or not isinstance(args, dict):
                raise protocol.ProtocolError(
                    "a request without an integer id, a verb string and an arguments object"
                )
            task = self._loop.create_task(self._serve(request_id, verb, args))
            self._requests.add(task)
            task.add_done_callback(self._requests.discard)
            if frame.get("main") is True:
                self._run_requests.add(task)
                task.add_done_callback(self._run_requests.discard)
        elif kind == "done":
            run_id = frame.get("id")
            future = self._pending.pop(run_id, None) if _is_id(run_id) else None
            result = frame.get("result")
            if future is None:
                raise protocol.ProtocolError(f"a result for run {run_id!r}, which is not running")
            if not isinstance(result, dict):
                raise protocol.ProtocolError(f"a result for run {run_id!r} that is not an object")
            if not future.done():
                future.set_result(result)
        elif kind == "ready" and not self._ready.done():
            self._ready.set_result(None)
        else:
            raise protocol.ProtocolError(f"a frame of kind {kind!r} at this point")

    def end_reason(self) -> str:
        """Why this worker is gone, in words."""
        if self.violation is not None:
            return f"The worker broke the channel protocol ({self.violation}) and was stopped"
        status = self.process.returncode
        if self._launch.wrapper and status is not None and status > 128:
            status = -(status - 128)  # bwrap and engines report a signal as 128 + its number
        died = f"The worker process died ({describe_exit(status)})"
        if self._out_of_memory():
            limit = self._cgroup_limits["memory"]
            return (
                f"{died}: the session's memory limit ({limit >> 20} MiB for the worker and "
                "everything it started) was reached, and the kernel ended it"
            )
        return died

    def _out_of_memory(self) -> bool:
        if self._cgroup is not None:
            self._oom_killed = self._oom_killed or self._cgroup.memory_exhausted()
        return self._oom_killed

    def _violated(self, reason: str) -> None:
        """The worker broke the protocol: stop it; whoever waits hears why, nobody believes it."""
        logger.warning(
            "worker %d broke the channel protocol (%s); stopping it", self.process.pid, reason
        )
        self.violation = reason
        self._kill_everything()
        self._channel_closed()

    def _channel_closed(self) -> None:
        """The worker's end is gone: stop reading and fail whatever still waits on it."""
        if self._read_fd < 0:
            return
        self.alive = False
        self._loop.remove_reader(self._read_fd)
        if self._unsent:
            self._loop.remove_writer(self._write_fd)
            self._unsent.clear()
        os.close(self._read_fd)
        os.close(self._write_fd)
        self._read_fd = self._write_fd = -1
        self._loop.create_task(self._fail_pending()).add_done_callback(self._mark_gone)

    def _mark_gone(self, _: asyncio.Task[None]) -> None:
        if not self._gone.done():
            self._gone.set_result(None)

    async def _fail_pending(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.process.wait(), 2.0)
        lost = WorkerLostError(self.end_reason())
        futures: list[asyncio.Future[Any]] = [self._ready, *self._pending.values()]
        for future in futures:
            if not future.done():
                future.set_exception(lost)
            # Mark the exception retrieved: whoever still awaits it gets it all the same, and
            # a run abandoned after a timeout must not log "exception was never retrieved".
            if not future.cancelled():
                future.exception()
        self._pending.clear()

    async def _serve(self, request_id: int, verb: str, args: dict[str, Any]) -> None:
        REQUEST_OUTPUT.set(self.stdout.inject)  # this task's own context: its request's
        try:
            value = await self._handler(verb, args)
            reply: dict[str, Any] = {"kind": "reply", "id": request_id, "value": value}
            payload = protocol.dumps(reply)
        except asyncio.CancelledError:
            # The run timed out or was cancelled: its host work stops, and whoever still
            # waits for the answer (a thread of agent code) hears why instead of hanging.
            error = {
                "type": "InfrastructureError",
                "message": f"request {verb!r} was cancelled: the run timed out "
                "or was cancelled while the host was answering it",
            }
            if self._write_fd >= 0:
                self._write(protocol.dumps({"kind": "reply", "id": request_id, "error": error}))
            raise
        except CodeModeError as exc:
            payload = protocol.dumps(
                {"kind": "reply", "id": request_id, "error": protocol.error_payload(exc)}
            )
        except Exception as exc:
            logger.exception("request %r from agent code failed in the host", verb)
            error = {"type": "InfrastructureError", "message": f"the host failed: {exc!r}"}
            payload = protocol.dumps({"kind": "reply", "id": request_id, "error": error})
        if self._write_fd >= 0:
            self._write(payload)

    def submit(self, command: dict[str, Any]) -> asyncio.Future[dict[str, Any]]:
        """Send a run or reset command; the future resolves with the worker's result."""
        if not self.alive:
            raise WorkerLostError("The worker process has exited")
        self._ids += 1
        future: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        self._pending[self._ids] = future
        self._write(protocol.dumps({**command, "id": self._ids}))
        return future

    def cancel_requests(self, *, run_only: bool = False) -> set[asyncio.Task[None]]:
        """Abandon host work for requests whose caller has stopped waiting; return it.

        `run_only`: only those of the run's own thread (the one a timeout interrupted);
        threads of agent code that outlive the run keep getting answers.
        """
        tasks = set(self._run_requests if run_only else self._requests)
        for task in tasks:
            task.cancel()
        return tasks

    async def abandon_run_requests(self, within: float) -> None:
        """Cancel the run's own requests and wait (up to `within`) until they have stopped.

        Waiting matters: a write the host had begun (a storage thread cannot be stopped)
        must land before the next run starts, or it could overwrite that run's data.
        """
        tasks = self.cancel_requests(run_only=True)
        if tasks:
            await asyncio.wait(tasks, timeout=within)

    def interrupt(self) -> None:
        """SIGINT to the worker's process group: KeyboardInterrupt in agent code.

        A wrapped worker is the wrapper's only child, in a session (and group) of its own;
        a container's is reached through its engine.
        """
        if self._launch.signal is not None:
            self._launch.signal(signal.SIGINT)
        elif not self._launch.wrapper:
            kill_group(self.process.pid, signal.SIGINT)
        else:
            for child in children(self.process.pid):
                kill_group(child, signal.SIGINT)

    def _kill_everything(self) -> None:
        # The tree: what moved to a session of its own, or was adopted after a double
        # fork; the group: anything /proc could not show.
        kill_tree(self.process.pid)
        kill_group(self.process.pid)
        if self._launch.signal is not None:
            self._launch.signal(signal.SIGKILL)

    async def kill(self) -> None:
        """Kill the worker and everything it started; wait until it is gone."""
        self.alive = False
        self._kill_everything()
        await self._shutdown()

    async def close(self, grace: float) -> None:
        """Close the channel (the worker ends what it started and exits), then make sure.

        An idle worker is gone in milliseconds; one that does not leave within `grace`
        seconds is killed with everything below it.
        """
        self.alive = False
        self._channel_closed()
        try:
            await asyncio.wait_for(asyncio.shield(self.process.wait()), grace)
        except TimeoutError:
            self._kill_everything()
        if self._requests:
            # Requests still being served (a run's usage report, a thread's last write) may
            # be writing to storage: let them land before it is closed, within the grace.
            await asyncio.wait(set(self._requests), timeout=grace)
        await self._shutdown()

    async def _shutdown(self) -> None:
        self.cancel_requests()
        self._channel_closed()
        await self.process.wait()
        await self._gone
        if self._cgroup is not None:
            self._out_of_memory()  # read it while the cgroup is there to say it
            cgroup, self._cgroup = self._cgroup, None
            if not cgroup.try_remove():  # something is left inside: kill it, off the loop
                await asyncio.to_thread(cgroup.remove)
        self.stdout.close()
        self.stderr.close()


class SubprocessExecutor:
    """Runs agent code in a child process: the default executor of a `Session`.

    Args:
        python: The interpreter for workers; defaults to the host's own.
        env: Extra environment variables for the worker.
        inherit_env: Names of host variables the worker may see. By default only what
            programs need to run (`DEFAULT_INHERITED_ENV`); secrets stay on the host.
        interrupt_grace: Seconds agent code gets to stop after SIGINT before it is killed.
        output_limit: Bytes of stdout and of stderr kept per run.
        warm_spare: Keep a second worker started, so a replacement is instant.
        max_frame_bytes: The largest message the worker may send; a value or a request
            beyond it is an error in agent code, and a worker that sends one anyway (or
            anything else that breaks the protocol) is stopped and replaced.
        limits: Memory, file size, open files and processes the worker may use (default
            `Limits()`: 1 GiB, 1 GiB, 1024, 256); `Limits.none()` for no limits.
    """

    def __init__(
        self,
        *,
        python: str | None = None,
        env: Mapping[str, str] | None = None,
        inherit_env: Sequence[str] = DEFAULT_INHERITED_ENV,
        interrupt_grace: float = 2.0,
        output_limit: int = DEFAULT_OUTPUT_LIMIT,
        warm_spare: bool = True,
        max_frame_bytes: int = protocol.DEFAULT_MAX_FRAME_BYTES,
        limits: Limits | None = None,
    ) -> None:
        if isinstance(inherit_env, str):
            raise TypeError("inherit_env must be a sequence of variable names, not one string")
        if interrupt_grace < 0:
            raise ValueError(f"interrupt_grace must be >= 0 seconds, got {interrupt_grace!r}")
        if output_limit < 1:
            raise ValueError(
                f"output_limit must be a positive number of bytes, got {output_limit!r}"
            )
        if not _MIN_FRAME_BYTES <= max_frame_bytes <= protocol.MAX_FRAME_BYTES:
            raise ValueError(
                f"max_frame_bytes must be from {_MIN_FRAME_BYTES:,} to "
                f"{protocol.MAX_FRAME_BYTES:,} bytes, got {max_frame_bytes!r}"
            )
        if limits is not None and not isinstance(limits, Limits):
            raise TypeError(f"limits must be a Limits, got {type(limits).__name__}")
        self._limits = limits if limits is not None else Limits()
        self._max_frame_bytes = max_frame_bytes
        self._python = python or sys.executable
        self._env = {name: os.environ[name] for name in inherit_env if name in os.environ}
        self._env.update(env or {})
        self._grace = interrupt_grace
        self._output_limit = output_limit
        self._warm_spare = warm_spare
        self._context: WorkerContext | None = None
        self._worker: _Worker | None = None
        self._spare: asyncio.Task[_Worker] | None = None
        self._lost: str | None = None  # why the last worker ended between runs, if it did
        self._closing = False
        self._abandoning: asyncio.Task[None] | None = None  # a cancelled run being stopped
        self._session_dir: SessionDir | None = None  # an isolating executor's, removed at close
        self._lock = asyncio.Lock()

    @property
    def work_dir(self) -> Path | None:
        """The work directory this executor made for the session, the worker's current one.

        The sandbox and container executors make one (it is the only host path their agent
        code sees) and remove it when the session closes; this one runs the worker in the
        workspace and makes none: None.
        """
        return self._session_dir.work if self._session_dir is not None else None

    async def start(self, context: WorkerContext) -> None:
        """Start the worker (and its warm spare)."""
        if self._context is not None:
            raise UsageError("this SubprocessExecutor is already serving a session")
        self._context = context
        try:
            self._worker = await self._spawn()
        except BaseException:
            # Not serving: a later start (a server retrying the session) tries again and
            # meets the real cause, not "already serving".
            self._context = None
            self._remove_session_dir()
            raise

    def _remove_session_dir(self) -> None:
        if self._session_dir is not None:
            self._session_dir.remove()

    async def _spawn(self) -> _Worker:
        assert self._context is not None
        return await _Worker.spawn(self._launch(), self._context, self._max_frame_bytes)

    def _launch(self) -> Launch:
        """How to start a worker; confined executors start it inside something."""
        return Launch(self._python, self._env, limits=self._limits.as_worker_args())

    @property
    def process_limit(self) -> int | None:
        """The limit on processes and threads in effect for this executor's workers.

        None when none was asked for, or the host cannot make a pids cgroup (not Linux, no
        permission, no pids controller): the docs of `Limits.processes` say where it can.
        """
        if self._limits.processes is None or "pids" not in controllers_available():
            return None
        return self._limits.processes

    @property
    def memory_limit_covers_children(self) -> bool:
        """Whether the memory limit holds for a worker and its children together.

        True where the host can make a memory cgroup; otherwise the limit (an rlimit)
        holds for each process on its own.
        """
        return self._limits.memory is not None and "memory" in controllers_available()

    def capabilities(self) -> frozenset[str]:
        """Timeouts, reset, a process of its own, and a memory limit if one is set."""
        found = {"timeout", "reset", "process_isolation"}
        if self._limits.memory is not None:
            found.add("memory_limit")
        return frozenset(found)

    def _prepare_spare(self) -> None:
        if self._warm_spare and self._spare is None and not self._closing:
            self._spare = asyncio.create_task(self._spawn())

    async def _replace_worker(self) -> _Worker | None:
        """Kill the worker and put the spare (or a new one) in its place; none once closing."""
        if self._worker is not None:
            await self._worker.kill()
        if self._closing:
            self._worker = None
            return None
        spare, self._spare = self._spare, None
        worker: _Worker | None = None
        if spare is not None:
            try:
                worker = await spare
            except WorkerLostError:
                worker = None
        if worker is None or not worker.alive:
            worker = await self._spawn()
        self._worker = worker
        self._prepare_spare()
        return worker

    async def _current(self) -> _Worker:
        if self._context is None:
            raise UsageError("the executor has not been started; use `async with Session(...)`")
        await self._settle_abandoned()
        if self._closing:
            raise UsageError("this executor has been closed; create a new session")
        if self._worker is not None and not self._worker.alive:
            # It ended between runs (agent code's threads can end it, or break the
            # protocol): the next result says so, since the variables went with it.
            self._lost = self._worker.end_reason()
        if self._worker is None or not self._worker.alive:
            worker = await self._replace_worker()
            assert worker is not None  # not closing, checked above
            return worker
        return self._worker

    async def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        on_output: OutputCallback | None = None,
    ) -> ExecutionResult:
        """Run `code` in the worker; see the module docstring for how timeouts escalate."""
        async with self._lock:
            worker = await self._current()
            for stream in (worker.stdout, worker.stderr):
                callback = None
                if on_output is not None:
                    callback = _stream_callback(on_output, stream.name)
                stream.begin(self._output_limit, callback)
            started = time.perf_counter()
            future = worker.submit({"kind": "run", "code": code})
            try:
                outcome = await self._await_outcome(worker, future, timeout)
                # The spare starts once the session is in use, not while it is starting.
                self._prepare_spare()
            except asyncio.CancelledError:
                # Nobody waits for this run any more. Stop the code as a timeout would, and
                # kill it if it will not stop: never leave code running unattended. A task
                # of its own, since the caller is gone; the next user of the worker waits
                # for it (`_current`).
                self._abandoning = asyncio.create_task(self._abandon(worker, future))
                raise
            except BaseException:
                await self._replace_worker()
                raise
            if outcome.get("timed_out"):
                # Host work for the interrupted code is abandoned with it; requests of other
                # threads of agent code are still answered, as after a run that ended well.
                await worker.abandon_run_requests(self._grace)
            stdout, stderr = finish_outputs(worker.stdout, worker.stderr)
            elapsed = (time.perf_counter() - started) * 1000
            lost, self._lost = self._lost, None
            if lost is not None:
                stderr = (
                    f"[py-code-mode: {lost} between runs; this run had a fresh worker, so "
                    f"the session's variables were lost]\n{stderr}"
                )
                outcome = {**outcome, "state_lost": True}
            return ExecutionResult.from_outcome(
                outcome, stdout=stdout, stderr=stderr, execution_time_ms=elapsed
            )

    async def _settle_abandoned(self) -> None:
        abandoning, self._abandoning = self._abandoning, None
        if abandoning is not None:
            await abandoning

    async def _abandon(self, worker: _Worker, future: asyncio.Future[dict[str, Any]]) -> None:
        """Interrupt a run nobody waits for; kill its worker if it is still busy after grace.

        A run that stops when interrupted keeps its worker and the session's variables.
        """
        worker.interrupt()
        try:
            await asyncio.wait_for(asyncio.shield(future), self._grace)
        except (TimeoutError, WorkerLostError):
            await self._replace_worker()
        else:
            await worker.abandon_run_requests(self._grace)
            finish_outputs(worker.stdout, worker.stderr)  # this run's output has no reader

    async def _await_outcome(
        self, worker: _Worker, future: asyncio.Future[dict[str, Any]], timeout: float | None
    ) -> dict[str, Any]:
        deadline = Deadline(future, timeout, self._grace, worker.interrupt)
        try:
            # Shielded: a caller that stops waiting must not cancel the run's own future,
            # which the worker still settles, and which `_abandon` waits on.
            outcome = await asyncio.shield(future)
        except InterruptIgnored:
            await self._replace_worker()
            return {
                "error": f"Execution timeout: timed out after {timeout:g}s and the code "
                "ignored the interrupt, so its worker was killed and replaced: the session's "
                "variables were lost.",
                "error_type": "TimeoutError",
                "timed_out": True,
                "state_lost": True,
            }
        except WorkerLostError as exc:
            await self._replace_worker()
            return {
                "error": f"{exc} while running this code; a fresh worker has taken its place, "
                "so the session's variables were lost.",
                "error_type": "WorkerLostError",
                "state_lost": True,
            }
        finally:
            deadline.cancel()
        return timed_out_outcome(outcome, timeout) if deadline.expired else outcome

    async def reset(self) -> None:
        """Clear the worker's variables; if it is gone, the next run gets a fresh one."""
        async with self._lock:
            worker = await self._current()
            self._lost = None  # the variables are to go anyway
            try:
                await worker.submit({"kind": "reset"})
            except WorkerLostError:
                await self._replace_worker()

    async def close(self) -> None:
        """Stop the worker and the spare, and everything the code started.

        A run in progress, with or without a timeout, is interrupted; if it has not ended
        within the grace period its worker is killed. Either way `close` returns within
        about the grace period.
        """
        self._closing = True
        if self._lock.locked():
            if self._worker is not None:
                self._worker.interrupt()
            try:
                await asyncio.wait_for(self._lock.acquire(), self._grace)
            except TimeoutError:
                if self._worker is not None:
                    await self._worker.kill()  # the run hears WorkerLostError and ends
                await self._lock.acquire()
        else:
            await self._lock.acquire()
        try:
            await self._settle_abandoned()  # ends within the grace period too
            spare, self._spare = self._spare, None
            if spare is not None:
                if not spare.done():
                    spare.cancel()
                with contextlib.suppress(asyncio.CancelledError, WorkerLostError):
                    await (await spare).close(self._grace)
            if self._worker is not None:
                await self._worker.close(self._grace)
                self._worker = None
        finally:
            self._lock.release()
            self._remove_session_dir()


def _stream_callback(on_output: OutputCallback, name: str) -> Any:
    if name == "stdout":
        return lambda text: on_output("stdout", text)
    return lambda text: on_output("stderr", text)
