"""One suite for every Storage: FileStorage and RedisStorage must behave the same.

Each test runs once per backend (`backend` fixture in conftest.py); what differs between
them (where bytes land, the order of the deps list) is stated where it is checked.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from py_code_mode import (
    ArtifactNotFoundError,
    FileStorage,
    InputError,
    InvalidNameError,
    RedisStorage,
)
from py_code_mode._artifacts import ArtifactStore
from py_code_mode._skills.library import SkillLibrary
from py_code_mode._storage.base import ArtifactInfo, Storage, StoredSkill
from py_code_mode._tools.registry import ToolRegistry

from tests.core.test_artifacts import VALUES as SESSION_VALUES
from tests.storage.conftest import PREFIX, Backend

pytestmark = pytest.mark.anyio

DOUBLE = '"""Double a number."""\n\ndef run(n: int, times: int = 2) -> int:\n    return n * times\n'

# Every value the session-level artifact tests round-trip, and what only storage sees.
VALUES: list[tuple[str, Any]] = [
    *SESSION_VALUES,
    ("not_utf8", b"\xff\xfe\x00"),
    ("nested_unicode", {"ü": "ß", "$dict": ["not", "a tag"]}),
    ("empty", ""),
    ("empty_bytes", b""),
]

HOSTILE_ARTIFACT_NAMES: list[Any] = [
    "../../../etc/passwd",
    "/etc/passwd",
    "",
    "a/../../b",
    ".artifacts.json",
    "__index__",
    "__version__",
    "dir/.hidden",
    "-x",
    "a:b",
    "a b",
    "x" * 300,
    None,
    42,
]

HOSTILE_SKILL_NAMES: list[Any] = ["../evil", "", "list", "class", "a-b", "a:b", "__skills__", None]

TOOL = {
    "name": "echo",
    "description": "Print text",
    "command": "echo",
    "schema": {"positional": [{"name": "text", "type": "string", "required": True}]},
    "recipes": {"say": {"description": "Print the text"}},
}


async def put_tool(backend: Backend, definition: dict[str, Any]) -> None:
    """Tool definitions are YAML files in a workspace; in Redis they are saved through the API."""
    if isinstance(backend.storage, FileStorage):
        path = backend.storage.tools_dir / f"{definition['name']}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(definition, sort_keys=False))
    else:
        assert isinstance(backend.storage, RedisStorage)
        await backend.storage.save_tool_definition(definition)


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait until `check()` holds (an artifact's TTL has to pass), bounded."""
    with anyio.fail_after(5):
        while not await check():
            await anyio.sleep(0.01)


# --- skills ------------------------------------------------------------------------------


async def test_skills_round_trip_and_list_sorted(storage: Storage) -> None:
    assert await storage.list_skills() == []
    assert await storage.get_skill("double") is None
    await storage.save_skill(StoredSkill(name="double", source=DOUBLE))
    await storage.save_skill(StoredSkill(name="add", source="def run(a, b):\n    return a + b\n"))
    assert [s.name for s in await storage.list_skills()] == ["add", "double"]
    stored = await storage.get_skill("double")
    assert stored is not None and stored.source == DOUBLE and stored.description is None


async def test_an_explicit_description_is_kept_and_none_stays_none(storage: Storage) -> None:
    await storage.save_skill(StoredSkill(name="stars", source=DOUBLE, description="Count stars"))
    await storage.save_skill(StoredSkill(name="plain", source=DOUBLE))
    by_name = {s.name: s for s in await storage.list_skills()}
    assert by_name["stars"].description == "Count stars"
    assert by_name["plain"].description is None
    library = SkillLibrary(storage)
    described = {s["name"]: s["description"] for s in await library.list()}
    assert described == {"plain": "Double a number.", "stars": "Count stars"}


async def test_replacing_a_skill_keeps_its_creation_time(storage: Storage) -> None:
    first = StoredSkill(name="s", source=DOUBLE, created_at="2020-01-01T00:00:00+00:00")
    await storage.save_skill(first)
    await storage.save_skill(
        StoredSkill(name="s", source="def run():\n    return 1\n", description="new")
    )
    stored = await storage.get_skill("s")
    assert stored is not None
    assert stored.source == "def run():\n    return 1\n" and stored.description == "new"
    assert stored.created_at == "2020-01-01T00:00:00+00:00"


async def test_deleting_a_skill_says_whether_there_was_one(storage: Storage) -> None:
    await storage.save_skill(StoredSkill(name="gone", source=DOUBLE))
    assert await storage.delete_skill("gone") is True
    assert await storage.delete_skill("gone") is False
    assert await storage.get_skill("gone") is None
    assert await storage.list_skills() == []


