"""Tools as agent code calls them: the README's jq and curl, bad input, errors to catch."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from py_code_mode import FileStorage, InputError, Session

from tests._support import require_binary
from tests.conftest import make_executor

pytestmark = pytest.mark.anyio

WEB_TOOLS = Path(__file__).resolve().parents[2] / "packages" / "web" / "tools"

PRINTF = """\
name: printf
description: Print each argument on its own line
command: printf
schema:
  positional:
    - {name: fmt, type: string, required: true}
    - {name: values, type: array}
recipes:
  lines:
    description: One value per line
    preset: {fmt: "%s\\n"}
"""


@pytest.fixture
async def tool_session(workspace: Path, executor_kind: str) -> AsyncIterator[Session]:
    (workspace / "tools").mkdir(parents=True)
    for name in ("curl.yaml", "jq.yaml"):
        shutil.copy(WEB_TOOLS / name, workspace / "tools")
    (workspace / "tools" / "printf.yaml").write_text(PRINTF)
    storage = FileStorage(workspace)
    async with Session(storage=storage, executor=make_executor(executor_kind)) as session:
        yield session


async def test_jq_reads_its_input_from_the_input_argument(tool_session: Session) -> None:
    require_binary("jq")
    result = await tool_session.run(
        "json_data = '{\"key\": [1, 2]}'\ntools.jq.query(filter='.key | length', input=json_data)"
    )
    assert result.value == "2\n", result.error


async def test_curl_fetches_from_a_local_server(tool_session: Session, github_api: str) -> None:
    require_binary("curl")
    result = await tool_session.run(
        f"import json\njson.loads(tools.curl.get(url='{github_api}/repos/a/b'))['full_name']"
    )
    assert result.value == "a/b", result.error


async def test_shell_metacharacters_reach_the_command_as_literal_arguments(
    tool_session: Session,
) -> None:
    hostile = ["; rm -rf /", "$(whoami)", "`id`", "| cat /etc/passwd", "&& echo pwned", "*"]
    result = await tool_session.run(f"tools.printf.lines(values={hostile!r})")
    assert result.value == "".join(f"{value}\n" for value in hostile), result.error


async def test_tool_calls_can_be_awaited_and_gathered(tool_session: Session) -> None:
    result = await tool_session.run(
        "import asyncio\n"
        "a = await tools.printf.lines(values=['a'])\n"
        "b, c = await asyncio.gather(tools.printf.lines.call_async(values=['b']),"
        " tools.printf.lines.call_async(values=['c']))\n"
        "a + b + c"
    )
    assert result.value == "a\nb\nc\n", result.error


@pytest.mark.parametrize(
    "call, error",
    [
        ("tools.nope.get()", "ToolNotFoundError"),
        ("tools.printf.nope()", "ToolNotFoundError"),
        ("tools.printf.lines(values='not-a-list')", "ToolArgumentError"),
        ("tools.printf.lines(values=['a'], bogus=1)", "ToolArgumentError"),
        ("tools.printf()", "ToolArgumentError"),
    ],
)
async def test_bad_tool_calls_raise_errors_agent_code_can_catch(
    tool_session: Session, call: str, error: str
) -> None:
    result = await tool_session.run(call)
    assert f"{error}" in (result.error or "")
    caught = await tool_session.run(
        f"from py_code_mode.errors import {error}\ntry:\n    {call}\nexcept {error}:\n    'caught'"
    )
    assert caught.value is None and caught.is_ok


async def test_unknown_tools_list_what_is_available(tool_session: Session) -> None:
    result = await tool_session.run("tools.x.get()")
    assert "Unknown tool: tools.x. Available: curl, jq, printf" in (result.error or "")
    assert "py_code_mode" not in (result.error or "").replace("py_code_mode.errors.", "")
    assert "concurrent" not in (result.error or "")


async def test_a_wrong_name_fails_at_attribute_access_naming_close_matches(
    tool_session: Session,
) -> None:
    result = await tool_session.run(
        "from py_code_mode.errors import ToolNotFoundError\n"
        "found = []\n"
        "for name in ('jqq', 'curl.gett'):\n"
        "    try:\n"
        "        tool, _, recipe = name.partition('.')\n"
        "        getattr(getattr(tools, tool), recipe) if recipe else getattr(tools, tool)\n"
        "    except ToolNotFoundError as exc:\n"
        "        found.append(str(exc))\n"
        "[found, hasattr(tools, 'nope'), hasattr(tools, 'jq'), hasattr(tools.curl, 'get'),\n"
        " hasattr(tools.curl, 'nope'), getattr(tools, 'nope', 'fallback')]"
    )
    assert result.error is None, result.error
    (tool, recipe), *checks = result.value
    assert tool.startswith("Unknown tool: tools.jqq. Did you mean jq? Available: curl, jq")
    assert recipe.startswith("Unknown callable: tools.curl.gett. Did you mean get?")
    assert checks == [False, True, True, False, "fallback"]


async def test_help_and_signature_show_a_tools_real_signature(tool_session: Session) -> None:
    result = await tool_session.run(
        "import inspect, io, contextlib\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    help(tools.printf.lines)\n"
        "[str(inspect.signature(tools.printf.lines)), tools.printf.lines.__doc__,\n"
        " out.getvalue(), sorted(dir(tools.printf))]"
    )
    assert result.error is None, result.error
    signature, doc, shown, names = result.value
    assert signature.startswith("(*, fmt: str = '%s\\n', values: list[")
    assert signature.endswith("-> str")
    assert doc == "One value per line"
    flat = " ".join(shown.split())  # pydoc wraps a long signature on 3.13
    assert "lines( *, fmt: str = '%s\\n', values: list[" in flat.replace("lines(*,", "lines( *,")
    assert "One value per line" in shown
    assert names == ["lines"]


async def test_print_tools_gives_one_line_per_tool(tool_session: Session) -> None:
    result = await tool_session.run("print(tools)")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("<tools: list(), search(query, limit=10), describe(name)")
    assert lines[1:] == [
        "tools.curl: Fetch or send data over HTTP(S) with curl; returns the response body as text.",
        "tools.jq: Filter, select and reshape JSON with a jq program; the JSON goes in as input=.",
        "tools.printf: Print each argument on its own line",
    ]


async def test_listing_and_searching_tools(tool_session: Session) -> None:
    names = await tool_session.run("[t['name'] for t in tools.list()]")
    assert names.value == ["curl", "jq", "printf"]
    found = await tool_session.search_tools("json query filter", limit=1)
    assert [t["name"] for t in found] == ["jq"]


@pytest.mark.parametrize("query, limit", [("x", 0), ("x", True), (123, 5), ("x", "5")])
async def test_bad_search_arguments_raise_from_the_facade(
    tool_session: Session, query: object, limit: object
) -> None:
    with pytest.raises(InputError):
        await tool_session.search_tools(query, limit)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        await tool_session.search_skills(query, limit)  # type: ignore[arg-type]


SLEEP = """\
name: nap
description: Sleep for a while
command: sleep
timeout: 120
schema:
  positional:
    - {name: seconds, type: string, required: true}
