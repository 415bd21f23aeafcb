"""Sessions on RedisStorage: agent code with skills and artifacts; hosts that share a prefix."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio
from py_code_mode import (
    ArtifactNotFoundError,
    InputError,
    RedisStorage,
    Session,
    SyncSession,
    UsageError,
)

from tests.conftest import make_executor

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

FETCH = '''"""Fetch and remember the star count of a repository."""

def run(owner: str, repo: str) -> int:
    stars = len(owner) * 100 + len(repo)
    artifacts.save(f"stars/{owner}_{repo}.json", {"stars": stars})
    return stars
'''


@pytest.fixture
async def session(redis_url: str, executor_kind: str) -> AsyncIterator[Session]:
    storage = RedisStorage(url=redis_url, prefix="agent")
    async with Session(storage=storage, executor=make_executor(executor_kind)) as s:
        yield s


async def test_agent_code_creates_and_invokes_skills_that_use_artifacts(session: Session) -> None:
    created = await session.run(f"skills.create('fetch_stars', {FETCH!r})")
    assert created.is_ok, created.error
    used = await session.run(
        "n = skills.fetch_stars(owner='ada', repo='engine')\n"
        "(n, artifacts.load('stars/ada_engine.json'), [a['name'] for a in artifacts.list()])"
    )
    assert used.value == "(306, {'stars': 306}, ['stars/ada_engine.json'])"
    found = await session.run("[s['name'] for s in skills.search('repository star count')]")
    assert found.value == ["fetch_stars"]
    assert (await session.invoke_skill("fetch_stars", owner="b", repo="c")).value == 101


async def test_artifact_values_cross_exactly_between_agent_code_and_the_facade(
    session: Session,
) -> None:
    saved = await session.run(
        "artifacts.save('blob', b'\\x00\\xff')\n"
        "artifacts.save('n', 42)\n"
        "artifacts.save('s', '42')\n"
        "artifacts.save('doc', {'a': [1, None, 2.5]}, description='d', metadata={'k': 'v'})"
    )
    assert saved.is_ok, saved.error
    assert await session.load_artifact("blob") == b"\x00\xff"
    assert await session.load_artifact("n") == 42
    assert await session.load_artifact("s") == "42"
    assert await session.load_artifact("doc") == {"a": [1, None, 2.5]}
    [doc] = [a for a in await session.list_artifacts() if a["name"] == "doc"]
    assert (doc["description"], doc["metadata"]) == ("d", {"k": "v"})
    assert (await session.run("artifacts.load('blob')")).value == b"\x00\xff"


async def test_a_ttl_from_agent_code_and_from_the_facade(session: Session) -> None:
    result = await session.run("artifacts.save('t', 1, ttl=600)['expires_at'] is not None")
    assert result.value is True, result.error
    record = await session.save_artifact("u", "x", ttl=600)
    assert record["expires_at"] is not None
    bad = await session.run("artifacts.save('v', 1, ttl=-5)")
    assert "InputError" in (bad.error or "") and "ttl" in (bad.error or "")
    with pytest.raises(InputError, match="ttl"):
        await session.save_artifact("v", 1, ttl=0)
    with pytest.raises(ArtifactNotFoundError):
        await session.load_artifact("v")


async def test_hostile_names_are_rejected_in_agent_code_and_nothing_is_written(
    session: Session, redis_client: redis.asyncio.Redis
) -> None:
    code = """
errors = []
for name in ['../x', '__index__', '/etc/passwd', '.hidden']:
    try:
        artifacts.save(name, 'x')
    except Exception as exc:
        errors.append(type(exc).__name__)
try:
    skills.create('../evil', 'def run(): pass')
except Exception as exc:
    errors.append(type(exc).__name__)
errors
"""
    result = await session.run(code)
    assert result.value == ["InvalidNameError"] * 5, result.error
    assert [key async for key in redis_client.scan_iter(match="*")] == []


async def test_a_skill_created_on_one_host_is_found_by_search_on_another(
    redis_url: str, redis_client: redis.asyncio.Redis
) -> None:
    host_a = Session(
        storage=RedisStorage(url=redis_url, prefix="shared"), executor=make_executor("inprocess")
    )
    host_b = Session(
        storage=RedisStorage(url=redis_url, prefix="shared"), executor=make_executor("subprocess")
    )
    async with host_a, host_b:
        assert (await host_b.run("skills.search('stars')")).value == []
        created = await host_a.run(f"skills.create('fetch_stars', {FETCH!r})")
        assert created.is_ok, created.error
        found = await host_b.run("[s['name'] for s in skills.search('star count')]")
        assert found.value == ["fetch_stars"]
        assert (await host_b.run("skills.fetch_stars(owner='a', repo='b')")).value == 101

        # Unchanged library: each search on B is one GET of the version, no re-read.
        await redis_client.config_resetstat()
        for _ in range(3):
            assert (await host_b.run("len(skills.search('star count'))")).value == 1
        stats = await redis_client.info("commandstats")
        assert "cmdstat_hgetall" not in stats and stats["cmdstat_get"]["calls"] == 3

        await host_a.delete_skill("fetch_stars")
        assert (await host_b.run("skills.search('star count')")).value == []


async def test_a_storage_moves_to_another_event_loop_once_its_session_closed(
    redis_url: str,
) -> None:
    storage = RedisStorage(url=redis_url, prefix="loops")
    # SyncSession runs the session on a loop of its own, on another thread.
    with SyncSession(storage=storage, executor=make_executor("inprocess")) as sync:
        sync.create_skill("inc", "def run(n):\n    return n + 1\n")
        assert sync.save_artifact("a", [1], ttl=600)["expires_at"] is not None
        assert sync.run("skills.inc(n=artifacts.load('a')[0])").value == 2
        with pytest.raises(UsageError, match="another event loop"):
            await storage.list_skills()  # its connections belong to the session's loop
    async with Session(storage=storage, executor=make_executor("inprocess")) as here:
        assert [s["name"] for s in await here.list_skills()] == ["inc"]
        assert await here.load_artifact("a") == [1]


RAW_KEYS = """
import socket
from urllib.parse import urlsplit
where = urlsplit({url!r})
try:
    with socket.create_connection((where.hostname, where.port), timeout=5) as s:
        s.sendall(b"*2\\r\\n$4\\r\\nKEYS\\r\\n$1\\r\\n*\\r\\n")
        got = s.recv(65536)
except OSError as exc:
    got = type(exc).__name__.encode()
b"tenant-b" in got, got[:40]
"""


@pytest.mark.parametrize(("kind", "reached"), [("subprocess", True), ("sandbox", False)])
async def test_a_tenant_cannot_read_another_prefix_through_redis_itself(
    redis_url: str, kind: str, reached: bool
) -> None:
    # Agent code that knows the server's URL talks to Redis directly, around the storage.
    other = RedisStorage(url=redis_url, prefix="tenant-b")
    async with Session(storage=other, executor=make_executor("inprocess")) as b:
        await b.save_artifact("secret", "only for tenant b")
    mine = RedisStorage(url=redis_url, prefix="tenant-a")
    async with Session(storage=mine, executor=make_executor(kind)) as a:
        result = await a.run(RAW_KEYS.format(url=redis_url))
        listed = await a.run("[x['name'] for x in artifacts.list()]")
    assert result.error is None, result.error
    assert result.value.startswith(f"({reached},"), result.value
    assert listed.value == []