async def test_names_differing_only_in_case_are_refused_across_writers(
    backend: Backend,
) -> None:
    storage = backend.storage
    await storage.open()
    await storage.save_skill(StoredSkill(name="fetch_data", source=DOUBLE))
    with pytest.raises(InvalidNameError, match="the skill 'fetch_data' exists"):
        await storage.save_skill(StoredSkill(name="Fetch_Data", source=DOUBLE))
    await storage.save_skill(StoredSkill(name="fetch_data", source=DOUBLE + "\n"))  # same name

    # Another writer's skill is seen too, though this storage listed the names before.
    other = (
        FileStorage(backend.location)
        if backend.kind == "file"
        else RedisStorage(url=backend.location, prefix=PREFIX)
    )
    try:
        await other.save_skill(StoredSkill(name="parse_csv", source=DOUBLE))
    finally:
        await other.close()
    with pytest.raises(InvalidNameError, match="'parse_csv' exists"):
        await storage.save_skill(StoredSkill(name="PARSE_CSV", source=DOUBLE))

    assert [s.name for s in await storage.list_skills()] == ["fetch_data", "parse_csv"]
    assert await storage.delete_skill("fetch_data")  # once it is gone, the name is free
    await storage.save_skill(StoredSkill(name="Fetch_Data", source=DOUBLE))
    assert [s.name for s in await storage.list_skills()] == ["Fetch_Data", "parse_csv"]


async def test_a_listing_sees_writes_made_after_it(storage: Storage) -> None:
    await storage.save_skill(StoredSkill(name="one", source=DOUBLE))
    assert [s.name for s in await storage.list_skills()] == ["one"]
    await storage.save_skill(StoredSkill(name="two", source=DOUBLE))
    assert [s.name for s in await storage.list_skills()] == ["one", "two"]
    await storage.delete_skill("one")
    assert [s.name for s in await storage.list_skills()] == ["two"]


async def test_the_library_creates_searches_and_gets_skills(storage: Storage) -> None:
    library = SkillLibrary(storage)
    await library.create("double", DOUBLE)
    await library.create("greet", "def run(name: str) -> str:\n    return name\n", "Greet people")
    assert [s["name"] for s in await library.search("double a number", 1)] == ["double"]
    details = await library.get("double")
    assert details is not None and details["source"] == DOUBLE
    assert [p["name"] for p in details["parameters"]] == ["n", "times"]


@pytest.mark.parametrize("name", HOSTILE_SKILL_NAMES)
async def test_hostile_skill_names_are_rejected_before_anything_is_written(
    backend: Backend, name: Any
) -> None:
    storage = backend.storage
    with pytest.raises(InvalidNameError):
        await storage.save_skill(StoredSkill(name=name, source=DOUBLE))
    with pytest.raises(InvalidNameError):
        await SkillLibrary(storage).create(name, DOUBLE)
    with pytest.raises(InvalidNameError):
        await storage.get_skill(name)
    with pytest.raises(InvalidNameError):
        await storage.delete_skill(name)
    assert await backend.written() == []


# --- artifacts ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, value", VALUES)
async def test_artifact_values_round_trip_exactly(storage: Storage, name: str, value: Any) -> None:
    artifacts = ArtifactStore(storage)
    await artifacts.save(name, value)
    loaded = await artifacts.load(name)
    assert loaded == value and type(loaded) is type(value)


async def test_artifact_records_carry_type_size_description_metadata(storage: Storage) -> None:
    artifacts = ArtifactStore(storage)
    saved = await artifacts.save("report", {"k": 1}, "a report", {"run": 3, "tags": ["x"]})
    [listed] = await artifacts.list()
    info, payload = await storage.load_artifact("report")
    assert listed == saved == info.to_dict()
    assert listed["type"] == "json" and listed["size"] == len(payload)
    assert listed["description"] == "a report"
    assert listed["metadata"] == {"run": 3, "tags": ["x"]}
    assert listed["created_at"].endswith("+00:00") and listed["expires_at"] is None


async def test_artifacts_in_sub_paths_list_sorted(storage: Storage) -> None:
    artifacts = ArtifactStore(storage)
    for name in ["scans/host2.json", "b", "scans/host1.json", "a.txt"]:
        await artifacts.save(name, name)
    assert [a["name"] for a in await artifacts.list()] == [
        "a.txt",
        "b",
        "scans/host1.json",
        "scans/host2.json",
    ]
    assert await artifacts.load("scans/host1.json") == "scans/host1.json"


