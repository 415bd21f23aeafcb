"""Run agent code in the host process, on a thread of its own, with the same runtime.

This executor isolates nothing. Agent code runs with the host's memory, files, network,
environment and privileges; it can read the host's secrets, change its objects and end the
process. Use it for code you would run yourself (tests, notebooks, trusted pipelines), and
`SubprocessExecutor` (or the sandbox) for code an agent wrote.

Namespace requests are direct calls onto the host's event loop instead of frames on a pipe,
but they go through the same handler with the same copying of data, so behaviour matches
the subprocess executor. Agent code never runs on the host's loop thread, so a blocking
namespace call in agent code can never stall the loop that answers it.

A timeout raises KeyboardInterrupt asynchronously in the agent's thread. Code that swallows
it is abandoned (a thread cannot be killed) and a fresh thread with fresh variables takes
over; the result says so; whatever the abandoned thread prints from then on is discarded,
and the requests it had made are cancelled. Output is captured per thread while a run is in
progress, and the host's `sys.stdout`/`sys.stderr` are restored as soon as no run is
active. Output that bypasses `sys.stdout` (child processes, `os.write(1, ...)`, threads the
code starts) is not captured in-process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from py_code_mode._execution._deadline import Deadline, InterruptIgnored, timed_out_outcome
from py_code_mode._execution._output import DEFAULT_OUTPUT_LIMIT, capture
from py_code_mode._execution._routing import OutputRouter
from py_code_mode._execution.base import (
    REQUEST_OUTPUT,
    OutputCallback,
    RequestHandler,
    WorkerContext,
)
from py_code_mode._result import ExecutionResult
from py_code_mode._runtime import protocol
from py_code_mode._runtime.channel import rebuild_error
from py_code_mode._runtime.engine import Engine, close_thread_loop
from py_code_mode._runtime.namespaces import add_import_paths, build_namespaces
from py_code_mode.errors import CodeModeError, UsageError

__all__ = ["InProcessExecutor"]

_POLL_SECONDS = 0.05


class DirectChannel:
    """Requests from the agent thread, answered on the host's loop; data copied as on a pipe."""

    def __init__(self, handler: RequestHandler, loop: asyncio.AbstractEventLoop) -> None:
        self._handler = handler
        self._loop = loop
        self.run_thread: int | None = None
        """The agent thread: its requests are the run's own, abandoned with a timed-out run."""
        self._run_requests: set[asyncio.Task[Any]] = set()
        self.requests: set[asyncio.Task[Any]] = set()
        """Every request being served, so that closing can let their writes land."""
        self.run_output: Callable[[str], None] | None = None
        """Where the host's own text for the current run goes (its stdout)."""

    async def _answer(self, verb: str, args: dict[str, Any], of_run: bool) -> Any:
        task = asyncio.current_task()
        REQUEST_OUTPUT.set(self.run_output if of_run else None)
        if task is not None:
            self.requests.add(task)
            task.add_done_callback(self.requests.discard)
        if of_run and task is not None:
            self._run_requests.add(task)
            task.add_done_callback(self._run_requests.discard)
        try:
            return protocol.roundtrip(await self._handler(verb, args))
        except CodeModeError as exc:
            raise rebuild_error(protocol.error_payload(exc)) from None
        except Exception as exc:  # noqa: BLE001 - reported to agent code like the pipe does
            raise rebuild_error(
                {"type": "InfrastructureError", "message": f"the host failed: {exc!r}"}
            ) from None

    def _submit(self, verb: str, args: dict[str, Any]) -> concurrent.futures.Future[Any]:
        copied = protocol.roundtrip(args)
        of_run = threading.get_ident() == self.run_thread
        return asyncio.run_coroutine_threadsafe(self._answer(verb, copied, of_run), self._loop)

    async def abandon_run_requests(self, within: float) -> None:
        """Cancel the run's own requests and wait (up to `within`) until they have stopped.

        As with a worker process: a write the host had begun must land before the next run.
        """
        tasks = set(self._run_requests)
        for task in tasks:
            if not task.cancelling():  # the agent thread may have cancelled it already
                task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=within)

    def request(self, verb: str, args: dict[str, Any]) -> Any:
        """Block the agent thread (never the loop) until the host answers."""
        future = self._submit(verb, args)
        try:
            while True:
                # Waiting in short slices lets an asynchronous interrupt reach this thread.
                try:
                    return future.result(timeout=_POLL_SECONDS)
                except concurrent.futures.TimeoutError:
                    continue
        except BaseException:
            future.cancel()
            raise

    def request_async(self, verb: str, args: dict[str, Any]) -> Awaitable[Any]:
        """An awaitable of the host's answer, on the agent thread's own loop."""
        return asyncio.wrap_future(self._submit(verb, args))

    def notify(self, verb: str, args: dict[str, Any]) -> None:
        """Hand a request to the host's loop and go on; its answer is not awaited."""
        self._submit(verb, args)


