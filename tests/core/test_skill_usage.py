"""Skill invocations are counted in the worker and reported when a run ends.

The report is one request the worker does not wait for, so a skill call costs no round
trip more; agent code can forge it only with numbers the host accepts as counts.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from py_code_mode import FileStorage, Session

pytestmark = pytest.mark.anyio


async def stats_of(session: Session, name: str, calls: int) -> dict[str, Any]:
    """The skill's stats once `calls` invocations have been counted (reports are async)."""
    for _ in range(200):
        listed = {s["name"]: s for s in await session.list_skills()}
        found = listed[name].get("stats")
        if found is not None and found["calls"] >= calls:
            return dict(found)
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} was not counted {calls} times: {listed[name]}")


async def test_calls_failures_and_nested_calls_are_counted(session: Session) -> None:
    await session.create_skill("double", "def run(n: int) -> int:\n    return 2 * n\n")
    await session.create_skill(
        "quadruple", "def run(n: int) -> int:\n    return skills.double(n=skills.double(n=n))\n"
    )
    await session.create_skill("boom", "def run():\n    raise ValueError('no')\n")

    result = await session.run(
        "values = [skills.quadruple(n=i) for i in range(3)]\n"
        "try:\n    skills.boom()\nexcept ValueError:\n    pass\n"
        "values.append(await skills.double.call_async(n=5))\nvalues"
    )
    assert result.value == [0, 4, 8, 10], result.error
    failed = await session.run("skills.invoke('boom')")
    assert failed.error_type == "ValueError"

    double = await stats_of(session, "double", 7)
    assert (double["calls"], double["failures"]) == (7, 0)
    assert double["mean_seconds"] >= 0 and double["last_used"]
    boom = await stats_of(session, "boom", 2)
    assert (boom["calls"], boom["failures"]) == (2, 2)
    assert (await stats_of(session, "quadruple", 3))["calls"] == 3

    ranked = await session.list_skills(sort="calls")
    assert [s["name"] for s in ranked] == ["double", "quadruple", "boom"]


@pytest.mark.parametrize(
    "uses",
    [
        [{"name": "x", "calls": 1, "failures": 2, "seconds": 0.0}],
        [{"name": "x", "calls": -1, "failures": 0, "seconds": 0.0}],
        [{"name": "x", "calls": 1, "failures": 0, "seconds": -5.0}],
        [{"name": "x", "calls": 1, "failures": 0, "seconds": 1e12}],
        [{"name": "../x", "calls": 1, "failures": 0, "seconds": 0.0}],
        [{"name": "x", "calls": 1, "failures": 0, "seconds": 0.0, "admin": True}],
        [{"name": "x", "calls": "1", "failures": 0, "seconds": 0.0}],
    ],
)
async def test_a_forged_report_with_impossible_counts_is_refused(
    session: Session, uses: list[dict[str, Any]]
) -> None:
    result = await session.run(
        f"skills._channel.request('skills.record_uses', {{'uses': {uses!r}}})"
    )
    assert result.error_type in ("InputError", "InvalidNameError", "WireError"), result.error
    assert await session.storage.skill_stats() == {}


async def test_counts_reported_just_before_close_are_written(
    session: Session, workspace: Path
) -> None:
    # Counts are written together, a moment after they arrive; closing writes what is left.
    await session.create_skill("double", "def run(n: int) -> int:\n    return 2 * n\n")
    result = await session.run("[skills.double(n=i) for i in range(4)]")
    assert result.value == [0, 2, 4, 6]
    await session.close()
    stats = await FileStorage(workspace).skill_stats()
    assert (stats["double"].calls, stats["double"].failures) == (4, 0)