async def test_in_a_workspace_an_artifact_is_never_also_a_folder_of_artifacts(
    tmp_path: Path,
) -> None:
    """On disk a name is a file or a folder. (Redis keeps names flat and allows both.)"""
    artifacts = ArtifactStore(FileStorage(tmp_path))
    await artifacts.save("scans", "a file")
    with pytest.raises(InvalidNameError, match="the artifact 'scans' is a file"):
        await artifacts.save("scans/host1.json", {"open": [22]})
    await artifacts.save("reports/weekly/1", "inside a folder")
    for taken in ("reports", "reports/weekly"):
        with pytest.raises(InvalidNameError, match="a folder of artifacts has that name"):
            await artifacts.save(taken, "a file")
    await artifacts.delete("scans")  # gone: the name is free to be a folder
    await artifacts.save("scans/host1.json", "now a folder")
    names = [a["name"] for a in await artifacts.list()]
    assert names == ["reports/weekly/1", "scans/host1.json"]


async def test_an_expired_artifact_does_not_keep_its_name_from_being_a_folder(
    storage: Storage,
) -> None:
    """On either storage: an artifact that has expired keeps no name from anyone."""
    artifacts = ArtifactStore(storage)
    await artifacts.save("cache", "soon gone", ttl=0.2)
    await anyio.sleep(0.5)
    await artifacts.save("cache/page.html", "<html>")
    assert [a["name"] for a in await artifacts.list()] == ["cache/page.html"]


async def test_exists_delete_and_missing_artifacts(storage: Storage) -> None:
    artifacts = ArtifactStore(storage)
    await artifacts.save("a", 1)
    assert await artifacts.exists("a") is True
    assert await artifacts.delete("a") is True
    assert await artifacts.exists("a") is False
    assert await artifacts.delete("a") is False
    with pytest.raises(ArtifactNotFoundError, match="'a' not found"):
        await artifacts.load("a")
    assert await artifacts.list() == []


async def test_a_replaced_artifact_keeps_only_the_new_value(storage: Storage) -> None:
    artifacts = ArtifactStore(storage)
    await artifacts.save("x", "old", "old one", {"v": 1})
    await artifacts.save("x", b"new")
    assert await artifacts.load("x") == b"new"
    [record] = await artifacts.list()
    assert (record["type"], record["description"], record["metadata"]) == ("bytes", "", {})


@pytest.mark.parametrize("name", HOSTILE_ARTIFACT_NAMES)
async def test_hostile_artifact_names_are_rejected_before_anything_is_written(
    backend: Backend, name: Any
) -> None:
    storage = backend.storage
    artifacts = ArtifactStore(storage)
    with pytest.raises(InvalidNameError):
        await artifacts.save(name, "data")
    with pytest.raises(InvalidNameError):
        await storage.save_artifact(ArtifactInfo(name=name, data_type="text", size=4), b"data")
    for call in (storage.load_artifact, storage.artifact_exists, storage.delete_artifact):
        with pytest.raises(InvalidNameError):
            await call(name)
    assert await backend.written() == []


@pytest.mark.parametrize("ttl", [0, -1, math.nan, math.inf, "10", True, 1e12, [1]])
async def test_a_bad_ttl_is_an_input_error_and_nothing_is_written(
    backend: Backend, ttl: Any
) -> None:
    with pytest.raises(InputError, match="ttl"):
        await ArtifactStore(backend.storage).save("a", "data", ttl=ttl)
    assert await backend.written() == []


async def test_an_artifact_with_a_ttl_is_there_until_it_expires(storage: Storage) -> None:
    artifacts = ArtifactStore(storage)
    record = await artifacts.save("lasting", "data", ttl=3600)
    assert record["expires_at"] is not None and record["expires_at"] > record["created_at"]
    assert await artifacts.exists("lasting") and await artifacts.load("lasting") == "data"
    [listed] = await artifacts.list()
    assert listed["expires_at"] == record["expires_at"]


async def test_an_expired_artifact_is_gone_everywhere_and_removed(backend: Backend) -> None:
    artifacts = ArtifactStore(backend.storage)
    await artifacts.save("keep", "kept")
    # Long enough to look at what was written before it expires on a slow CI machine.
    await artifacts.save("brief", {"short": "lived"}, ttl=0.5)
    written = await backend.written()
    assert await backend.indexed() == ["brief", "keep"]

    async def expired() -> bool:
        return not await artifacts.exists("brief")

    await eventually(expired)
    with pytest.raises(ArtifactNotFoundError):
        await artifacts.load("brief")
    assert [a["name"] for a in await artifacts.list()] == ["keep"]
    assert await artifacts.delete("brief") is False
    # Bytes and index entry are both gone, the other artifact untouched.
    left = await backend.written()
    assert [w for w in written if "brief" in w] != [] and [w for w in left if "brief" in w] == []
    assert await backend.indexed() == ["keep"]
    assert await artifacts.load("keep") == "kept"
    info, _ = await backend.storage.load_artifact("keep")
    assert info.expires_at is None


