"""The AutoGen adapter, driven by AutoGen's own AssistantAgent and its replay model."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import py_code_mode_autogen
import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import ToolCallExecutionEvent
from autogen_core import CancellationToken, FunctionCall
from autogen_core.models import CreateResult, FunctionExecutionResult, RequestUsage
from autogen_core.tools import FunctionTool, ToolResult, Workbench
from autogen_ext.models.replay import ReplayChatCompletionClient
from py_code_mode import (
    FileStorage,
    InProcessExecutor,
    Session,
    SessionClosedError,
    ToolFailedError,
    UsageError,
)
from py_code_mode._toolkit import TOOL_NAMES, Toolkit, ToolkitOptions
from py_code_mode_autogen import CodeModeWorkbench, CodeOutputEvent, code_mode_tools

from examples.autogen.main import PRIMES, SCRIPTED_MODEL_INFO, run_episode, scripted_model

pytestmark = pytest.mark.anyio

SQUARES = (
    'def run(n: int) -> list[int]:\n    """The squares of 0..n-1."""\n'
    "    return [i * i for i in range(n)]\n"
)
READ_ONLY = (
    "list_tools", "search_tools", "list_skills", "search_skills", "get_skill",
    "skill_history", "list_artifacts", "list_deps",
)  # fmt: skip


# --- helpers -----------------------------------------------------------------------------


def call(tool: str, arguments: Any, call_id: str | None = None) -> CreateResult:
    """A model turn that calls one tool; `arguments` may be anything a model might send."""
    request = FunctionCall(id=call_id or f"call-{tool}", name=tool, arguments=json.dumps(arguments))
    return CreateResult(
        finish_reason="function_calls",
        content=[request],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )


def replay(*turns: str | CreateResult) -> ReplayChatCompletionClient:
    return ReplayChatCompletionClient(list(turns), model_info=SCRIPTED_MODEL_INFO)


Wiring = Callable[[Session], dict[str, Any]]
"""How the agent gets the catalogue: `workbench=` or `tools=`."""

WIRINGS: dict[str, Wiring] = {
    "workbench": lambda session: {"workbench": CodeModeWorkbench(session)},
    "tools": lambda session: {"tools": code_mode_tools(session)},
}


@pytest.fixture(params=sorted(WIRINGS))
def wiring(request: pytest.FixtureRequest) -> Wiring:
    return WIRINGS[request.param]


async def run_agent(session: Session, wiring: Wiring, *turns: str | CreateResult) -> TaskResult:
    agent = AssistantAgent(
        "coder", model_client=replay(*turns), max_tool_iterations=len(turns), **wiring(session)
    )
    with anyio.fail_after(60):
        return await agent.run(task="go")


def results(task: TaskResult) -> list[FunctionExecutionResult]:
    """Every tool result the agent put in front of the model, in order."""
    return [
        result
        for message in task.messages
        if isinstance(message, ToolCallExecutionEvent)
        for result in message.content
    ]


def inprocess(path: Path) -> Session:
    """An unstarted in-process session: cheap, for tests where the executor does not matter."""
    return Session(storage=FileStorage(path), executor=InProcessExecutor())


def text(result: ToolResult) -> str:
    return result.to_text()


# --- the agent loop ------------------------------------------------------------------------


async def test_an_agent_runs_code_saves_a_skill_and_answers(
    session: Session, wiring: Wiring
) -> None:
    code = "squares = [n * n for n in range(10)]\nartifacts.save('squares', squares)\nsum(squares)"
    model = replay(
        call("run_code", {"code": code}),
        call("create_skill", {"name": "squares", "source": SQUARES, "description": "Squares."}),
        "Done: 285.",
    )
    agent = AssistantAgent("coder", model_client=model, max_tool_iterations=3, **wiring(session))
    with anyio.fail_after(60):
        task = await agent.run(task="Square some numbers and keep a skill for it.")

    offered = [tool["name"] for tool in model.create_calls[0]["tools"]]
    assert offered == list(TOOL_NAMES)
    ran, created = results(task)
    assert (ran.name, ran.is_error, ran.content) == ("run_code", False, "285")
    assert not created.is_error and json.loads(created.content)["name"] == "squares"
    assert task.messages[-1].to_text() == "Done: 285."
    assert await session.load_artifact("squares") == [n * n for n in range(10)]
    invoked = await session.invoke_skill("squares", n=4)
    assert invoked.value == [0, 1, 4, 9]


async def test_the_agent_needs_no_explicit_start(tmp_path: Path, wiring: Wiring) -> None:
    session = inprocess(tmp_path / "ws")  # never started: the first call starts it
    task = await run_agent(session, wiring, call("run_code", {"code": "6 * 7"}), "42")
    assert results(task)[0].content == "42"
    assert session.loop is not None
    await session.close()


async def test_a_model_that_calls_a_tool_badly_hears_why_and_can_go_on(
    session: Session, wiring: Wiring
) -> None:
    task = await run_agent(
        session,
        wiring,
        call("run_code", {"code": 123}, "bad-type"),
        call("run_code", {}, "missing"),
        call("run_code", ["x = 1"], "not-an-object"),
        call("run_code", {"code": "x = 1", "shell": True}, "unknown-argument"),
        call("create_skill", {"name": "../evil", "source": SQUARES, "description": "x"}, "name"),
        call("get_skill", {"name": "nope"}, "unknown-skill"),
        call("run_code", {"code": "1 / 0"}, "failing-code"),
        call("run_code", {"code": "x = 20\nx + 1"}, "fine"),
        "ok",
    )
    by_id = {result.call_id: result for result in results(task)}
    assert all(result.is_error for key, result in by_id.items() if key != "fine")
    assert "Invalid arguments for run_code: code:" in by_id["bad-type"].content
    assert "code: Field required" in by_id["missing"].content
    assert "expected an object of named arguments" in by_id["not-an-object"].content
    assert "shell: Extra inputs are not permitted" in by_id["unknown-argument"].content
    assert by_id["name"].content.startswith("InvalidNameError")
    assert by_id["unknown-skill"].content.startswith("SkillNotFoundError")
    assert "ZeroDivisionError" in by_id["failing-code"].content
    assert (by_id["fine"].is_error, by_id["fine"].content) == (False, "21")
    assert await session.get_skill("evil") is None
    assert not list(Path(session.storage.root or ".").parent.rglob("evil*"))


async def test_huge_code_is_refused_with_the_limit_and_the_session_goes_on(
    session: Session,
) -> None:
    workbench = CodeModeWorkbench(session, ToolkitOptions(max_code_chars=1_000))
    refused = await workbench.call_tool("run_code", {"code": "x = 1\n" + "#" * 5_000})
    assert refused.is_error and "the limit is 1,000" in text(refused)
    tools = {tool.name: tool for tool in code_mode_tools(session)}
    with pytest.raises(ToolFailedError, match="the limit is 200,000"):
        await tools["run_code"].run_json({"code": "#" * 200_001}, CancellationToken())
    assert text(await workbench.call_tool("run_code", {"code": "'still here'"})) == "still here"


# --- the workbench contract ----------------------------------------------------------------


async def test_the_workbench_lists_the_catalogue_untouched(tmp_path: Path) -> None:
    session = inprocess(tmp_path / "ws")
    schemas = await CodeModeWorkbench(session).list_tools()
    toolkit = Toolkit(session)
    assert [schema["name"] for schema in schemas] == list(TOOL_NAMES)
    for schema, tool in zip(schemas, await toolkit.list(), strict=True):
        assert schema.get("description") == tool.description
        assert schema.get("parameters") == tool.json_schema()
    await session.close()


async def test_run_code_description_follows_the_skills(tmp_path: Path) -> None:
    session = inprocess(tmp_path / "ws")
    workbench = CodeModeWorkbench(session)
    args = {"name": "squares", "source": SQUARES, "description": "Squares of 0..n-1."}
    assert "squares" not in (await workbench.list_tools())[0].get("description", "")
    assert not (await workbench.call_tool("create_skill", args)).is_error
    assert "squares(n: int)" in (await workbench.list_tools())[0].get("description", "")
    await session.close()


async def test_read_only_options_offer_only_the_looking_tools(tmp_path: Path) -> None:
    session = inprocess(tmp_path / "ws")
    workbench = CodeModeWorkbench(session, ToolkitOptions.read_only())
    assert [schema["name"] for schema in await workbench.list_tools()] == list(READ_ONLY)
    refused = await workbench.call_tool("run_code", {"code": "1"})
    assert refused.is_error and "Unknown tool: run_code" in text(refused)
    assert [tool.name for tool in code_mode_tools(session, ToolkitOptions.read_only())] == list(
        READ_ONLY
    )
    await session.close()


async def test_reset_forgets_variables_but_not_skills(tmp_path: Path) -> None:
    session = inprocess(tmp_path / "ws")
    workbench = CodeModeWorkbench(session)
    args = {"name": "squares", "source": SQUARES, "description": "Squares."}
    await workbench.call_tool("create_skill", args)
    await workbench.call_tool("run_code", {"code": "x = 1"})
    await workbench.reset()
    forgotten = await workbench.call_tool("run_code", {"code": "x"})
    assert forgotten.is_error and "NameError" in text(forgotten)
    kept = await workbench.call_tool("run_code", {"code": "skills.squares(n=3)"})
    assert text(kept) == "[0, 1, 4]"
    await session.close()


async def test_start_and_stop_leave_a_given_session_open(tmp_path: Path) -> None:
    session = inprocess(tmp_path / "ws")
    async with CodeModeWorkbench(session) as workbench:
        assert session.loop is not None  # start() started it
        await workbench.call_tool("run_code", {"code": "x = 5"})
    assert (await session.run("x")).value == 5  # stop() left it (and its variables) alone
    await session.close()


async def test_state_records_no_variables_and_restores_none(tmp_path: Path) -> None:
    session = inprocess(tmp_path / "ws")
    workbench = CodeModeWorkbench(session)
    await workbench.call_tool("run_code", {"code": "x = 5"})
    state = await workbench.save_state()
    assert dict(state) == {"type": "CodeModeWorkbenchState", "variables_saved": False}
    await workbench.load_state(json.loads(json.dumps(state)))
    assert text(await workbench.call_tool("run_code", {"code": "x"})) == "5"
    with pytest.raises(ValueError):
        await workbench.load_state({"type": "StaticWorkbenchState"})
    await session.close()


async def test_the_component_config_rebuilds_the_workbench(tmp_path: Path) -> None:
    options = ToolkitOptions(include=["search_skills", "run_code"], max_output_chars=500)
    session = Session.from_base(tmp_path / "ws", executor=InProcessExecutor(), default_timeout=7.5)
    original = CodeModeWorkbench(session, options)
    await original.call_tool("run_code", {"code": "artifacts.save('a', 1)"})
    model = original.dump_component()
    assert model.provider == "py_code_mode_autogen.CodeModeWorkbench"
    assert model.config == {
        "base_path": str((tmp_path / "ws").resolve()),
        "executor": "inprocess",
        "allow_runtime_deps": True,
        "default_timeout": 7.5,
        "sync_deps": False,
        "options": {"include": ["run_code", "search_skills"], "max_output_chars": 500},
    }

    loaded = Workbench.load_component(json.loads(model.model_dump_json()))
    assert isinstance(loaded, CodeModeWorkbench)
    assert isinstance(loaded.session.executor, InProcessExecutor)
    assert loaded.session.default_timeout == 7.5
    assert [s["name"] for s in await loaded.list_tools()] == ["run_code", "search_skills"]
    assert text(await loaded.call_tool("run_code", {"code": "artifacts.load('a')"})) == "1"
    first = loaded.session
    await loaded.stop()  # it built its session, so it closes it ...
    with pytest.raises(SessionClosedError):
        await first.run("1")
    assert text(await loaded.call_tool("run_code", {"code": "2"})) == "2"  # ... and has a new one
    await loaded.stop()
    await session.close()


async def test_a_session_a_config_cannot_name_is_refused_clearly(tmp_path: Path) -> None:
    class TunedExecutor(InProcessExecutor):
        pass

    custom = Session(storage=FileStorage(tmp_path / "ws"), executor=TunedExecutor())
    with pytest.raises(UsageError, match="SubprocessExecutor or InProcessExecutor"):
        CodeModeWorkbench(custom).dump_component()

    class OtherStorage(FileStorage):
        pass

    other = Session(storage=OtherStorage(tmp_path / "ws"), executor=InProcessExecutor())
    with pytest.raises(UsageError, match="only a FileStorage workspace"):
        CodeModeWorkbench(other).dump_component()
    with pytest.raises(UsageError, match="workbench=CodeModeWorkbench"):
        code_mode_tools(other)[0].dump_component()


async def test_run_code_output_streams_while_the_code_runs(
    session: Session, shared_dir: Path
) -> None:
    go = shared_dir / "go"
    code = (
        "import pathlib, sys, time\n"
        "print('first', flush=True)\n"
        "for _ in range(2000):\n"
        f"    if pathlib.Path({str(go)!r}).exists(): break\n"
        "    time.sleep(0.005)\n"
        "else:\n"
        "    raise RuntimeError('nobody saw the first line while the code ran')\n"
        "print('second', file=sys.stderr, flush=True)\n"
        "'done'"
    )
    items: list[CodeOutputEvent | ToolResult] = []
    with anyio.fail_after(30):
        async for item in CodeModeWorkbench(session).call_tool_stream(
            "run_code", {"code": code}, call_id="c1"
        ):
            items.append(item)
            if isinstance(item, CodeOutputEvent) and "first" in item.content:
                go.touch()  # the code waits for this: the chunk arrived while it ran
    *chunks, final = items
    assert isinstance(final, ToolResult) and not final.is_error
    assert text(final).startswith("done")
    streamed = {"stdout": "", "stderr": ""}
    for chunk in chunks:
        assert isinstance(chunk, CodeOutputEvent) and chunk.call_id == "c1"
        streamed[chunk.stream] += chunk.content
    assert streamed == {"stdout": "first\n", "stderr": "second\n"}


async def test_leaving_a_stream_early_cancels_the_call_and_the_session_goes_on(
    session: Session, shared_dir: Path
) -> None:
    go = shared_dir / "go"
    code = (
        "import pathlib, time\n"
        "print('first', flush=True)\n"
        "for _ in range(2000):\n"
        f"    if pathlib.Path({str(go)!r}).exists(): break\n"
        "    time.sleep(0.005)\n"
    )
    workbench = CodeModeWorkbench(session)
    with anyio.fail_after(30):
        stream = workbench.call_tool_stream("run_code", {"code": code})
        first = await anext(stream)
        assert isinstance(first, CodeOutputEvent)
        await stream.aclose()
        go.touch()  # lets code that outlives its cancellation (a thread in-process) end
        assert text(await workbench.call_tool("run_code", {"code": "1 + 1"})) == "2"


async def test_a_cancelled_token_cancels_the_call(tmp_path: Path) -> None:
    session = inprocess(tmp_path / "ws")
    token = CancellationToken()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await CodeModeWorkbench(session).call_tool("run_code", {"code": "1"}, token)
    assert (await session.run("1")).value == 1
    await session.close()


async def test_a_streamed_failure_ends_in_an_error_result(tmp_path: Path) -> None:
    session = inprocess(tmp_path / "ws")
    items = [
        item async for item in CodeModeWorkbench(session).call_tool_stream("run_code", {"code": 1})
    ]
    assert len(items) == 1 and isinstance(items[0], ToolResult) and items[0].is_error
    await session.close()


# --- code_mode_tools ------------------------------------------------------------------------


async def test_each_tool_is_a_catalogue_entry(tmp_path: Path) -> None:
    session = inprocess(tmp_path / "ws")
    tools = code_mode_tools(session)
    catalogue = Toolkit(session).tools
    assert [tool.name for tool in tools] == list(TOOL_NAMES)
    for tool, entry in zip(tools, catalogue, strict=True):
        assert tool.args_type() is entry.args_model
        assert tool.return_type() is str
        assert tool.description == entry.description
        assert set(tool.schema.get("parameters", {})["properties"]) == set(
            entry.json_schema()["properties"]
        )
    run_code, create_skill = tools[0], tools[TOOL_NAMES.index("create_skill")]
    args = {"name": "squares", "source": SQUARES, "description": "Squares of 0..n-1."}
    await create_skill.run_json(args, CancellationToken())
    assert "squares(n: int)" in run_code.schema.get("description", "")
    await session.close()


# --- the example -----------------------------------------------------------------------------


async def test_the_example_episode_keeps_an_artifact_and_a_skill(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    with anyio.fail_after(60):
        task = await run_episode(workspace, scripted_model())
    assert results(task)[0].content == "15"
    assert "15 primes" in task.messages[-1].to_text()
    primes = [n for n in range(2, 50) if all(n % d for d in range(2, n))]
    async with inprocess(workspace) as later:  # a new session on the same workspace
        assert await later.load_artifact("primes") == primes
        assert (await later.get_skill("primes") or {}).get("source") == PRIMES
        assert (await later.invoke_skill("primes", limit=10)).value == [2, 3, 5, 7]


# --- the public surface ---------------------------------------------------------------------


def test_the_public_names_are_exactly_these() -> None:
    assert py_code_mode_autogen.__all__ == [
        "CodeModeWorkbench",
        "CodeOutputEvent",
        "__version__",
        "code_mode_tools",
    ]
    assert py_code_mode_autogen.__version__ == "0.1.0"


# --- the agent's own tools, called from run_code ------------------------------------------


def lookup_order(order_id: str) -> dict[str, Any]:
    """Look an order up by its id."""
    return {"id": order_id, "total": {"A1": 30.0, "B2": 12.5}[order_id]}


async def refund(order_id: str, amount: float) -> str:
    """Refund an amount of an order."""
    return f"refunded {amount} on {order_id}"


@pytest.mark.parametrize("wired", ["workbench", "tools"])
async def test_the_agents_own_tools_are_chained_inside_run_code(tmp_path: Path, wired: str) -> None:
    own = [
        FunctionTool(lookup_order, description="Look an order up."),
        FunctionTool(refund, description="Refund."),
    ]
    code = (
        "[tools.refund(order_id=o, amount=tools.lookup_order(order_id=o)['total'] / 2)\n"
        " for o in ['A1', 'B2']]"
    )
    session = inprocess(tmp_path / "ws")
    wiring = (
        {"workbench": CodeModeWorkbench(session, tools=own)}
        if wired == "workbench"
        else {"tools": code_mode_tools(session, tools=own)}
    )
    model = replay(call("run_code", {"code": code}), "Both refunded.")
    agent = AssistantAgent("coder", model_client=model, max_tool_iterations=2, **wiring)
    try:
        with anyio.fail_after(60):
            task = await agent.run(task="refund half of both")
        wrong = await session.run("tools.refund(order_id='A1')")
    finally:
        await session.close()
    [ran] = results(task)
    assert (ran.name, ran.is_error) == ("run_code", False)
    assert json.loads(ran.content) == ["refunded 15.0 on A1", "refunded 6.25 on B2"]
    assert [tool["name"] for tool in model.create_calls[0]["tools"]] == list(TOOL_NAMES)
    assert "missing required argument 'amount'" in str(wrong.error)
