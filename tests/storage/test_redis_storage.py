"""RedisStorage on a real server: upstream's key layout, tenants apart, round trips, caching."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio
from py_code_mode import RedisStorage, ToolDefinitionError
from py_code_mode._artifacts import ArtifactStore
from py_code_mode._skills.library import SkillLibrary
from py_code_mode._storage.base import StoredSkill
from py_code_mode._storage.redis_keys import RedisKeys, check_prefix

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

DOUBLE = '"""Double a number."""\n\ndef run(n: int, times: int = 2) -> int:\n    return n * times\n'


class CountingConnection(redis.asyncio.Connection):
    """Counts what is sent to the server: one send is one round trip (pipelines send once)."""

    sends = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        type(self).sends += 1
        await super().send_packed_command(command, check_health)


@pytest.fixture
async def counted(redis_url: str) -> AsyncIterator[RedisStorage]:
    pool = redis.asyncio.ConnectionPool.from_url(redis_url, connection_class=CountingConnection)
    client = redis.asyncio.Redis(connection_pool=pool)
    try:
        yield RedisStorage(redis=client, prefix="rt")
    finally:
        await client.aclose()
        await pool.aclose()


async def hget_json(client: redis.asyncio.Redis, key: str, field: str) -> Any:
    raw = await client.hget(key, field)
    assert raw is not None, f"{key} has no field {field!r}"
    return json.loads(raw)


async def commands(client: redis.asyncio.Redis) -> dict[str, int]:
    stats = await client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


async def test_skills_and_artifacts_use_upstreams_keys(
    redis_url: str, redis_client: redis.asyncio.Redis
) -> None:
    async with RedisStorage(url=redis_url) as storage:
        await SkillLibrary(storage).create("double", DOUBLE, "Double it")
        await ArtifactStore(storage).save("scans/a.json", {"open": [22]}, "scan", {"host": "h"})
    record = await hget_json(redis_client, "py_code_mode:skills:__skills__", "double")
    assert record["name"] == "double" and record["description"] == "Double it"
    assert record["source"] == DOUBLE and record["created_at"].endswith("+00:00")
    assert record["parameters"][0] == {
        "name": "n",
        "type": "integer",
        "description": "",
        "required": True,
        "default": None,
    }
    payload = await redis_client.get("py_code_mode:artifacts:scans/a.json")
    assert payload is not None and json.loads(payload) == {"open": [22]}
    entry = await hget_json(redis_client, "py_code_mode:artifacts:__index__", "scans/a.json")
    assert entry["description"] == "scan" and entry["created_at"].endswith("+00:00")
    assert entry["metadata"] == {"host": "h", "_data_type": "json"}


async def test_records_written_by_upstream_load_with_names_as_text(
    redis_url: str, redis_client: redis.asyncio.Redis
) -> None:
    upstream_skill = {"name": "up", "description": "", "source": DOUBLE, "parameters": []}
    await redis_client.hset("P:skills:__skills__", "up", json.dumps(upstream_skill))
    await redis_client.set("P:artifacts:notes", "some text")
    entry = {"description": "d", "created_at": "2024-01-01T00:00:00+00:00", "metadata": {}}
    await redis_client.hset("P:artifacts:__index__", "notes", json.dumps(entry))
    await redis_client.set("P:artifacts:blob", b"\xff\x00")
    blob_entry = {**entry, "metadata": {"_data_type": "bytes", "k": 1}}
    await redis_client.hset("P:artifacts:__index__", "blob", json.dumps(blob_entry))
    async with RedisStorage(url=redis_url, prefix="P") as storage:
        [summary] = await SkillLibrary(storage).list()
        assert summary["name"] == "up" and summary["description"] == "Double a number."
        listed = [info.to_dict() for info in await storage.list_artifacts()]
        assert [(a["name"], a["type"], a["size"]) for a in listed] == [
            ("blob", "bytes", 2),
            ("notes", "text", 9),
        ]
        assert all(type(a["name"]) is str for a in listed)
        assert listed[0]["metadata"] == {"k": 1}
        artifacts = ArtifactStore(storage)
        assert await artifacts.load("notes") == "some text"
        assert await artifacts.load("blob") == b"\xff\x00"


async def test_prefixes_keep_tenants_apart(
    redis_url: str, redis_client: redis.asyncio.Redis
) -> None:
    tenants = {}
    for prefix in ("alpha", "beta:one"):
        storage = tenants[prefix] = RedisStorage(url=redis_url, prefix=prefix)
        await SkillLibrary(storage).create(f"skill_{prefix[0]}", DOUBLE)
        await ArtifactStore(storage).save("shared_name", prefix)
        await ArtifactStore(storage).save("brief", prefix, ttl=600)
        await storage.add_dep("attrs")
        await storage.save_tool_definition(
            {"name": "echo", "command": "echo", "recipes": {"say": {}}}
        )
    keys = sorted([key.decode() async for key in redis_client.scan_iter(match="*")])
    assert keys and all(key.startswith(("alpha:", "beta:one:")) for key in keys)
    assert len([k for k in keys if k.startswith("alpha:")]) == len(keys) // 2
    for prefix, storage in tenants.items():
        assert [s.name for s in await storage.list_skills()] == [f"skill_{prefix[0]}"]
        assert await ArtifactStore(storage).load("shared_name") == prefix
        await storage.delete_artifact("shared_name")
        await storage.close()
    remaining = [key.decode() async for key in redis_client.scan_iter(match="*shared_name")]
    assert remaining == []


def test_the_default_prefix_and_bad_prefixes() -> None:
    assert RedisStorage(url="redis://localhost").prefix == "py_code_mode"
    assert RedisKeys().skills == "py_code_mode:skills:__skills__"
    for bad in ["", "a*", "a b", "x?", "[x]", 42]:
        with pytest.raises(ValueError, match="prefix"):
            check_prefix(bad)
        with pytest.raises(ValueError, match="prefix"):
            RedisStorage(url="redis://localhost", prefix=bad)  # type: ignore[arg-type]


def test_construction_mistakes_say_what_to_pass() -> None:
    with pytest.raises(TypeError, match="url="):
        RedisStorage()
    with pytest.raises(ValueError, match="redis://"):
        RedisStorage(url="http://localhost:6379")
    with pytest.raises(TypeError, match="redis.asyncio.Redis"):
        RedisStorage(redis=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="decode_responses"):
        RedisStorage(redis=redis.asyncio.Redis(decode_responses=True))
    with pytest.raises(ValueError, match="timeout"):
        RedisStorage(url="redis://localhost", timeout=0)


async def test_an_artifact_with_a_ttl_expires_natively(
    redis_url: str, redis_client: redis.asyncio.Redis
) -> None:
    async with RedisStorage(url=redis_url, prefix="t") as storage:
        record = await ArtifactStore(storage).save("a", "x", ttl=600)
        await ArtifactStore(storage).save("b", "y")
    assert 0 < await redis_client.pttl("t:artifacts:a") <= 600_000
    assert await redis_client.pttl("t:artifacts:b") == -1  # no TTL
    entry = await hget_json(redis_client, "t:artifacts:__index__", "a")
    assert entry["expires_at"] == record["expires_at"]


async def test_an_index_entry_is_pruned_only_when_its_bytes_are_gone(
    redis_url: str, redis_client: redis.asyncio.Redis
) -> None:
    async with RedisStorage(url=redis_url, prefix="t") as storage:
        artifacts = ArtifactStore(storage)
        await artifacts.save("lapsed", "x", ttl=600)
        await artifacts.save("alive", "y", ttl=600)
        await redis_client.delete("t:artifacts:lapsed")  # as if its TTL had passed
        assert [a["name"] for a in await artifacts.list()] == ["alive"]
        assert await redis_client.hkeys("t:artifacts:__index__") == [b"alive"]


async def test_exists_does_not_read_the_artifact(
    counted: RedisStorage, redis_client: redis.asyncio.Redis
) -> None:
    await ArtifactStore(counted).save("big", b"x" * 100_000)
    await redis_client.config_resetstat()
    assert await ArtifactStore(counted).exists("big") is True
    stats = await commands(redis_client)
    assert stats.get("exists") == 1 and "get" not in stats and "hget" not in stats


async def test_every_operation_is_one_or_two_round_trips(counted: RedisStorage) -> None:
    skills, artifacts = SkillLibrary(counted), ArtifactStore(counted)
    # Connect and load the Lua scripts first: neither happens again on a warm connection.
    await skills.create("warm", DOUBLE)
    await skills.delete("warm")
    await artifacts.save("warm", 1, ttl=0.001)
    await artifacts.list()

    async def trips(action: Any) -> int:
        before = CountingConnection.sends
        await action
        return CountingConnection.sends - before

    assert await trips(skills.create("double", DOUBLE)) == 1
    assert await trips(skills.create("double", DOUBLE, "again")) == 1
    assert await trips(skills.get("double")) == 1
    # The library asks the revision (one GET); only when it moved does it list the skills,
    # in one pipelined read of version and hash. The first search also reads the usage
    # stats, which it then keeps for a while.
    assert await trips(skills.search("double")) == 3
    assert await trips(skills.search("double")) == 1  # unchanged: the GET alone
    assert await trips(skills.delete("double")) == 1
    assert await trips(skills.search("double")) == 2
    assert await trips(artifacts.save("a", {"k": 1}, ttl=60)) == 1
    assert await trips(artifacts.load("a")) == 1
    assert await trips(artifacts.exists("a")) == 1
    assert await trips(artifacts.list()) <= 2
    assert await trips(artifacts.delete("a")) == 1
    assert await trips(counted.add_dep("attrs")) == 1
    assert await trips(counted.list_deps()) == 1
    assert await trips(counted.load_tool_definitions()) == 1


async def test_a_listing_is_reread_only_when_the_version_moved(
    redis_url: str, redis_client: redis.asyncio.Redis
) -> None:
    writer = RedisStorage(url=redis_url, prefix="v")
    reader = RedisStorage(url=redis_url, prefix="v")
    await writer.save_skill(StoredSkill(name="one", source=DOUBLE))
    assert [s.name for s in await reader.list_skills()] == ["one"]
    await redis_client.config_resetstat()
    for _ in range(3):
        assert [s.name for s in await reader.list_skills()] == ["one"]
    stats = await commands(redis_client)
    assert stats.get("get") == 3 and "hgetall" not in stats
    await writer.save_skill(StoredSkill(name="two", source=DOUBLE))
    assert [s.name for s in await reader.list_skills()] == ["one", "two"]
    assert (await commands(redis_client)).get("hgetall") == 1
    await writer.delete_skill("one")
    assert [s.name for s in await reader.list_skills()] == ["two"]
    await writer.close()
    await reader.close()


async def test_tool_definitions_are_checked_before_they_are_stored(
    redis_url: str, redis_client: redis.asyncio.Redis
) -> None:
    async with RedisStorage(url=redis_url, prefix="t") as storage:
        with pytest.raises(ToolDefinitionError):
            await storage.save_tool_definition({"name": "../evil", "command": "x"})
        with pytest.raises(ToolDefinitionError):
            await storage.save_tool_definition({"name": "ok", "command": "x"})  # no recipes
        assert await redis_client.exists("t:tools:__tools__") == 0
        await storage.save_tool_definition({"name": "ok", "command": "x", "recipes": {"r": {}}})
        assert await storage.delete_tool_definition("ok") is True
        assert await storage.delete_tool_definition("ok") is False
        await redis_client.hset("t:tools:__tools__", "bad", "{not json")
        [(where, unreadable)] = await storage.load_tool_definitions()
        assert isinstance(unreadable, ToolDefinitionError)  # in place of its mapping
        assert "t:tools:__tools__" in where and "not valid JSON" in str(unreadable)


async def test_a_client_passed_in_stays_open_after_close(
    redis_url: str, redis_client: redis.asyncio.Redis
) -> None:
    storage = RedisStorage(redis=redis_client, prefix="c")
    await storage.add_dep("attrs")
    await storage.close()
    assert await redis_client.ping()
    assert await storage.list_deps() == ["attrs"]
    assert storage.url.startswith("redis://127.0.0.1:")
