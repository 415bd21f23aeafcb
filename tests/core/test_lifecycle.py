"""Nothing outlives a session: processes agent code starts, workers of a dead host, runs.

Real processes throughout: a host in a child interpreter that the test kills, children that
agent code starts in every way a program can escape its parent (same group, a new session,
a double fork), and runs without a timeout that `close()` and cancellation must still end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from py_code_mode import FileStorage, Session, SubprocessExecutor

from tests._support import exited

pytestmark = pytest.mark.anyio

GRACE = 1.0
WAIT = 20


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
async def session(workspace: Path) -> AsyncIterator[Session]:
    executor = SubprocessExecutor(interrupt_grace=GRACE)
    async with Session(storage=FileStorage(workspace), executor=executor) as session:
        yield session


# What agent code starts, in each way a process can leave its parent behind; it prints the
# pids of what it started (the double-forked one writes its pid to a pipe first).
ESCAPES = """
import json, os, subprocess, sys, time
sleeper = [sys.executable, "-c", "import time; time.sleep(300)"]
same_group = subprocess.Popen(sleeper)
new_session = subprocess.Popen(sleeper, start_new_session=True)
read, write = os.pipe()
if os.fork() == 0:                      # the classic daemon: fork, setsid, fork, exit
    os.setsid()
    if os.fork() == 0:
        os.write(write, str(os.getpid()).encode())
        os.close(write)
        time.sleep(300)
    os._exit(0)
os.close(write)
daemon = int(os.read(read, 32))
json.dumps([same_group.pid, new_session.pid, daemon])
"""


async def test_nothing_agent_code_started_outlives_close(workspace: Path) -> None:
    async with Session(storage=FileStorage(workspace), executor=SubprocessExecutor()) as session:
        result = await session.run(ESCAPES)
        assert result.error is None, result.error
        started = json.loads(result.value)
        worker = (await session.run("os.getpid()")).value
    with anyio.fail_after(WAIT):
        for pid in [*started, worker]:
            await exited(pid)


HOST = """
import asyncio, sys
from py_code_mode import FileStorage, Session

async def main():
    async with Session(storage=FileStorage(sys.argv[1])) as session:
        print((await session.run("import os\\nos.getpid()")).value, flush=True)
        await session.run("while True:\\n    pass")  # no timeout: runs until killed

asyncio.run(main())
"""


async def test_the_worker_dies_with_its_host(workspace: Path) -> None:
    command = [sys.executable, "-c", HOST, str(workspace)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as host:
        try:
            assert host.stdout is not None
            worker = int(host.stdout.readline())
            assert alive(worker)
            host.send_signal(signal.SIGKILL)  # no cleanup of any kind runs in the host
            host.wait()
            with anyio.fail_after(WAIT):
                await exited(worker)
        finally:
            host.kill()


LOOPS = "print('started', flush=True)\nwhile True:\n    pass"
SWALLOWS = (  # an interrupt that lands even in the print is swallowed too
    "while True:\n"
    "    try:\n"
    "        print('started', flush=True)\n"
    "        while True:\n"
    "            pass\n"
    "    except KeyboardInterrupt:\n"
    "        pass"
)


@pytest.mark.parametrize("code", [LOOPS, SWALLOWS], ids=["stops when interrupted", "ignores it"])
async def test_close_ends_a_run_without_a_timeout_within_the_grace_period(
    session: Session, code: str
) -> None:
    started = anyio.Event()
    outcome: list[object] = []

    def on_output(stream: str, text: str) -> None:
        if "started" in text:
            started.set()

    async def run() -> None:
        outcome.append(await session.run(code, on_output=on_output))

    worker = (await session.run("import os\nos.getpid()")).value
    async with anyio.create_task_group() as group:
        group.start_soon(run)
        with anyio.fail_after(WAIT):
            await started.wait()
        with anyio.fail_after(GRACE + 5):
            await session.close()
    [result] = outcome
    assert getattr(result, "error", None), result
    assert not alive(worker)


@pytest.mark.parametrize(
    ("code", "kept"), [(LOOPS, True), (SWALLOWS, False)], ids=["stops", "ignores the interrupt"]
)
async def test_a_cancelled_run_interrupts_the_code_then_kills_it(
    session: Session, code: str, kept: bool
) -> None:
    await session.run("survivor = 'here'")
    started = anyio.Event()

    def on_output(stream: str, text: str) -> None:
        if "started" in text:
            started.set()

    with anyio.fail_after(GRACE + 10):
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: session.run(code, on_output=on_output))
            await started.wait()
            group.cancel_scope.cancel()
    after = await session.run("globals().get('survivor')")
    assert after.error is None
    assert (after.value == "here") is kept


async def test_a_session_that_failed_to_start_says_why_again_when_tried_again(
    workspace: Path, tmp_path: Path
) -> None:
    """A server retries a session that did not start; the retry must name the real cause."""
    missing = tmp_path / "no-python-here"
    session = Session(
        storage=FileStorage(workspace), executor=SubprocessExecutor(python=str(missing))
    )
    for _ in range(2):
        with pytest.raises(OSError, match="no-python-here"):
            await session.start()
    await session.close()
