"""A worker that breaks the channel protocol: the host believes nothing, hangs never, says why.

Agent code owns its worker process, so it can write whatever it likes into the channel's
pipe. These tests do exactly that, through the worker's own descriptor, during runs that
have no timeout: only the host's checks can end them.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from py_code_mode import FileStorage, Session, SubprocessExecutor

from tests._support import exited

pytestmark = pytest.mark.anyio

WAIT = 20


@pytest.fixture
async def session(workspace: Path) -> AsyncIterator[Session]:
    executor = SubprocessExecutor(max_frame_bytes=1 << 20)
    async with Session(storage=FileStorage(workspace), executor=executor) as session:
        yield session


def _writes(payload: bytes) -> str:
    """Agent code that writes `payload` raw into its worker's end of the channel."""
    return (
        "import os\n"
        "fd = skills.list._channel._write_fd\n"
        f"os.write(fd, {payload!r})\n"
        "import time\n"
        "time.sleep(60)\n"
    )


def _frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


BROKEN_FRAMES = {
    "a header claiming 2 GiB": (struct.pack(">I", 2**31) + b"{", "2,147,483,648 bytes"),
    "garbage": (_frame(b"\xff not json at all"), "not JSON"),
    "not an object": (_frame(b"[1, 2, 3]"), "not an object"),
    "an unknown kind": (_frame(b'{"kind": "hello"}'), "'hello'"),
    "a result for a run that is not in flight": (
        _frame(b'{"kind": "done", "id": 999, "result": {"value": "forged"}}'),
        "run 999",
    ),
    "a second ready": (_frame(b'{"kind": "ready", "pid": 1}'), "'ready'"),
    "a request without an id": (
        _frame(b'{"kind": "request", "verb": "skills.list", "args": {}}'),
        "request",
    ),
    "a request whose arguments are a list": (
        _frame(b'{"kind": "request", "id": 7, "verb": "skills.list", "args": [1]}'),
        "request",
    ),
}


@pytest.mark.parametrize(("payload", "why"), BROKEN_FRAMES.values(), ids=BROKEN_FRAMES.keys())
async def test_a_frame_that_breaks_the_protocol_ends_the_run_and_replaces_the_worker(
    session: Session, payload: bytes, why: str
) -> None:
    await session.run("survivor = 1")
    with anyio.fail_after(WAIT):
        result = await session.run(_writes(payload))
    assert result.error is not None and "broke the channel protocol" in result.error, result
    assert why in result.error
    assert result.state_lost
    after = await session.run("'fresh'")
    assert (after.error, after.value) == (None, "fresh")


async def test_a_forged_result_written_between_runs_never_becomes_a_later_runs_value(
    session: Session,
) -> None:
    # Once this run is over, a thread of agent code writes a result for the next run.
    forged = _frame(b'{"kind": "done", "id": 2, "result": {"value": "forged"}}')
    code = (
        "import os, threading, time\n"
        "fd = skills.list._channel._write_fd\n"
        f"threading.Thread(target=lambda: (time.sleep(0.3), os.write(fd, {forged!r}))).start()\n"
        "os.getpid()"
    )
    worker = (await session.run(code)).value
    with anyio.fail_after(WAIT):
        await exited(worker)  # the host ends a worker that breaks the protocol
        second = await session.run("'second'")
    assert (second.error, second.value) == (None, "second")
    assert second.state_lost  # the fresh worker has none of the old variables, and says so
    assert "broke the channel protocol" in second.stderr


async def test_a_value_larger_than_a_frame_is_an_error_and_the_session_survives(
    session: Session,
) -> None:
    await session.run("survivor = 1")
    result = await session.run("'x' * 2_000_000")
    assert result.error is not None and "too large" in result.error
    assert not result.state_lost
    assert (await session.run("survivor")).value == 1


async def test_a_request_larger_than_a_frame_is_refused_in_agent_code(session: Session) -> None:
    await session.run("survivor = 1")
    result = await session.run("artifacts.save('big', 'x' * 2_000_000)")
    assert result.error is not None and "too large" in result.error
    assert not result.state_lost
    assert (await session.run("survivor")).value == 1
    assert await session.list_artifacts() == []


def test_the_frame_limit_must_be_sane() -> None:
    with pytest.raises(ValueError, match="max_frame_bytes"):
        SubprocessExecutor(max_frame_bytes=100)