class _Job:
    """One run handed to the agent thread; its outcome is settled on the host's loop."""

    __slots__ = ("code", "emit", "future", "loop")

    def __init__(
        self,
        code: str,
        emit: Callable[[Literal["stdout", "stderr"], str], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.code = code
        self.emit = emit
        self.loop = loop
        self.future: asyncio.Future[dict[str, Any]] = loop.create_future()

    def settle(self, outcome: dict[str, Any]) -> None:
        """From the agent thread: hand the outcome to the loop (one wake-up, no wrappers)."""
        # An abandoned thread may finish after its session's loop has closed: nobody
        # waits for that outcome any more.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(_set_if_pending, self.future, outcome)


def _set_if_pending(future: asyncio.Future[dict[str, Any]], outcome: dict[str, Any]) -> None:
    if not future.done():
        future.set_result(outcome)


class _AgentThread:
    """One thread, one engine: the in-process equivalent of a worker process."""

    def __init__(self, engine: Engine, router: OutputRouter, channel: DirectChannel) -> None:
        self._engine = engine
        self._router = router
        self.channel = channel
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._running = threading.Lock()
        self._busy = False
        self.thread = threading.Thread(target=self._serve, name="pcm-inprocess", daemon=True)
        self.thread.start()

    def submit(self, job: _Job) -> None:
        self._jobs.put(job)

    def reset(self) -> None:
        self._engine.reset()

    def stop(self) -> None:
        self._jobs.put(None)

    def _serve(self) -> None:
        while True:
            try:
                job = self._jobs.get()
                if job is None:
                    close_thread_loop()
                    return
                with self._running:
                    self._busy = True
                with self._router.capture(job.emit):
                    outcome = self._engine.run(job.code)
                with self._running:
                    self._busy = False
                job.settle(outcome)
            except KeyboardInterrupt:
                # An interrupt that arrived just after the job ended: nothing to stop.
                with self._running:
                    self._busy = False
                continue

    def interrupt(self) -> None:
        """Raise KeyboardInterrupt in the agent thread if it is still running a job."""
        with self._running:
            if not self._busy or self.thread.ident is None:
                return
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self.thread.ident), ctypes.py_object(KeyboardInterrupt)
            )