recipes:
  nap: {description: Sleep}
"""


async def test_a_timeout_while_a_tool_runs_interrupts_the_code_and_keeps_the_session(
    workspace: Path, executor_kind: str
) -> None:
    require_binary("sleep")
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "nap.yaml").write_text(SLEEP)
    (workspace / "tools" / "printf.yaml").write_text(PRINTF)
    storage = FileStorage(workspace)
    async with Session(storage=storage, executor=make_executor(executor_kind)) as session:
        await session.run("kept = 'yes'")
        result = await session.run("tools.nap(seconds='60')", timeout=0.5)
        assert result.details.get("timed_out") is True, result
        assert not result.details.get("state_lost"), result
        assert result.execution_time_ms < 30_000  # not the tool's 60 s
        after = await session.run("[kept, tools.printf.lines(values=['a'])]")
        assert after.value == ["yes", "a\n"], after


# Two calls of this tool can only both succeed if they run at the same time: each leaves
# its mark, then waits (20 s at most) for the other's.
MEET = """
name: meet
description: Leave a mark and wait for another
command:
  - python3
  - -c
  - |
    import os, sys, time
    open(sys.argv[1], "w").close()
    end = time.time() + 20
    while not os.path.exists(sys.argv[2]):
        if time.time() > end:
            sys.exit("nobody came")
        time.sleep(0.01)
    print("met")
schema:
  positional:
    - {name: mine, type: string, required: true}
    - {name: theirs, type: string, required: true}
recipes:
  meet: {description: Meet}
