"""Artifacts: exact round trips, records, hostile names, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from py_code_mode import (
    ArtifactDataError,
    ArtifactNotFoundError,
    FileStorage,
    InvalidNameError,
    Session,
)

pytestmark = pytest.mark.anyio

VALUES = [
    ("text", "héllo\nworld"),
    ("number_as_text", "42"),
    ("number", 42),
    ("float", 2.5),
    ("flag", True),
    ("nothing", None),
    ("blob", bytes(range(256))),
    ("nested", {"a": [1, {"b": None}], "$bytes": "not a tag"}),
    ("list", [1, "two", 3.0]),
]


@pytest.mark.parametrize("name, value", VALUES)
async def test_values_round_trip_exactly_through_agent_code(
    session: Session, name: str, value: object
) -> None:
    saved = await session.run(f"artifacts.save({name!r}, {value!r})")
    assert saved.is_ok, saved.error
    loaded = await session.run(f"artifacts.load({name!r})")
    assert loaded.is_ok
    if isinstance(value, str | int | float | bool | bytes | list | dict) or value is None:
        assert loaded.value == value and type(loaded.value) is type(value)


async def test_values_saved_by_the_facade_load_in_agent_code_and_back(session: Session) -> None:
    await session.save_artifact("blob", b"\x00\x01", description="raw")
    assert (await session.run("artifacts.load('blob')")).value == b"\x00\x01"
    await session.run("artifacts.save('scans/host1.json', {'open': [22, 80]})")
    assert await session.load_artifact("scans/host1.json") == {"open": [22, 80]}


async def test_records_carry_type_size_description_and_creation_time(session: Session) -> None:
    await session.save_artifact("report", {"k": 1}, description="a report", metadata={"run": 3})
    [record] = await session.list_artifacts()
    assert record["name"] == "report"
    assert record["type"] == "json" and record["description"] == "a report"
    assert record["metadata"] == {"run": 3}
    assert record["size"] == len(json.dumps({"k": 1}, indent=2))
    assert record["created_at"].endswith("+00:00")


async def test_the_index_file_is_compatible_with_upstream(session: Session) -> None:
    await session.save_artifact("report", "text", description="d")
    root = session.storage.root
    assert root is not None
    index = json.loads((root / "artifacts" / ".artifacts.json").read_text())
    assert index["report"]["description"] == "d"
    assert index["report"]["metadata"]["_data_type"] == "text"


async def test_exists_delete_and_missing_artifacts(session: Session) -> None:
    await session.run("artifacts.save('a', 1)")
    result = await session.run(
        "(artifacts.exists('a'), artifacts.delete('a'),"
        " artifacts.exists('a'), artifacts.delete('a'))"
    )
    assert result.value == "(True, True, False, False)"
    with pytest.raises(ArtifactNotFoundError):
        await session.load_artifact("a")
    missing = await session.run("artifacts.load('a')")
    assert "ArtifactNotFoundError" in (missing.error or "") and "'a' not found" in (
        missing.error or ""
    )


@pytest.mark.parametrize(
    "name",
    [
        "../../../etc/passwd",
        "/etc/passwd",
        "",
        "a/../../b",
        ".artifacts.json",
        "dir/.hidden",
        "-x",
        None,
    ],
)
async def test_hostile_artifact_names_are_rejected_and_nothing_is_written(
    session: Session, name: object
) -> None:
    with pytest.raises(InvalidNameError):
        await session.save_artifact(name, "data")  # type: ignore[arg-type]
    result = await session.run(f"artifacts.save({name!r}, 'data')")
    assert "InvalidNameError" in (result.error or "")
    root = session.storage.root
    assert root is not None
    assert [p for p in root.rglob("*") if p.is_file() and "artifacts" in p.parts] == []


async def test_values_that_cannot_round_trip_are_rejected(session: Session) -> None:
    with pytest.raises(ArtifactDataError):
        await session.save_artifact("s", {1, 2})
    with pytest.raises(ArtifactDataError):
        await session.save_artifact("n", float("nan"))
    result = await session.run("artifacts.save('obj', object())")
    assert not result.is_ok
    assert await session.list_artifacts() == []


async def test_a_replaced_artifact_keeps_only_the_new_value(session: Session) -> None:
    await session.save_artifact("x", "old")
    await session.save_artifact("x", b"new")
    assert await session.load_artifact("x") == b"new"
    assert [a["type"] for a in await session.list_artifacts()] == ["bytes"]


async def test_lone_surrogates_in_text_and_json_round_trip_exactly(session: Session) -> None:
    result = await session.run(
        "artifacts.save('t', 'a\\ud800b'); artifacts.save('j', {'k': ['\\udc80']})\n"
        "[artifacts.load('t') == 'a\\ud800b', artifacts.load('j') == {'k': ['\\udc80']}]"
    )
    assert result.value == [True, True], result.error


async def test_info_tells_what_is_known_of_an_artifact_without_loading_it(
    session: Session,
) -> None:
    await session.save_artifact("report.txt", "hello", description="greeting", ttl=3600)
    result = await session.run("artifacts.info('report.txt')")
    assert result.error is None
    info = result.value
    assert info == await session.artifact_info("report.txt")
    assert (info["name"], info["type"], info["size"], info["description"]) == (
        "report.txt",
        "text",
        5,
        "greeting",
    )
    assert info["created_at"] and info["expires_at"] > info["created_at"]
    missing = await session.run("artifacts.info('nope')")
    assert "ArtifactNotFoundError" in (missing.error or "")
    assert "'report.txt'" in (missing.error or "")  # says what there is instead
    with pytest.raises(InvalidNameError):
        await session.artifact_info("../etc/passwd")


async def test_an_artifact_cannot_be_both_a_file_and_a_folder(tmp_path: Path) -> None:
    """In a workspace an artifact is a file: `scans` saved, `scans/a` cannot go inside it."""
    async with Session(storage=FileStorage(tmp_path)) as session:
        await session.save_artifact("scans", "a file")
        with pytest.raises(InvalidNameError, match="the artifact 'scans' is a file"):
            await session.save_artifact("scans/host1.json", {"open": [22]})
        await session.save_artifact("reports/weekly", "a folder's artifact")
        with pytest.raises(InvalidNameError, match="a folder of artifacts has that name"):
            await session.save_artifact("reports", "a file")
        assert await session.load_artifact("scans") == "a file"
        assert sorted(a["name"] for a in await session.list_artifacts()) == [
            "reports/weekly",
            "scans",
        ]


@pytest.mark.parametrize(
    "value", ["{22, 80}", "(1, 2)", "{1: 'a'}", "[b'x']", "10 ** 5000", "float('nan')"]
)
async def test_agent_code_gets_the_hosts_error_for_a_value_that_would_not_come_back(
    session: Session, value: str
) -> None:
    """One rule on both sides: in agent code too, an ArtifactDataError, and nothing saved
    (a tuple used to cross as a list and come back a list)."""
    result = await session.run(f"artifacts.save('kept', {value})")
    assert result.error is not None and "ArtifactDataError" in result.error, result.error
    assert "cannot store a value of type" in result.error
    assert not await session.artifact_exists("kept")
