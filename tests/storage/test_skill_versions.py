"""Skill versions on File and Redis storage: history, get by version, rollback, soft delete.

Nothing a user saved is lost: every save is a version, a delete is recorded and can be
undone, a file changed by hand (or a record written by another tool) is kept as a version
before it is replaced, and only `purge` forgets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from py_code_mode import (
    InProcessExecutor,
    InputError,
    RedisStorage,
    Session,
    SkillNotFoundError,
    Storage,
)
from py_code_mode._skills.library import SkillLibrary
from py_code_mode._storage.base import source_hash

from tests.storage.conftest import PREFIX

pytestmark = pytest.mark.anyio


def source(n: int) -> str:
    return f'"""Version {n}."""\n\n\ndef run() -> int:\n    return {n}\n'


@pytest.fixture
async def library(storage: Storage) -> SkillLibrary:
    await storage.open()
    return SkillLibrary(storage)


async def test_every_save_is_a_version_with_its_hash_author_and_description(
    library: SkillLibrary,
) -> None:
    await library.create("pick", source(1), "first", author="ada")
    await library.create("pick", source(2), None)

    history = await library.history("pick")
    assert [v["version"] for v in history] == [1, 2]
    assert history[0]["sha256"] == source_hash(source(1))
    assert (history[0]["author"], history[0]["description"]) == ("ada", "first")
    assert (history[1]["author"], history[1]["description"]) == (None, None)
    assert not any(v["deleted"] for v in history)

    old = await library.get("pick", version=1)
    current = await library.get("pick")
    assert old is not None and old["source"] == source(1) and old["version"] == 1
    assert current is not None and current["source"] == source(2) and current["version"] == 2


async def test_a_rollback_is_a_new_version_with_the_old_source(library: SkillLibrary) -> None:
    await library.create("pick", source(1), "first")
    await library.create("pick", source(2), "second")

    summary = await library.rollback("pick", 1)

    assert summary["description"] == "first"
    current = await library.get("pick")
    assert current is not None and current["source"] == source(1) and current["version"] == 3
    assert [v["sha256"] for v in await library.history("pick")] == [
        source_hash(source(1)), source_hash(source(2)), source_hash(source(1)),
    ]  # fmt: skip


async def test_a_delete_is_soft_until_purged(library: SkillLibrary) -> None:
    await library.create("pick", source(1), None)
    assert await library.delete("pick")

    assert await library.get("pick") is None
    assert [s["name"] for s in await library.list()] == []
    history = await library.history("pick")
    assert [(v["version"], v["deleted"]) for v in history] == [(1, False), (2, True)]
    old = await library.get("pick", version=1)
    assert old is not None and old["source"] == source(1)

    await library.rollback("pick", 1)  # brings it back
    assert [s["name"] for s in await library.list()] == ["pick"]

    assert await library.purge("pick")
    assert await library.get("pick") is None
    with pytest.raises(SkillNotFoundError, match="Skill not found: 'pick'"):
        await library.history("pick")
    assert not await library.purge("pick")


async def test_versions_that_do_not_exist_say_which_do(library: SkillLibrary) -> None:
    await library.create("pick", source(1), None)
    await library.create("pick", source(2), None)
    await library.delete("pick")

    with pytest.raises(SkillNotFoundError, match=r"no version 7; its versions are 1, 2"):
        await library.get("pick", version=7)
    with pytest.raises(SkillNotFoundError, match="Version 3 of skill 'pick' records its delete"):
        await library.rollback("pick", 3)
    with pytest.raises(SkillNotFoundError, match="Skill not found: 'never'"):
        await library.rollback("never", 1)
    assert [v["version"] for v in await library.history("pick")] == [1, 2, 3]  # unchanged


async def test_a_file_changed_by_hand_is_kept_as_a_version_before_the_next_save(
    tmp_path: Path,
) -> None:
    from py_code_mode import FileStorage

    storage = FileStorage(tmp_path)
    await storage.open()
    library = SkillLibrary(storage)
    (tmp_path / "skills" / "pick.py").write_text(source(1))  # never saved through us
    assert [v["sha256"] for v in await library.history("pick")] == [source_hash(source(1))]

    await library.create("pick", source(2), None)
    (tmp_path / "skills" / "pick.py").write_text(source(3))  # edited by hand
    await library.create("pick", source(4), None)

    history = await library.history("pick")
    assert [v["sha256"] for v in history] == [source_hash(source(n)) for n in (1, 2, 3, 4)]
    by_hand = await library.get("pick", version=3)
    assert by_hand is not None and by_hand["source"] == source(3)


@pytest.mark.redis
async def test_a_record_written_by_another_tool_is_kept_as_a_version(
    redis_url: str, redis_client: redis.asyncio.Redis
) -> None:
    storage = RedisStorage(url=redis_url, prefix=PREFIX)
    library = SkillLibrary(storage)
    record = {"name": "pick", "description": "upstream's", "source": source(1), "parameters": []}
    await redis_client.hset(f"{PREFIX}:skills:__skills__", "pick", json.dumps(record))

    await library.create("pick", source(2), None)

    history = await library.history("pick")
    await storage.close()
    assert [v["sha256"] for v in history] == [source_hash(source(1)), source_hash(source(2))]
    assert history[0]["description"] == "upstream's"


async def test_agent_code_reads_history_and_rolls_back(tmp_path: Path) -> None:
    async with Session.from_base(tmp_path, executor=InProcessExecutor()) as session:
        for n in (1, 2):
            await session.create_skill(name="pick", source=source(n))
        result = await session.run(
            "before = skills.pick()\n"
            "skills.rollback('pick', 1, author='agent')\n"
            "(before, skills.pick(), [v['version'] for v in skills.history('pick')],"
            " skills.history('pick')[-1]['author'])"
        )
        assert result.error is None, result.error
        assert result.value == "(2, 1, [1, 2, 3], 'agent')"
        with pytest.raises(InputError, match="greater than or equal to 1"):
            await session.get_skill(name="pick", version=0)
        failed = await session.run("skills.history('nothere')")
        assert failed.error is not None and "SkillNotFoundError" in failed.error


async def test_a_versions_verification_and_input_schema_are_stored_with_it(
    library: SkillLibrary, storage: Storage
) -> None:
    # The library stores what the worker verified (it runs no code itself): the examples,
    # the tests and when, with the version they belong to, on every storage.
    examples: list[dict[str, Any]] = [{"args": {"n": 2}, "expect": [2, {"a": None}]}, {"args": {}}]
    tests = "def test_it():\n    assert run(1)\n"
    verified = "def run(n: int = 1) -> list:\n    return [n, {'a': None}]\n"
    await library.create("pick", verified, examples=examples, tests=tests)
    await library.create("pick", source(2))

    first = await library.get("pick", version=1)
    assert first is not None
    assert first["verification"]["examples"] == examples
    assert first["verification"]["tests"] == tests
    assert first["verification"]["test_count"] == 1
    current = await library.get("pick")
    assert current is not None and "verification" not in current
    history = await library.history("pick")
    assert history[0]["verified"]["examples"] == 2
    assert history[1]["verified"] is None

    await library.rollback("pick", 1)
    stored = await storage.get_skill("pick")
    assert stored is not None and stored.verification is not None
    assert stored.verification["examples"] == examples
    assert stored.input_schema == {
        "type": "object",
        "properties": {"n": {"type": "integer", "default": 1}},
        "required": [],
        "additionalProperties": False,
    }
