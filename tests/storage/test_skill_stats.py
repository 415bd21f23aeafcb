"""Skill usage stats on File and Redis storage: counts add up across hosts, never block.

Stats live beside the skills but apart from them: recording a use moves no revision (no
listing is re-read for it), a delete keeps them and a purge forgets them.
"""

from __future__ import annotations

import pytest
from py_code_mode import Storage
from py_code_mode._params import SkillUseReport
from py_code_mode._skills.library import SkillLibrary
from py_code_mode._storage.base import SkillUse

from tests.storage.conftest import PREFIX, Backend

pytestmark = pytest.mark.anyio

SOURCE = "def run() -> int:\n    return 1\n"


async def test_uses_add_up_across_two_hosts_of_one_library(backend: Backend) -> None:
    first = backend.storage
    second = type(first)(**_same_place(backend))
    await first.open()
    await second.open()
    try:
        await first.record_skill_uses([SkillUse("pick", 3, 1, 0.5)])
        await second.record_skill_uses([SkillUse("pick", 2, 0, 0.25), SkillUse("other", 1, 1, 1.0)])
        stats = await first.skill_stats()
        assert (stats["pick"].calls, stats["pick"].failures) == (5, 1)
        assert stats["pick"].total_seconds == pytest.approx(0.75)
        assert stats["pick"].last_used is not None
        assert stats["pick"].to_dict()["mean_seconds"] == pytest.approx(0.15)
        assert (stats["other"].calls, stats["other"].failures) == (1, 1)
    finally:
        await second.close()


def _same_place(backend: Backend) -> dict[str, object]:
    if backend.kind == "file":
        return {"base_path": backend.location}
    return {"url": backend.location, "prefix": PREFIX}


async def test_recording_moves_no_revision_and_a_purge_forgets(storage: Storage) -> None:
    await storage.open()
    library = SkillLibrary(storage)
    await library.create("pick", SOURCE)
    before = await storage.revision()
    await storage.record_skill_uses([SkillUse("pick", 1, 0, 0.1)])
    assert await storage.revision() == before

    await library.delete("pick")
    assert "pick" in await storage.skill_stats()  # a delete is soft: the record stays
    await library.purge("pick")
    assert "pick" not in await storage.skill_stats()


async def test_a_purge_right_after_a_use_forgets_the_counts_not_yet_written(
    storage: Storage,
) -> None:
    """Counts wait a moment before they are written; a purge must not see them come back."""
    await storage.open()
    library = SkillLibrary(storage)
    await library.create("pick", SOURCE)
    report = SkillUseReport(name="pick", calls=2, failures=0, seconds=0.1)
    await library.record_uses([report])  # a run's report, not yet written
    assert await library.purge("pick")
    await library.flush()  # what the delayed write, or the session's close, would do
    assert "pick" not in await storage.skill_stats()
    assert "pick" not in {s["name"] for s in await library.list()}


async def test_listing_sorts_by_use_and_search_prefers_what_worked(storage: Storage) -> None:
    await storage.open()
    library = SkillLibrary(storage)
    await library.create("fetch_page", '"""Fetch a web page as text."""\n' + SOURCE)
    await library.create("fetch_html", '"""Fetch a web page as html."""\n' + SOURCE)
    await library.create("unused", SOURCE)
    assert [s["name"] for s in await library.search("fetch a web page")][:2] == [
        "fetch_html",
        "fetch_page",
    ]

    await storage.record_skill_uses(
        [SkillUse("fetch_html", 10, 10, 1.0), SkillUse("fetch_page", 4, 0, 4.0)]
    )
    await library.record_uses([])  # nothing to count: a no-op
    listed = await library.list(sort="calls")
    assert [s["name"] for s in listed] == ["fetch_html", "fetch_page", "unused"]
    assert listed[0]["stats"] == {
        "calls": 10,
        "failures": 10,
        "last_used": listed[0]["stats"]["last_used"],
        "mean_seconds": 0.1,
    }
    assert "stats" not in listed[2]
    by_time = await library.list(sort="mean_seconds")
    assert [s["name"] for s in by_time][:2] == ["fetch_page", "fetch_html"]
    by_success = await library.list(sort="success_rate")
    assert by_success[0]["name"] == "fetch_page"

    fresh = SkillLibrary(storage)  # reads the stats anew
    assert [s["name"] for s in await fresh.search("fetch a web page")][:2] == [
        "fetch_page",
        "fetch_html",
    ]