"""


@pytest.mark.parametrize(
    "gathering",
    [
        "await asyncio.gather(tools.meet(mine=a, theirs=b), tools.meet(mine=b, theirs=a))",
        "await asyncio.gather(*(tools.meet(mine=x, theirs=y) for x, y in [(a, b), (b, a)]))",
        "[await t for t in [asyncio.create_task(tools.meet.meet(mine=a, theirs=b)),"
        " asyncio.ensure_future(tools.meet.meet(mine=b, theirs=a))]]",
    ],
    ids=["gather", "gather-generator", "create_task"],
)
async def test_calls_given_to_asyncio_run_concurrently_without_call_async(
    workspace: Path, executor_kind: str, tmp_path: Path, gathering: str
) -> None:
    require_binary("python3")
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "meet.yaml").write_text(MEET)
    storage = FileStorage(workspace)
    async with Session(storage=storage, executor=make_executor(executor_kind)) as session:
        marks = f"a = {str(tmp_path / 'a')!r}\nb = {str(tmp_path / 'b')!r}\n"
        result = await session.run(f"import asyncio\n{marks}{gathering}", timeout=60)
    assert result.value == ["met\n", "met\n"], result.error


async def test_only_asyncio_schedulers_turn_our_calls_into_awaitables(
    tool_session: Session,
) -> None:
    # A function of the agent's own that happens to be called `gather`, or an async
    # function of its own given to asyncio.gather, behave exactly as Python says.
    result = await tool_session.run(
        "import asyncio\n"
        "def gather(*parts):\n"
        "    return list(parts)\n"
        "async def one():\n"
        "    return 1\n"
        "mine = gather(tools.printf.lines(values=['a']))\n"
        "theirs = await asyncio.gather(one(), one())\n"
        "[mine, theirs]"
    )
    assert result.value == [["a\n"], [1, 1]], result.error


async def test_agent_code_reads_a_tool_as_python_stubs(tool_session: Session) -> None:
    result = await tool_session.run("tools.describe('printf')")
    one = await tool_session.run("tools.describe('curl.get')")
    assert result.error is None, result.error
    assert result.value.startswith(
        "# tools.printf: Print each argument on its own line\n"
        "# call as tools.printf.<name>(...); keyword arguments only\n\n"
        "def lines(*, fmt: str = '%s\\n', values: list["
    )
    assert result.value.endswith(') -> str:\n    """One value per line"""')
    assert one.value.count("def ") == 1 and "def get(*, url: str" in one.value
    missing = await tool_session.run("tools.describe('nope')")
    wrong = await tool_session.run("tools.describe('curl.gett')")
    assert "ToolNotFoundError" in (missing.error or "")
    assert "Did you mean get?" in (wrong.error or "")


async def test_a_run_that_loops_over_a_tool_is_stopped_at_the_sessions_limit(
    workspace: Path, executor_kind: str
) -> None:
    require_binary("printf")
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "printf.yaml").write_text(PRINTF)
    executor = make_executor(executor_kind)
    looping = (
        "from py_code_mode.errors import ToolCallLimitError\n"
        "made = 0\n"
        "try:\n"
        "    while True:\n"
        "        tools.printf.lines(values=['x'])\n"
        "        made += 1\n"
        "except ToolCallLimitError as exc:\n"
        "    stopped = str(exc)\n"
        "made"
    )
    storage = FileStorage(workspace)
    async with Session(storage=storage, executor=executor, max_tool_calls=3) as session:
        first = await session.run(looping)
        said = await session.run("stopped")
        again = await session.run("[tools.printf.lines(values=[str(i)]) for i in range(3)]")
        over = await session.run("[tools.printf.lines(values=[str(i)]) for i in range(4)]")
    assert (first.error, first.value) == (None, 3)
    assert "made 3 tool calls, the most one run may make" in str(said.value)
    assert again.value == ["0\n", "1\n", "2\n"]  # each run counts from zero
    assert over.error is not None and "ToolCallLimitError" in over.error


async def test_the_tool_call_limit_can_be_lifted_and_must_be_sane(workspace: Path) -> None:
    require_binary("printf")
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "printf.yaml").write_text(PRINTF)
    for bad in (0, -1, 2.5, True, "10"):
        with pytest.raises(ValueError, match="max_tool_calls must be a positive integer or None"):
            Session(storage=FileStorage(workspace), max_tool_calls=bad)  # type: ignore[arg-type]
    storage = FileStorage(workspace)
    async with Session(storage=storage, max_tool_calls=None) as session:
        result = await session.run("len([tools.printf.lines(values=['x']) for _ in range(1200)])")
    assert (result.error, result.value) == (None, 1200)