class InProcessExecutor:
    """Runs agent code in this process: fastest, and it isolates nothing (see the module).

    Args:
        output_limit: Bytes of stdout and of stderr kept per run.
        interrupt_grace: Seconds the code gets to stop after the timeout interrupt before
            its thread is abandoned and replaced.
    """

    def __init__(
        self, *, output_limit: int = DEFAULT_OUTPUT_LIMIT, interrupt_grace: float = 0.5
    ) -> None:
        if output_limit < 1:
            raise ValueError(
                f"output_limit must be a positive number of bytes, got {output_limit!r}"
            )
        if interrupt_grace < 0:
            raise ValueError(f"interrupt_grace must be >= 0 seconds, got {interrupt_grace!r}")
        self._output_limit = output_limit
        self._grace = interrupt_grace
        self._context: WorkerContext | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._agent: _AgentThread | None = None
        self._router = OutputRouter()
        self._lock = asyncio.Lock()

    async def start(self, context: WorkerContext) -> None:
        """Bind to the running loop and start the agent thread."""
        if self._context is not None:
            raise UsageError("this InProcessExecutor is already serving a session")
        self._context = context
        self._loop = asyncio.get_running_loop()
        add_import_paths(context.import_paths)
        self._agent = self._new_agent()

    def _new_agent(self) -> _AgentThread:
        assert self._context is not None and self._loop is not None
        channel = DirectChannel(self._context.handler, self._loop)
        agent = _AgentThread(
            Engine(
                build_namespaces(
                    channel,
                    self._context.import_paths,
                    # A copy, as a pipe would give: agent code may poke at its proxies.
                    protocol.roundtrip(list(self._context.operations)),
                )
            ),
            self._router,
            channel,
        )
        channel.run_thread = agent.thread.ident
        return agent

    async def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        on_output: OutputCallback | None = None,
    ) -> ExecutionResult:
        """Run `code` on the agent thread; see the module docstring for timeouts."""
        async with self._lock:
            if self._agent is None or self._loop is None:
                raise UsageError("the executor has not been started; use `async with Session(...)`")
            loop = self._loop
            captures = {
                "stdout": capture(self._output_limit),
                "stderr": capture(self._output_limit),
            }

            def emit(stream: Literal["stdout", "stderr"], text: str) -> None:
                captures[stream].add(text.encode("utf-8", errors="replace"))
                if on_output is not None:
                    loop.call_soon_threadsafe(on_output, stream, text)

            job = _Job(code, emit, loop)
            started = time.perf_counter()
            self._agent.channel.run_output = lambda text: emit("stdout", text)
            try:
                outcome = await self._hand_over(job, timeout)
            finally:
                if self._agent is not None:
                    self._agent.channel.run_output = None
            return ExecutionResult.from_outcome(
                outcome,
                stdout=captures["stdout"].text(),
                stderr=captures["stderr"].text(),
                execution_time_ms=(time.perf_counter() - started) * 1000,
            )

    async def _hand_over(self, job: _Job, timeout: float | None) -> dict[str, Any]:
        """Give the job to the agent thread and wait for its outcome within the timeout."""
        agent = self._agent
        assert agent is not None
        deadline = Deadline(job.future, timeout, self._grace, agent.interrupt)
        # Everything is ready before the agent thread wakes: from here this thread only
        # waits, so the two never contend for the GIL on the way in.
        agent.submit(job)
        try:
            outcome = await job.future
        except asyncio.CancelledError:
            agent.interrupt()  # nobody waits for this run any more: stop it
            raise
        except InterruptIgnored:
            # The thread runs on (it cannot be killed); what it prints from now on goes
            # nowhere, not to the host's console or to this run's caller.
            self._router.silence(agent.thread.ident)
            agent.thread.name = "pcm-inprocess-abandoned"
            await agent.channel.abandon_run_requests(self._grace)
            agent.stop()
            self._agent = self._new_agent()
            return {
                "error": f"Execution timeout: timed out after {timeout:g}s and the code "
                "ignored the interrupt; its thread was abandoned and a fresh one took over, so the "
                "session's variables were lost.",
                "error_type": "TimeoutError",
                "timed_out": True,
                "state_lost": True,
            }
        finally:
            deadline.cancel()
        if not deadline.expired:
            return outcome
        await agent.channel.abandon_run_requests(self._grace)
        return timed_out_outcome(outcome, timeout)

    def capabilities(self) -> frozenset[str]:
        """Timeouts and reset; a thread of the host isolates and limits nothing."""
        return frozenset({"timeout", "reset"})

    async def reset(self) -> None:
        """Forget the code's variables."""
        async with self._lock:
            if self._agent is not None:
                self._agent.reset()

    async def close(self) -> None:
        """Stop the agent thread."""
        async with self._lock:
            if self._agent is not None:
                self._agent.stop()
                await asyncio.to_thread(self._agent.thread.join, 5.0)
                serving = set(self._agent.channel.requests)
                if serving:  # a run's usage report, say: let its write land first
                    await asyncio.wait(serving, timeout=self._grace)
                self._agent = None