async def test_saving_again_without_a_ttl_makes_an_artifact_lasting(storage: Storage) -> None:
    artifacts = ArtifactStore(storage)
    await artifacts.save("a", 1, ttl=0.05)
    await artifacts.save("a", 2)
    await artifacts.save("clock", 0, ttl=0.05)

    async def clock_expired() -> bool:
        return not await artifacts.exists("clock")

    await eventually(clock_expired)  # longer than the first TTL of "a"
    assert await artifacts.load("a") == 2
    assert [(a["name"], a["expires_at"]) for a in await artifacts.list()] == [("a", None)]


# --- deps --------------------------------------------------------------------------------


async def test_the_deps_list_adds_replaces_and_removes(storage: Storage) -> None:
    assert await storage.list_deps() == []
    await storage.add_dep("requests>=2")
    await storage.add_dep("attrs")
    await storage.add_dep("Requests[socks]<3")  # same distribution: replaces the line
    # FileStorage keeps the file's order; Redis lists by distribution name.
    assert sorted(await storage.list_deps()) == ["Requests[socks]<3", "attrs"]
    assert await storage.remove_dep("requests") is True
    assert await storage.remove_dep("requests") is False
    assert await storage.list_deps() == ["attrs"]


# --- tool definitions --------------------------------------------------------------------


async def test_tool_definitions_load_as_they_were_stored(backend: Backend) -> None:
    assert await backend.storage.load_tool_definitions() == []
    second = {**TOOL, "name": "zecho"}
    await put_tool(backend, second)
    await put_tool(backend, TOOL)
    loaded = await backend.storage.load_tool_definitions()
    assert [data for _, data in loaded] == [TOOL, second]
    registry = ToolRegistry.from_definitions(loaded)
    assert registry.names() == ["echo", "zecho"]


async def test_tool_definitions_are_saved_and_deleted_through_the_protocol(
    storage: Storage,
) -> None:
    await storage.open()
    await storage.save_tool_definition(TOOL)
    assert [data for _, data in await storage.load_tool_definitions()] == [TOOL]
    assert await storage.delete_tool_definition("echo") is True
    assert await storage.delete_tool_definition("echo") is False
    assert await storage.load_tool_definitions() == []


# --- the revision: what tells a listing to read again ---------------------------------------


def _same_place(backend: Backend) -> Storage:
    """A second storage on the backend's place, as another host would open it."""
    if backend.kind == "file":
        return FileStorage(backend.location)
    return RedisStorage(url=backend.location, prefix=PREFIX)


async def test_the_revision_moves_with_every_skill_and_tool_write_and_only_then(
    backend: Backend,
) -> None:
    storage, other = backend.storage, _same_place(backend)
    try:
        await storage.open()
        start = await storage.revision()
        assert await storage.revision() == start
        await storage.save_artifact(ArtifactInfo(name="a", data_type="text", size=1), b"x")
        await storage.add_dep("attrs")
        assert await storage.revision() == start  # artifacts and deps are not listed
        seen = [start]
        skill = StoredSkill(name="double", source="def run(n):\n    return 2 * n\n")
        writes: list[Callable[[], Awaitable[object]]] = [
            lambda: storage.save_skill(skill),
            lambda: storage.save_skill(skill),  # the same again, within the same instant
            lambda: storage.delete_skill("double"),
            lambda: storage.save_tool_definition(TOOL),
            lambda: storage.delete_tool_definition("echo"),
        ]
        for write in writes:
            await write()
            revision = await storage.revision()
            assert revision not in seen
            assert await other.revision() == revision  # another host sees the same
            seen.append(revision)
    finally:
        await other.close()


async def test_a_skill_file_added_by_hand_moves_the_revision(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    await storage.open()
    before = await storage.revision()
    (storage.skills_dir / "by_hand.py").write_text("def run():\n    return 1\n")
    assert await storage.revision() != before


# --- both backends, one workspace description ---------------------------------------------


async def test_repr_names_the_place_and_never_a_password(tmp_path: Path) -> None:
    assert "workspace" in repr(FileStorage(tmp_path / "workspace"))
    storage = RedisStorage(url="redis://user:pa%40ss@127.0.0.1:1/0?password=q", prefix="p")
    assert "pa%40ss" not in repr(storage) and "pa@ss" not in repr(storage)
    assert "password=q" not in repr(storage)
    assert repr(storage) == (
        "RedisStorage(url='redis://user:***@127.0.0.1:1/0?password=***', prefix='p')"
    )
    assert json.dumps(storage.url)  # plain text, safe to log
