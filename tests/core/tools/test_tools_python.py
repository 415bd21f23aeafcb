"""The host's own Python functions as tools: Session(tools=[...]), called from agent code.

The functions run on the host: a value they close over (here, a list they append to) is
seen by the test, never by the worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import functools
import os
from pathlib import Path
from typing import Annotated, Any

import pytest
import yaml
from py_code_mode import FileStorage, FunctionTools, InvalidNameError, Session
from pydantic import BaseModel, Field

from tests.conftest import make_executor

pytestmark = pytest.mark.anyio

CALLS: list[tuple[str, Any]] = []


def add(a: int, b: int = 2) -> int:
    """Add two numbers.

    Longer notes that the description leaves out.
    """
    CALLS.append(("add", os.getpid()))
    return a + b


async def lookup(city: Annotated[str, Field(description="A city's name")]) -> dict[str, Any]:
    """Weather for a city."""
    await asyncio.sleep(0)
    return {"city": city, "sunny": True}


class Repo(BaseModel):
    name: str
    stars: int


@dataclasses.dataclass
class Point:
    x: int
    y: int


def repo(name: str) -> Repo:
    """A pydantic model comes back as a dict."""
    return Repo(name=name, stars=42)


def point() -> Point:
    return Point(1, 2)


def when() -> datetime.date:
    return datetime.date(2026, 12, 1)


def broken(reason: str) -> None:
    """Always fails."""
    raise RuntimeError(reason)


def opaque() -> object:
    return object()


def options(**settings: Any) -> dict[str, Any]:
    """Takes any keywords."""
    return settings


@pytest.fixture(autouse=True)
def _calls() -> None:
    CALLS.clear()


def session_with(workspace: Path, executor_kind: str = "subprocess", **kwargs: Any) -> Session:
    return Session(storage=FileStorage(workspace), executor=make_executor(executor_kind), **kwargs)


async def test_functions_are_called_from_agent_code_and_run_on_the_host(
    workspace: Path, executor_kind: str
) -> None:
    tools = [add, FunctionTools("weather", [lookup], description="Weather")]
    async with session_with(workspace, executor_kind, tools=tools) as session:
        result = await session.run(
            "import os\n"
            "[tools.add(a=1), tools.add.add(a=1, b=5), tools.weather.lookup(city='Oslo'),\n"
            " os.getpid()]"
        )
    assert result.error is None, result.error
    one, six, weather, worker_pid = result.value
    assert (one, six, weather) == (3, 6, {"city": "Oslo", "sunny": True})
    assert [pid for _, pid in CALLS] == [os.getpid(), os.getpid()]  # on the host
    if executor_kind != "inprocess":
        assert worker_pid != os.getpid()


async def test_arguments_are_checked_against_the_type_hints(workspace: Path) -> None:
    async with session_with(workspace, tools={"math": [add]}) as session:
        wrong = await session.run("tools.math.add(a='one')")
        unknown = await session.run("tools.math.add(a=1, c=3)")
        missing = await session.run("tools.math.add(b=3)")
        positional = await session.run("tools.math.add(1, 2)")
    assert "ToolArgumentError" in str(wrong.error) and "argument 'a'" in str(wrong.error)
    assert "unexpected argument(s) 'c'; allowed are a, b" in str(unknown.error)
    assert "missing required argument 'a'" in str(missing.error)
    assert "keyword arguments only" in str(positional.error)
    assert CALLS == []  # nothing ran


async def test_results_cross_as_json_data_and_failures_say_why(workspace: Path) -> None:
    group = FunctionTools("misc", [repo, point, when, broken, opaque, options])
    async with session_with(workspace, tools=[group]) as session:
        result = await session.run(
            "[tools.misc.repo(name='x'), tools.misc.point(), tools.misc.when(),\n"
            " tools.misc.options(depth=2, mode='fast')]"
        )
        failed = await session.run("tools.misc.broken(reason='disk full')")
        unsendable = await session.run("tools.misc.opaque()")
        after = await session.run("tools.misc.point()")
    assert result.error is None, result.error
    assert result.value == [
        {"name": "x", "stars": 42}, {"x": 1, "y": 2}, "2026-12-01", {"depth": 2, "mode": "fast"}
    ]  # fmt: skip
    assert "ToolFailedError" in str(failed.error)
    assert "misc.broken() raised RuntimeError: disk full" in str(failed.error)
    assert "returned a value of type object, which cannot reach agent code" in str(unsendable.error)
    assert after.value == {"x": 1, "y": 2}


async def test_discovery_shows_the_functions_signatures_and_docs(workspace: Path) -> None:
    group = FunctionTools("weather", [lookup, add], description="Weather and sums")
    async with session_with(workspace, tools=[group]) as session:
        result = await session.run(
            "import inspect\n"
            "[str(inspect.signature(tools.weather.add)), tools.weather.add.__doc__,\n"
            " tools.describe('weather.lookup'), repr(tools)]"
        )
        listed = await session.list_tools()
    assert result.error is None, result.error
    signature, doc, stub, shown = result.value
    assert signature == "(*, a: int, b: int = 2) -> int"
    assert doc == "Add two numbers."
    assert "def lookup(*, city: str) -> dict[str, Any]:" in stub
    assert "tools.weather: Weather and sums" in shown
    [weather] = listed
    [lookup_entry, _] = weather["callables"]
    assert lookup_entry["parameters"][0]["description"] == "A city's name"


async def test_a_stored_definition_with_a_functions_name_is_listed_as_broken(
    workspace: Path,
) -> None:
    (workspace / "tools").mkdir(parents=True)
    echo = {"name": "add", "command": "echo", "recipes": {"add": {}}}
    (workspace / "tools" / "add.yaml").write_text(yaml.safe_dump(echo))
    async with session_with(workspace, tools=[add]) as session:
        result = await session.run("tools.add(a=1)")
        listed = await session.list_tools()
    assert result.value == 3  # the host's function wins
    assert [tool.get("error", "")[:40] for tool in listed][1].startswith("Tool name 'add' is defin")


def test_what_cannot_be_a_tool_is_refused_when_the_session_is_made(workspace: Path) -> None:
    def positional_only(a: int, /) -> int:
        return a

    cases: list[tuple[Any, type[Exception], str]] = [
        ([lambda x: x], TypeError, "rather than a lambda"),
        ([functools.partial(add, 1)], TypeError, "rather than a lambda or a partial"),
        ([positional_only], TypeError, "positional-only parameter 'a'"),
        ([42], TypeError, "tools must hold functions or FunctionTools"),
        ("add", TypeError, "tools must be a list of functions"),
        ([add, add], ValueError, "two tool groups are named 'add'"),
        ([FunctionTools("math", [add]), FunctionTools("math", [lookup])], ValueError, "'math'"),
        ({"list": [add]}, InvalidNameError, "Reserved tool name 'list'"),
        ({"math": []}, ValueError, "needs at least one function"),
        ({"math": [add, add]}, ValueError, "two functions named 'add'"),
    ]
    for tools, error, message in cases:
        with pytest.raises(error, match=message):
            Session(storage=FileStorage(workspace), tools=tools)
