"""MCP servers as tools: a real server on the official SDK, over stdio and streamable HTTP.

The server (`mcp_server.py`) is started for real by the official client, as a user's would
be; nothing of the SDK is mocked.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from py_code_mode import FileStorage, InvalidNameError, MCPTools, Session
from py_code_mode._tools import ToolRegistry
from py_code_mode._tools.mcp import MCPTool
from py_code_mode.errors import (
    ToolArgumentError,
    ToolDefinitionError,
    ToolFailedError,
    ToolNotFoundError,
)

from tests._support import serving_on_a_free_port
from tests.conftest import make_executor

pytestmark = pytest.mark.anyio

SERVER = Path(__file__).with_name("mcp_server.py")
SOURCE = "/workspace/tools/math.yaml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def stdio(**extra: Any) -> dict[str, Any]:
    return {
        "name": "math",
        "type": "mcp",
        "command": sys.executable,
        "args": [str(SERVER), "stdio"],
        "description": "Arithmetic",
        **extra,
    }


@asynccontextmanager
async def registry(
    *definitions: dict[str, Any], cwd: Path | None = None
) -> AsyncIterator[ToolRegistry]:
    built = ToolRegistry.from_definitions(
        [(f"/workspace/tools/{d['name']}.yaml", d) for d in definitions], cwd=cwd
    )
    try:
        with anyio.fail_after(60):
            yield built
    finally:
        await built.aclose()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"


# --- the definition --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"name": "web", "type": "mcp"}, "`command` is missing: a stdio server needs"),
        (stdio(url="http://x/mcp"), "url do not apply to transport 'stdio'; remove it"),
        (stdio(transport="sse"), "transport 'sse' (HTTP+SSE, deprecated by MCP) is not supported"),
        ({"name": "web", "type": "mcp", "transport": "http"}, "`url` is missing"),
        (
            {"name": "web", "type": "mcp", "transport": "http", "url": "ftp://host/mcp"},
            "is not an http:// or https:// URL",
        ),
        (
            {"name": "w", "type": "mcp", "transport": "http", "url": "http://h/mcp",
             "command": "x"},
            "command do not apply to transport 'http'",
        ),
        (
            {
                "name": "w", "type": "mcp", "transport": "http", "url": "http://h/mcp",
                "headers": {"X-A": "v\r\nInjected: yes"},
            },
            "holds a line break, which no header value may",
        ),
        (
            {
                "name": "w", "type": "mcp", "transport": "http", "url": "http://h/mcp",
                "headers": {"Bad Header": "v"},
            },
            "`headers` 'Bad Header' is not usable; use letters, digits and -",
        ),
        (stdio(comand="uvx"), "unknown key 'comand' in the tool definition; allowed keys are"),
        (stdio(timeout=0), "timeout: Input should be greater than 0"),
        ({**stdio(), "type": "grpc"}, "unknown tool type 'grpc'; leave `type` out for a CLI"),
    ],
)  # fmt: skip
def test_a_malformed_server_definition_says_what_is_wrong(data: Any, expected: str) -> None:
    with pytest.raises(ToolDefinitionError) as excinfo:
        ToolRegistry.from_definitions([(SOURCE, data)])
    assert str(excinfo.value).startswith(f"{SOURCE}: ")
    assert expected in str(excinfo.value)


def test_building_the_registry_starts_no_server(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    definition = stdio(command="sh", args=["-c", f"touch {marker}"])
    ToolRegistry.from_definitions([(SOURCE, definition)])
    assert not marker.exists()


# --- calls -----------------------------------------------------------------------------


async def test_the_servers_tools_are_listed_with_their_parameters() -> None:
    async with registry(stdio()) as tools:
        [listed] = await tools.list()
        described = await tools.describe("math")
    names = [c["name"] for c in listed["callables"]]
    assert listed["name"] == "math" and listed["description"] == "Arithmetic"
    assert "error" not in listed
    assert {"add", "echo", "picture", "get_weather"} <= set(names)  # get-weather, renamed
    add = next(c for c in listed["callables"] if c["name"] == "add")
    assert add["description"] == "Add two integers."
    assert add["parameters"] == [
        {"name": "a", "type": "integer", "required": True, "default": None, "description": ""},
        {"name": "b", "type": "integer", "required": True, "default": None, "description": ""},
    ]
    echo = next(c for c in described["callables"] if c["name"] == "echo")
    assert echo["input_schema"]["properties"]["times"]["default"] == 1


async def test_results_come_back_as_python_data() -> None:
    async with registry(stdio()) as tools:
        added = await tools.call("math", "add", {"a": 2, "b": 40})
        echoed = await tools.call("math", "echo", {"text": "ab", "times": 2})
        picture = await tools.call("math", "picture", {})
        weather = await tools.call("math", "get_weather", {"city": "Paris"})
    assert added == {"result": 42}  # structuredContent, as the server sent it
    assert echoed == "abab"
    assert picture["type"] == "image" and picture["mime_type"] == "image/png"
    assert picture["data"].startswith(PNG_MAGIC)
    assert weather == {"result": "sunny in Paris"}


async def test_arguments_are_checked_against_the_schema_before_the_call() -> None:
    async with registry(stdio()) as tools:
        with pytest.raises(ToolArgumentError) as wrong_type:
            await tools.call("math", "add", {"a": "2", "b": 1})
        with pytest.raises(ToolArgumentError) as missing:
            await tools.call("math", "add", {"a": 2})
        with pytest.raises(ToolNotFoundError, match=r"Unknown callable: 'math.mul'.*add"):
            await tools.call("math", "mul", {})
    assert "math.add() arguments do not fit its schema: argument 'a': '2' is not of type" in str(
        wrong_type.value
    )
    assert "'b' is a required property" in str(missing.value)


async def test_an_error_result_raises_tool_failed_with_the_servers_message() -> None:
    async with registry(stdio()) as tools:
        with pytest.raises(ToolFailedError, match="MCP tool math.fail failed: .*no such account"):
            await tools.call("math", "fail", {"message": "no such account"})
        assert await tools.call("math", "add", {"a": 1, "b": 1}) == {"result": 2}


async def test_a_server_that_crashes_mid_call_fails_that_call_and_restarts_at_the_next() -> None:
    async with registry(stdio()) as tools:
        first = await tools.call("math", "pid", {})
        with pytest.raises(ToolFailedError, match="stopped during math.crash\\(\\).*next call"):
            await tools.call("math", "crash", {})
        second = await tools.call("math", "pid", {})
    assert first != second
    assert not alive(first["result"])


async def test_a_server_that_exits_between_calls_is_started_again_unseen() -> None:
    async with registry(stdio()) as tools:
        first = (await tools.call("math", "pid", {}))["result"]
        os.kill(first, signal.SIGKILL)
        tool = tools._tools["math"]
        assert isinstance(tool, MCPTool)
        with anyio.fail_after(10):
            while tool._connection is not None and not tool._connection.ended:
                await anyio.sleep(0.01)
        second = (await tools.call("math", "pid", {}))["result"]
    assert second != first


async def test_a_call_that_never_answers_times_out_and_the_next_works() -> None:
    async with registry(stdio(timeout=1)) as tools:
        started = time.monotonic()
        with pytest.raises(ToolFailedError, match="did not answer within 1s; raise `timeout`"):
            await tools.call("math", "stall", {"seconds": 30})
        assert time.monotonic() - started < 10
        assert await tools.call("math", "add", {"a": 1, "b": 2}) == {"result": 3}


async def test_host_variables_reach_the_server_and_it_runs_in_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PCM_TEST_TOKEN", "tok-123456")
    monkeypatch.setenv("PCM_NOT_PASSED", "host only")
    definition = stdio(env={"API_TOKEN": "${PCM_TEST_TOKEN}"})
    async with registry(definition, cwd=tmp_path) as tools:
        token = await tools.call("math", "environment", {"name": "API_TOKEN"})
        other = await tools.call("math", "environment", {"name": "PCM_NOT_PASSED"})
    assert token == {"value": "tok-123456", "cwd": str(tmp_path)}
    assert other["value"] is None  # the host's environment is not passed on


async def test_a_missing_host_variable_is_listed_as_the_tools_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PCM_ABSENT", raising=False)
    async with registry(stdio(env={"KEY": "${PCM_ABSENT}"})) as tools:
        [listed] = await tools.list()
    assert "needs the host variable PCM_ABSENT" in listed["error"]


# --- servers that cannot start ---------------------------------------------------------


async def test_a_server_missing_from_path_is_listed_with_its_error_and_others_work() -> None:
    missing = {"name": "ghost", "type": "mcp", "command": "no-such-mcp-server-xyz"}
    async with registry(missing, stdio()) as tools:
        ghost, math = await tools.list()
        with pytest.raises(ToolFailedError, match="'no-such-mcp-server-xyz' was not found on PATH"):
            await tools.call("ghost", "anything", {})
        assert await tools.call("math", "add", {"a": 1, "b": 2}) == {"result": 3}
    assert ghost["callables"] == [] and "was not found on PATH" in ghost["error"]
    assert "install it or fix `command` in /workspace/tools/ghost.yaml" in ghost["error"]
    assert "error" not in math


async def test_a_server_that_exits_at_start_shows_what_it_wrote() -> None:
    definition = stdio(env={"MCP_TEST_SERVER_FAILS": "licence key expired"})
    async with registry(definition) as tools:
        [listed] = await tools.list()
    assert "MCP server 'math' could not start" in listed["error"]
    assert "The server's stderr ends with:\nlicence key expired" in listed["error"]


async def test_a_server_that_never_answers_the_handshake_times_out() -> None:
    definition = stdio(command="sleep", args=["60"], startup_timeout=1)
    async with registry(definition) as tools:
        started = time.monotonic()
        [listed] = await tools.list()
    assert "did not answer within 1s of starting" in listed["error"]
    assert time.monotonic() - started < 10


async def test_without_the_mcp_package_the_error_names_the_extra(tmp_path: Path) -> None:
    script = (
        "import sys, asyncio, json\n"
        "sys.modules['mcp'] = None\n"  # as if the package were not installed
        "from py_code_mode._tools import ToolRegistry\n"
        f"r = ToolRegistry.from_definitions([('t.yaml', {stdio()!r})])\n"
        "print(json.dumps(asyncio.run(r.list())))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'py-code-mode[mcp]'" in done.stdout


# --- streamable HTTP -------------------------------------------------------------------


@pytest.fixture
def http_server() -> Iterator[str]:
    """The test server over streamable HTTP on a free loopback port."""
    command = lambda port: [sys.executable, str(SERVER), "http", str(port)]  # noqa: E731
    with serving_on_a_free_port(command, "the MCP test server") as port:
        yield f"http://127.0.0.1:{port}/mcp"


async def test_a_server_over_streamable_http(
    http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PCM_TEST_TOKEN", "tok-123456")
    definition = {
        "name": "remote",
        "type": "mcp",
        "transport": "http",
        "url": http_server,
        "headers": {"Authorization": "Bearer ${PCM_TEST_TOKEN}"},
    }
    async with registry(definition) as tools:
        [listed] = await tools.list()
        added = await tools.call("remote", "add", {"a": 20, "b": 22})
        with pytest.raises(ToolFailedError, match="no such account"):
            await tools.call("remote", "fail", {"message": "no such account"})
    assert "add" in [c["name"] for c in listed["callables"]]
    assert added == {"result": 42}


async def test_an_http_server_that_is_not_there_is_listed_with_its_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    definition = {"name": "remote", "type": "mcp", "transport": "http", "timeout": 5,
                  "url": f"http://127.0.0.1:{port}/mcp"}  # fmt: skip
    async with registry(definition) as tools:
        [listed] = await tools.list()
    assert "MCP server 'remote' could not start" in listed["error"]


# --- from agent code, in every executor ------------------------------------------------


async def test_agent_code_calls_the_server_and_the_session_stops_it(
    workspace: Path, executor_kind: str
) -> None:
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "math.yaml").write_text(yaml.safe_dump(stdio()))
    executor = make_executor(executor_kind)
    async with Session(storage=FileStorage(workspace), executor=executor) as session:
        result = await session.run(
            "listed = [c['name'] for c in tools.list()[0]['callables']]\n"
            "pid = tools.math.pid()['result']\n"
            "[tools.math.add(a=1, b=2), tools.math.get_weather(city='Oslo'),\n"
            " 'add' in listed, pid]"
        )
        assert result.error is None, result.error
        added, weather, listed, pid = result.value
        assert (added, weather, listed) == ({"result": 3}, {"result": "sunny in Oslo"}, True)
        assert alive(pid)
        failed = await session.run("tools.math.add(a='x', b=1)")
        assert failed.error is not None and "ToolArgumentError" in failed.error
    with anyio.fail_after(10):
        while alive(pid):
            await anyio.sleep(0.02)


async def test_a_server_that_answers_with_garbage_is_listed_with_its_error() -> None:
    garbage = "import sys, time\nprint('this is not JSON-RPC', flush=True)\ntime.sleep(60)\n"
    definition = stdio(args=["-c", garbage], startup_timeout=3)
    async with registry(definition) as tools:
        started = time.monotonic()
        [listed] = await tools.list()
        with pytest.raises(ToolFailedError, match="MCP server 'math'"):
            await tools.call("math", "add", {"a": 1, "b": 2})
    assert "MCP server 'math'" in listed["error"]
    assert time.monotonic() - started < 20


# --- a client the caller already has ---------------------------------------------------


@pytest.mark.parametrize("kind", ["client", "client_session"])
async def test_a_client_the_host_has_open_is_offered_as_tools(workspace: Path, kind: str) -> None:
    from mcp import Client

    spec = importlib.util.spec_from_file_location("mcp_test_server", SERVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    async with Client(module.server) as client:  # in-process: the caller's own connection
        given = client if kind == "client" else client.session
        tools = [MCPTools("math", given, description="Arithmetic in process")]
        async with Session(storage=FileStorage(workspace), tools=tools) as session:
            result = await session.run(
                "[tools.math.add(a=2, b=3), tools.math.get_weather(city='Rome')]"
            )
            wrong = await session.run("tools.math.add(a='2', b=3)")
            listed = await session.list_tools()
        still = await client.call_tool("add", {"a": 1, "b": 1})  # the session left it open
    assert result.error is None, result.error
    assert result.value == [{"result": 5}, {"result": "sunny in Rome"}]
    assert "ToolArgumentError" in str(wrong.error)
    assert listed[0]["description"] == "Arithmetic in process"
    assert still.structured_content == {"result": 2}


def test_mcp_tools_refuses_what_is_not_a_client() -> None:
    with pytest.raises(TypeError, match="needs an mcp.Client or mcp.ClientSession"):
        MCPTools("math", object())
    with pytest.raises(InvalidNameError):
        MCPTools("search", object.__new__(type("C", (), {"call_tool": len, "list_tools": len})))
