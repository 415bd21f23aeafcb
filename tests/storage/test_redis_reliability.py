"""Redis away or restarted: clear errors, no hangs, no dead sessions, reconnection."""

from __future__ import annotations

import anyio
import pytest
from py_code_mode import InProcessExecutor, RedisStorage, Session, StorageError

from tests.conftest import make_executor
from tests.storage.conftest import RedisServer, free_port

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


async def test_an_unreachable_server_is_a_prompt_clear_error_without_the_password() -> None:
    port = free_port()  # nothing listens there
    storage = RedisStorage(url=f"redis://user:s3cret@127.0.0.1:{port}/0", prefix="p")
    with anyio.fail_after(10), pytest.raises(StorageError) as caught:
        await storage.list_skills()
    message = str(caught.value)
    assert f"redis://user:***@127.0.0.1:{port}/0" in message
    assert "unavailable" in message and "s3cret" not in message
    with anyio.fail_after(10), pytest.raises(StorageError) as at_start:
        async with Session(storage=storage, executor=InProcessExecutor()):
            pass
    assert f"127.0.0.1:{port}" in str(at_start.value) and "s3cret" not in str(at_start.value)


async def test_a_password_in_the_query_string_is_redacted_too() -> None:
    port = free_port()
    storage = RedisStorage(url=f"redis://127.0.0.1:{port}/0?password=hunter2")
    with anyio.fail_after(10), pytest.raises(StorageError) as caught:
        await storage.artifact_exists("a")
    assert "hunter2" not in str(caught.value) and "password=***" in str(caught.value)


async def test_a_restarted_server_is_reconnected_and_a_call_while_down_is_an_error_result(
    own_redis_server: RedisServer, executor_kind: str
) -> None:
    server = own_redis_server
    storage = RedisStorage(url=server.url, prefix="r")
    async with Session(storage=storage, executor=make_executor(executor_kind)) as session:
        first = await session.run("artifacts.save('a', 1)\nartifacts.load('a')")
        assert first.value == 1, first.error

        server.stop()
        server.start()  # the pooled connection is now dead; the next call reconnects
        after_restart = await session.run("artifacts.save('b', [2])\nartifacts.load('b')")
        assert after_restart.value == [2], after_restart.error

        server.stop()
        with anyio.fail_after(20):
            down = await session.run("artifacts.load('b')")
        assert not down.is_ok and "StorageError" in (down.error or "")
        assert f"127.0.0.1:{server.port}" in (down.error or "")
        assert (await session.run("6 * 7")).value == 42  # the session lives on
        with anyio.fail_after(20), pytest.raises(StorageError):
            await session.list_skills()

        server.start()
        back = await session.run(
            "skills.create('inc', 'def run(n):\\n    return n + 1')\nskills.inc(n=1)"
        )
        assert back.value == 2, back.error
        assert [s["name"] for s in await session.list_skills()] == ["inc"]
