"""Skill search on File and Redis storage: a kept index that follows every writer.

The library answers searches from an index it keeps, and re-reads the storage only when
the storage's revision has moved. These tests prove it does re-read when it must (another
library or host wrote, a person added a file) and does not when nothing changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from py_code_mode import FileStorage, RedisStorage, Storage
from py_code_mode._skills.library import SkillLibrary

from tests.storage.conftest import PREFIX, Backend

pytestmark = pytest.mark.anyio


def source(doc: str) -> str:
    return f'"""{doc}"""\n\n\ndef run(path: str) -> str:\n    return path\n'


class Counting:
    """A real storage whose list_skills calls are counted (every other call passes through)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.listings = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.storage, name)

    async def list_skills(self) -> object:
        self.listings += 1
        return await self.storage.list_skills()


async def names(library: SkillLibrary, query: str) -> list[str]:
    return [skill["name"] for skill in await library.search(query, 5)]


async def test_searches_reread_nothing_until_the_library_changes(storage: Storage) -> None:
    await storage.open()
    counting = Counting(storage)
    library = SkillLibrary(counting)  # type: ignore[arg-type]
    await library.create("csv_to_json", source("Turn CSV rows into JSON objects."))

    for _ in range(5):
        assert await names(library, "csv rows") == ["csv_to_json"]
    assert counting.listings == 1

    await library.create("json_to_csv", source("Write JSON objects as CSV rows."))
    assert set(await names(library, "csv rows")) == {"csv_to_json", "json_to_csv"}
    assert counting.listings == 2


async def test_another_writer_is_seen_by_the_next_search(backend: Backend) -> None:
    await backend.storage.open()
    mine = SkillLibrary(backend.storage)
    assert await names(mine, "weather") == []
    other_storage: Storage = (
        FileStorage(backend.location)
        if backend.kind == "file"
        else RedisStorage(url=backend.location, prefix=PREFIX)
    )
    other = SkillLibrary(other_storage)
    try:
        await other.create("forecast", source("The weather forecast for a city."))
        assert await names(mine, "weather") == ["forecast"]
        await other.create("forecast", source("Tomorrow's rain and sun for a town."))
        assert await names(mine, "weather") == ["forecast"]  # by its near-synonym now
        assert await names(mine, "rain sun town") == ["forecast"]
        assert await other.delete("forecast")
        assert await names(mine, "rain") == []
    finally:
        await other_storage.close()


async def test_a_skill_file_added_or_broken_by_hand_is_seen(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    await storage.open()
    library = SkillLibrary(storage)
    assert await names(library, "invoice") == []

    (tmp_path / "skills" / "send_invoice.py").write_text(source("Email an invoice."))
    assert await names(library, "invoice") == ["send_invoice"]

    (tmp_path / "skills" / "send_invoice.py").unlink()
    (tmp_path / "skills" / "bill.py").write_text("def run(:\n")  # does not parse
    assert await names(library, "invoice") == []
    assert [skill.name for skill in await library.all()] == []
