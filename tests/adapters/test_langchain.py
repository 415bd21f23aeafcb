"""The LangChain adapter, driven by LangChain's own agent loop (`create_agent`) and fake model.

Every test goes through LangChain's machinery: `BaseTool.invoke` / `ainvoke` with model
tool calls, the agent's `ToolNode`, its callbacks and `astream_events`. Nothing on our side
is mocked; the model is `GenericFakeChatModel` replaying scripted replies.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import anyio
import py_code_mode_langchain
import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolCall, ToolMessage
from langchain_core.messages.tool import tool_call
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool, BaseToolkit
from langchain_core.tools import tool as lc_tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from py_code_mode import FileStorage, InProcessExecutor, Session
from py_code_mode._toolkit import TOOL_NAMES, ToolkitOptions
from py_code_mode.errors import UsageError
from py_code_mode_langchain import OUTPUT_EVENT, CodeModeTool, CodeModeToolkit
from pydantic import Field

from examples.langchain.main import TASK, run_episode, scripted_model

pytestmark = pytest.mark.anyio

SQUARES = '''def run(n: int = 10) -> list[int]:
    """The squares of 1..n."""
    return [i * i for i in range(1, n + 1)]
'''


@pytest.fixture(autouse=True)
def _no_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    # LangSmith tracing would send runs over the network; these tests stay on loopback.
    for name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGSMITH_API_KEY"):
        monkeypatch.delenv(name, raising=False)


class ScriptedChatModel(GenericFakeChatModel):
    """LangChain's fake chat model, made able to take tools.

    It replays `messages` and records, for every model call, the tools it was bound to in
    the OpenAI form a real provider receives, so tests can check what the model saw.
    """

    seen_tools: list[list[dict[str, Any]]] = Field(default_factory=list)

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        self.seen_tools.append([convert_to_openai_tool(tool) for tool in tools])
        return self


def calls(*pairs: tuple[str, dict[str, Any]]) -> AIMessage:
    """A model reply that calls tools."""
    return AIMessage(
        "", tool_calls=[{"name": n, "args": a, "id": uuid.uuid4().hex[:12]} for n, a in pairs]
    )


def model(*replies: AIMessage) -> ScriptedChatModel:
    # The fake streams text only, not tool calls: when an agent streams (astream_events),
    # LangChain must call it whole, which is what `disable_streaming` asks for.
    return ScriptedChatModel(messages=iter(replies), disable_streaming=True)


def call(tool: str, /, **args: Any) -> ToolCall:
    return tool_call(name=tool, args=args, id=uuid.uuid4().hex[:12])


def tool_messages(messages: list[BaseMessage]) -> list[ToolMessage]:
    return [m for m in messages if isinstance(m, ToolMessage)]


def by_name(tools: list[BaseTool]) -> dict[str, BaseTool]:
    return {tool.name: tool for tool in tools}


def inprocess_session(workspace: Path) -> Session:
    return Session(storage=FileStorage(workspace), executor=InProcessExecutor())


class OutputRecorder(BaseCallbackHandler):
    """Collects run_code output events; creates `mark` once it has seen `trigger`."""

    def __init__(self, mark: Path, trigger: str = "one\n") -> None:
        self.chunks: list[tuple[str, str]] = []
        self.run_ids: set[UUID] = set()
        self.mark = mark
        self.trigger = trigger

    def on_custom_event(
        self,
        name: str,
        data: Any,
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if name != OUTPUT_EVENT:
            return
        self.chunks.append((data["stream"], data["text"]))
        self.run_ids.add(run_id)
        if self.trigger in "".join(text for _, text in self.chunks):
            self.mark.touch()

    def text(self, stream: str) -> str:
        return "".join(text for s, text in self.chunks if s == stream)


def waits_for(mark: Path) -> str:
    """Agent code that prints, then runs on only once the test has seen that output.

    If output only arrived when the run ended, the code would wait in vain and say so.
    """
    return (
        "import os, sys, time\n"
        "print('one', flush=True)\n"
        "print('err', file=sys.stderr, flush=True)\n"
        "deadline = time.monotonic() + 20\n"
        f"while not os.path.exists({str(mark)!r}) and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
        f"print('streamed' if os.path.exists({str(mark)!r}) else 'not streamed')\n"
        "'done'"
    )


# --- the public surface --------------------------------------------------------------------


def test_the_public_names_are_exactly_these() -> None:
    assert py_code_mode_langchain.__all__ == [
        "CodeModeTool",
        "CodeModeToolkit",
        "OUTPUT_EVENT",
        "__version__",
    ]
    assert py_code_mode_langchain.__all__ == sorted(py_code_mode_langchain.__all__)
    assert py_code_mode_langchain.__version__ == "0.1.0"


def test_the_toolkit_refuses_what_is_not_a_session() -> None:
    with pytest.raises(ValueError, match="Session"):
        CodeModeToolkit(session="./data")  # type: ignore[arg-type]


# --- an agent at work ----------------------------------------------------------------------


async def test_an_agent_runs_code_and_saves_a_skill(session: Session, workspace: Path) -> None:
    code = (
        "squares = [i * i for i in range(1, 11)]\n"
        "artifacts.save('squares', squares, description='squares of 1..10')\n"
        "print('saved', len(squares))\n"
        "sum(squares)"
    )
    chat = model(
        calls(("run_code", {"code": code})),
        calls(("create_skill", {"name": "squares", "source": SQUARES, "description": "Squares"})),
        AIMessage("The sum is 385."),
    )
    toolkit = CodeModeToolkit(session=session)
    agent = create_agent(chat, await toolkit.aget_tools())
    with anyio.fail_after(60):
        state = await agent.ainvoke({"messages": [HumanMessage("squares, please")]})

    ran, created = tool_messages(state["messages"])
    assert (ran.name, ran.status) == ("run_code", "success")
    assert ran.content == "385\n\nStdout:\nsaved 10\n"
    assert await session.load_artifact("squares") == [i * i for i in range(1, 11)]
    assert (workspace / "artifacts" / "squares").is_file()
    assert (created.name, created.status) == ("create_skill", "success")
    assert created.artifact["name"] == "squares"
    assert (await session.invoke_skill("squares", n=3)).value == [1, 4, 9]
    assert state["messages"][-1].content == "The sum is 385."
    assert [t["function"]["name"] for t in chat.seen_tools[0]] == list(TOOL_NAMES)


async def test_an_agent_sees_its_mistakes_and_goes_on(session: Session, workspace: Path) -> None:
    chat = model(
        calls(
            ("run_code", {"code": 5}),
            ("run_code", {}),
            ("get_skill", {"name": "../evil"}),
            ("create_skill", {"name": "../evil", "source": SQUARES, "description": "d"}),
            ("run_code", {"code": "1/0"}),
        ),
        calls(("run_code", {"code": "1 + 1"})),
        AIMessage("done"),
    )
    toolkit = CodeModeToolkit(session=session)
    agent = create_agent(chat, await toolkit.aget_tools())
    with anyio.fail_after(60):
        state = await agent.ainvoke({"messages": [HumanMessage("go")]})

    *failed, recovered = tool_messages(state["messages"])
    assert [m.status for m in failed] == ["error"] * 5
    assert (
        failed[0].content == "Invalid arguments for run_code: code: Input should be a valid string"
    )
    assert failed[1].content == "Invalid arguments for run_code: code: Field required"
    assert str(failed[2].content).startswith("InvalidNameError: Invalid skill name '../evil'")
    assert str(failed[3].content).startswith("InvalidNameError: Invalid skill name '../evil'")
    assert "ZeroDivisionError" in str(failed[4].content)
    assert (recovered.status, recovered.content) == ("success", "2")
    assert await session.list_skills() == []
    assert not (workspace.parent / "evil.py").exists()


async def test_the_example_plays_its_episode(session: Session) -> None:
    with anyio.fail_after(60):
        messages = await run_episode(session, scripted_model())
    assert isinstance(messages[0], HumanMessage) and messages[0].content == TASK
    assert [(m.name, m.status) for m in tool_messages(messages)] == [
        ("run_code", "success"),
        ("create_skill", "success"),
    ]
    assert tool_messages(messages)[0].content == "385"
    assert "385" in str(messages[-1].content)
    assert await session.load_artifact("squares") == [i * i for i in range(1, 11)]
    assert (await session.invoke_skill("squares", n=4)).value == [1, 4, 9, 16]


async def test_a_refresh_shows_new_skills_to_an_agent_already_built(session: Session) -> None:
    chat = model(
        calls(("create_skill", {"name": "squares", "source": SQUARES, "description": "Squares"})),
        AIMessage("saved"),
        AIMessage("hello again"),
    )
    toolkit = CodeModeToolkit(session=session)
    tools = await toolkit.aget_tools()
    agent = create_agent(chat, tools)
    with anyio.fail_after(60):
        await agent.ainvoke({"messages": [HumanMessage("save a skill")]})
        assert "- squares(" not in chat.seen_tools[-1][0]["function"]["description"]
        refreshed = await toolkit.aget_tools()
        await agent.ainvoke({"messages": [HumanMessage("and now?")]})

    assert all(a is b for a, b in zip(refreshed, tools, strict=True))
    seen = chat.seen_tools[-1][0]["function"]["description"]
    assert "- squares(n: int = 10) -> list[int] — Squares" in seen
    assert seen == (await toolkit.toolkit.list())[0].description


# --- the tool contract ---------------------------------------------------------------------


async def test_the_tools_translate_the_catalogue_unchanged(session: Session) -> None:
    toolkit = CodeModeToolkit(session=session)
    assert isinstance(toolkit, BaseToolkit)
    tools = await toolkit.aget_tools()
    catalogue = await toolkit.toolkit.list()
    assert [tool.name for tool in tools] == list(TOOL_NAMES)
    for tool, agent_tool in zip(tools, catalogue, strict=True):
        assert isinstance(tool, CodeModeTool)
        assert tool.description == agent_tool.description
        assert tool.args_schema is agent_tool.args_model
        schema = agent_tool.json_schema()
        parameters = convert_to_openai_tool(tool)["function"]["parameters"]
        assert set(parameters["properties"]) == set(schema["properties"])
        assert parameters.get("required", []) == schema.get("required", [])
        assert tool.metadata == {"read_only": agent_tool.read_only}
        assert tool.handle_tool_error is True


async def test_options_choose_the_subset(workspace: Path) -> None:
    session = inprocess_session(workspace)
    read_only = CodeModeToolkit(session=session, options=ToolkitOptions.read_only())
    names = [tool.name for tool in read_only.get_tools()]
    assert names == [
        "list_tools", "search_tools", "list_skills", "search_skills", "get_skill",
        "skill_history", "list_artifacts", "list_deps",
    ]  # fmt: skip
    assert session.loop is None  # nothing to refresh, so the session was not started
    only = CodeModeToolkit(session=session, options=ToolkitOptions(include=["run_code"]))
    assert [tool.name for tool in await only.aget_tools()] == ["run_code"]
    await session.close()


async def test_results_carry_text_for_the_model_and_data_as_the_artifact(
    session: Session,
) -> None:
    await session.save_artifact("numbers", [1, 2, 3], description="three numbers")
    tools = by_name(await CodeModeToolkit(session=session).aget_tools())
    listed = await tools["list_artifacts"].ainvoke(call("list_artifacts"))
    assert isinstance(listed, ToolMessage) and listed.status == "success"
    assert '"numbers"' in str(listed.content)
    assert listed.artifact[0]["name"] == "numbers"
    ran = await tools["run_code"].ainvoke(call("run_code", code="x = 20\nx + 1"))
    assert (ran.content, ran.artifact) == ("21", None)
    assert await tools["run_code"].ainvoke({"code": "x"}) == "20"  # no tool call: just text


def test_sync_calls_work_outside_and_inside_a_running_loop(workspace: Path) -> None:
    session = inprocess_session(workspace)
    toolkit = CodeModeToolkit(session=session)
    run_code = by_name(toolkit.get_tools())["run_code"]
    assert run_code.invoke({"code": "x = 41\nx + 1"}) == "42"
    assert run_code.invoke("x") == "41"  # a plain string is the code

    async def inside_a_loop() -> tuple[str, str]:
        # A notebook-style caller: a blocking call on the thread of a running loop.
        return run_code.invoke({"code": "x"}), await run_code.ainvoke({"code": "x + 1"})

    assert asyncio.run(inside_a_loop()) == ("41", "42")
    results: list[str] = []
    thread = threading.Thread(target=lambda: results.append(run_code.invoke({"code": "x"})))
    thread.start()
    thread.join()
    assert results == ["41"]
    toolkit.close()
    assert session.loop is not None and session.loop.is_closed()


def test_a_sync_agent_uses_the_tools_without_an_event_loop(workspace: Path) -> None:
    toolkit = CodeModeToolkit(session=inprocess_session(workspace))
    chat = model(calls(("run_code", {"code": "sum(range(5))"})), AIMessage("10"))
    try:
        state = create_agent(chat, toolkit.get_tools()).invoke({"messages": [HumanMessage("?")]})
    finally:
        toolkit.close()
    [ran] = tool_messages(state["messages"])
    assert (ran.status, ran.content) == ("success", "10")


async def test_a_blocking_call_on_the_sessions_own_loop_is_refused(session: Session) -> None:
    toolkit = CodeModeToolkit(session=session)
    run_code = by_name(await toolkit.aget_tools())["run_code"]
    await session.create_skill("fresh", "def run():\n    return 1\n", "A fresh skill.")
    # get_tools() cannot block here: it keeps the listing of the last refresh...
    assert "fresh" not in by_name(toolkit.get_tools())["run_code"].description
    # ...which the async form brings up to date.
    assert "fresh" in by_name(await toolkit.aget_tools())["run_code"].description
    with pytest.raises(UsageError, match="would deadlock"):
        run_code.invoke({"code": "1"})
    # From a worker thread, where LangChain runs sync tools, the same call works.
    assert await anyio.to_thread.run_sync(run_code.invoke, {"code": "1"}) == "1"


# --- bad input -----------------------------------------------------------------------------


BAD_CALLS = [
    pytest.param("run_code", {"code": 5}, "code: Input should be a valid string", id="type"),
    pytest.param("run_code", {}, "code: Field required", id="missing"),
    pytest.param("run_code", {"code": "1", "cod": 1}, "cod: Extra inputs", id="unknown"),
    pytest.param("run_code", {"code": "1", "timeout": -1}, "greater than 0", id="timeout"),
    pytest.param("search_skills", {"query": "x", "limit": "many"}, "limit:", id="limit"),
    pytest.param(
        "run_code", {"code": "x = 1\n" + "#" * 250_000}, "the limit is 200,000", id="huge-code"
    ),
    pytest.param("get_skill", {"name": "../evil"}, "Invalid skill name '../evil'", id="path"),
    pytest.param(
        "create_skill",
        {"name": "../evil", "source": SQUARES, "description": "d"},
        "Invalid skill name '../evil'",
        id="hostile-name",
    ),
    pytest.param(
        "create_skill",
        {"name": "broken", "source": "def run(:", "description": "d"},
        "syntax error",
        id="bad-source",
    ),
    pytest.param("get_skill", {"name": "missing"}, "SkillNotFoundError", id="not-found"),
    pytest.param("run_code", {"code": "print('before')\n1/0"}, "ZeroDivisionError", id="raises"),
]


@pytest.mark.parametrize("mode", ["async", "sync"])
@pytest.mark.parametrize(("name", "args", "expected"), BAD_CALLS)
async def test_bad_input_is_an_error_message_and_the_session_goes_on(
    session: Session,
    workspace: Path,
    mode: str,
    name: str,
    args: dict[str, Any],
    expected: str,
) -> None:
    toolkit = CodeModeToolkit(session=session)
    tools = by_name(await toolkit.aget_tools())
    await tools["run_code"].ainvoke(call("run_code", code="kept = 'yes'"))
    request = call(name, **args)
    with anyio.fail_after(30):
        if mode == "async":
            message = await tools[name].ainvoke(request)
        else:  # as LangChain runs sync tools from async code: on a worker thread
            message = await anyio.to_thread.run_sync(tools[name].invoke, request)
    assert isinstance(message, ToolMessage)
    assert message.status == "error"
    assert message.tool_call_id == request["id"]
    assert expected in str(message.content)
    # Whether LangChain or the Toolkit rejected it, the model reads the Toolkit's words.
    direct = await toolkit.toolkit.call(name, args)
    assert direct.is_error
    if "Traceback" not in direct.text:  # a traceback names its run, which differs
        assert message.content == direct.text
    after = await tools["run_code"].ainvoke(call("run_code", code="kept"))
    assert (after.status, after.content) == ("success", "yes")
    assert await session.list_skills() == []
    assert not (workspace.parent / "evil.py").exists()


# --- streaming -----------------------------------------------------------------------------


async def test_an_agent_streams_run_code_output_as_events(
    session: Session, shared_dir: Path
) -> None:
    mark = shared_dir / "seen"
    chat = model(calls(("run_code", {"code": waits_for(mark)})), AIMessage("done"))
    agent = create_agent(chat, await CodeModeToolkit(session=session).aget_tools())
    chunks: list[tuple[str, str]] = []
    tool_run: set[str] = set()
    chunk_runs: set[str] = set()
    result: Any = None
    with anyio.fail_after(60):
        async for event in agent.astream_events(
            {"messages": [HumanMessage("stream")]}, version="v2"
        ):
            if event["event"] == "on_tool_start":
                tool_run.add(event["run_id"])
            elif event["event"] == "on_custom_event" and event["name"] == OUTPUT_EVENT:
                payload = cast(dict[str, str], event["data"])  # custom data: ours
                chunks.append((payload["stream"], payload["text"]))
                chunk_runs.add(event["run_id"])
                if "one\n" in "".join(text for stream, text in chunks if stream == "stdout"):
                    mark.touch()
            elif event["event"] == "on_tool_end":
                result = event["data"]["output"]

    text = str(result.content)
    assert text.startswith("done") and "Stdout:\none\nstreamed\n" in text and "err" in text
    assert "".join(t for s, t in chunks if s == "stdout") == "one\nstreamed\n"
    assert "".join(t for s, t in chunks if s == "stderr") == "err\n"
    assert chunk_runs == tool_run  # each chunk belongs to the tool run that printed it


async def test_sync_calls_stream_to_callback_handlers(session: Session, shared_dir: Path) -> None:
    recorder = OutputRecorder(shared_dir / "seen")
    run_code = by_name(await CodeModeToolkit(session=session).aget_tools())["run_code"]
    request = call("run_code", code=waits_for(recorder.mark))
    with anyio.fail_after(60):
        message = await anyio.to_thread.run_sync(
            lambda: run_code.invoke(request, config={"callbacks": [recorder]})
        )
    assert "streamed" in str(message.content) and "not streamed" not in str(message.content)
    assert recorder.text("stdout") == "one\nstreamed\n"
    assert recorder.text("stderr") == "err\n"
    assert len(recorder.run_ids) == 1


async def test_async_calls_stream_to_callback_handlers(session: Session, shared_dir: Path) -> None:
    recorder = OutputRecorder(shared_dir / "seen")
    run_code = by_name(await CodeModeToolkit(session=session).aget_tools())["run_code"]
    request = call("run_code", code=waits_for(recorder.mark))
    with anyio.fail_after(60):
        message = await run_code.ainvoke(request, config={"callbacks": [recorder]})
    assert "streamed" in str(message.content) and "not streamed" not in str(message.content)
    assert recorder.text("stdout") == "one\nstreamed\n"
    assert recorder.text("stderr") == "err\n"


# --- the agent's own tools, called from run_code ------------------------------------------

ORDERS = {"A1": 30.0, "B2": 12.5}
REFUNDED: list[str] = []


@lc_tool
def lookup_order(order_id: str) -> dict[str, Any]:
    """Look an order up by its id."""
    return {"id": order_id, "total": ORDERS[order_id]}


@lc_tool
async def refund(order_id: str, amount: float) -> str:
    """Refund an amount of an order."""
    REFUNDED.append(order_id)
    return f"refunded {amount} on {order_id}"


async def test_the_agents_own_tools_are_chained_inside_run_code(workspace: Path) -> None:
    REFUNDED.clear()
    code = (
        "done = []\n"
        "for order in ['A1', 'B2']:\n"
        "    found = tools.lookup_order(order_id=order)\n"
        "    done.append(tools.refund(order_id=order, amount=found['total'] / 2))\n"
        "done"
    )
    chat = model(calls(("run_code", {"code": code})), AIMessage("Both refunded."))
    session = Session(storage=FileStorage(workspace))
    toolkit = CodeModeToolkit(session=session, tools=[lookup_order, refund])
    try:
        agent = create_agent(chat, await toolkit.aget_tools())
        with anyio.fail_after(60):
            state = await agent.ainvoke({"messages": [HumanMessage("refund half of both")]})
        wrong = await session.run("tools.refund(order_id='A1', amount=1, reason='x')")
        listed = await session.run("tools.describe('refund')")
    finally:
        await session.close()
    [ran] = tool_messages(state["messages"])
    assert (ran.name, ran.status) == ("run_code", "success")
    assert ran.content == '["refunded 15.0 on A1", "refunded 6.25 on B2"]'
    assert REFUNDED == [
        "A1",
        "B2",
    ]  # they ran, on the host, once each
    seen = [t["function"]["name"] for t in chat.seen_tools[0]]
    assert seen == list(TOOL_NAMES)  # offered inside run_code, not as functions of their own
    assert "unexpected argument(s) 'reason'" in str(wrong.error)
    assert "def refund(*, order_id: str, amount: float) -> Any:" in str(listed.value)


async def test_tools_come_before_the_session_starts(session: Session) -> None:
    with pytest.raises(UsageError, match="add_tools\\(\\) must come before the session starts"):
        CodeModeToolkit(session=session, tools=[lookup_order])
