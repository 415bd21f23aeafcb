"""Definitions that fail do not break the session: each is listed with its error.

`strict_tools=True` keeps the fail-fast start. Upstream's old `args:` template format is
refused with the same tool rewritten in today's format, and that rewrite really runs.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml
from py_code_mode import FileStorage, Session, ToolDefinitionError
from py_code_mode._tools import ToolRegistry
from py_code_mode._tools._spec import read_spec

from tests._support import require_binary
from tests.core.tools.conftest import ARGV_SCRIPT

pytestmark = pytest.mark.anyio

GOOD = "name: hello\ndescription: Say hello\ncommand: echo\nrecipes:\n  hello: {preset: {}}\n"


def write(workspace: Path, files: dict[str, str]) -> None:
    tools = workspace / "tools"
    tools.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (tools / name).write_text(text)


BROKEN = {
    "a_bad_yaml.yaml": "name: [unclosed\n",
    "b_unknown_type.yaml": "name: grpcish\ntype: grpc\n",
    "c_old_format.yaml": "name: fetch\ncommand: curl\nargs: '-s {url}'\n",
    "d_twice.yml": GOOD,  # the same name as hello.yaml, which sorts later: d_twice.yml wins
    "hello.yaml": GOOD,
    "other.yml": GOOD.replace("hello", "other"),
}


async def test_the_session_starts_and_lists_each_broken_definition_with_its_error(
    workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(workspace, BROKEN)
    with caplog.at_level(logging.WARNING, logger="py_code_mode"):
        async with Session(storage=FileStorage(workspace)) as session:
            listed = await session.list_tools()
            result = await session.run("[tools.hello().strip(), tools.other().strip()]")
            broken = await session.run("tools.fetch()")
            # The same error whichever way it is called: as the tool, or as one of its callables.
            broken_callable = await session.run("tools.fetch.fetch(url='x')")
    errors = {tool["name"]: str(tool["error"]) for tool in listed if "error" in tool}
    working = [tool["name"] for tool in listed if "error" not in tool]
    assert result.error is None, result.error
    assert result.value == ["", ""]  # echo with no words prints a blank line
    assert working == ["hello", "other"]  # .yml files are read too
    assert set(errors) == {"a_bad_yaml", "grpcish", "fetch", "hello"}
    assert "not valid YAML" in errors["a_bad_yaml"]
    assert "unknown tool type 'grpc'" in errors["grpcish"]
    assert "old `args:` template format" in errors["fetch"]
    assert "defined twice" in errors["hello"] and "d_twice.yml" in errors["hello"]
    assert broken.error is not None and "ToolDefinitionError" in broken.error
    assert "old `args:` template format" in broken.error
    assert broken_callable.error is not None and "ToolDefinitionError" in broken_callable.error
    assert "old `args:` template format" in broken_callable.error
    warned = [r.getMessage() for r in caplog.records if "is not available" in r.getMessage()]
    assert len(warned) == 4


async def test_strict_tools_keeps_the_fail_fast_start(workspace: Path) -> None:
    write(workspace, {"a_bad_yaml.yaml": "name: [unclosed\n", "hello.yaml": GOOD})
    session = Session(storage=FileStorage(workspace), strict_tools=True)
    with pytest.raises(ToolDefinitionError, match="a_bad_yaml.yaml: not valid YAML"):
        await session.start()
    await session.close()


def test_strict_tools_must_be_a_bool(workspace: Path) -> None:
    with pytest.raises(TypeError, match="strict_tools must be True or False"):
        Session(storage=FileStorage(workspace), strict_tools="yes")  # type: ignore[arg-type]


async def test_the_old_template_format_is_rewritten_into_a_definition_that_runs_alike() -> None:
    require_binary("python3")
    old = {
        "name": "fetch",
        "description": "Fetch a URL",
        "command": ["python3", "-c", ARGV_SCRIPT],
        "args": "-s -L -H {header} --max-time 10 {url}",
    }
    with pytest.raises(ToolDefinitionError) as excinfo:
        read_spec("tools/fetch.yaml", old)
    rewritten = str(excinfo.value).split("check which flags take a value):\n", 1)[1]
    registry = ToolRegistry.from_definitions([("fetch.yaml", yaml.safe_load(rewritten))])
    argv = json.loads(
        await registry.call("fetch", None, {"header": "Accept: x", "url": "http://h/p"})
    )
    assert argv == ["-s", "-L", "-H", "Accept: x", "--max-time", "10", "http://h/p"]


async def test_many_broken_definitions_are_logged_without_a_flood(
    workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(workspace, {f"bad{i:02}.yaml": "name: [unclosed\n" for i in range(25)})
    with caplog.at_level(logging.WARNING, logger="py_code_mode"):
        async with Session(storage=FileStorage(workspace)) as session:
            listed = await session.list_tools()
    messages = [r.getMessage() for r in caplog.records if r.name == "py_code_mode"]
    assert len(listed) == 25 and all("error" in tool for tool in listed)
    assert len(messages) == 11
    assert messages[-1] == "15 more tools are not available; tools.list() shows each with its error"
