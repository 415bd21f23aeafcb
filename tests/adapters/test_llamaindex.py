"""The LlamaIndex adapter: LlamaIndex's own FunctionAgent loop, driven by its own mock LLM."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import llama_index.core
import py_code_mode_llamaindex
import pytest
from llama_index.core.agent.workflow import AgentOutput, FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ToolCallBlock
from llama_index.core.llms import ChatMessage, MessageRole, MockFunctionCallingLLM
from llama_index.core.tools import FunctionTool
from llama_index.core.tools.calling import acall_tool, call_tool
from llama_index.core.workflow import Event
from py_code_mode import FileStorage, InProcessExecutor, Session
from py_code_mode._toolkit import TOOL_NAMES, Toolkit, ToolkitOptions
from py_code_mode.errors import UsageError
from py_code_mode_llamaindex import CodeModeToolSpec, CodeOutputEvent

from examples.llamaindex.main import run_episode, scripted_llm

pytestmark = [
    pytest.mark.anyio,
    # Building a workflow agent runs inspect.getmembers() over it, a pydantic model, which
    # touches pydantic's deprecated `__fields__`-style attributes; the warnings are
    # attributed to `inspect` and are the framework's, not ours.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:inspect"),
]

ADD = 'def run(a: int, b: int = 2) -> int:\n    """Add two numbers."""\n    return a + b\n'
SQUARES = (
    'def run(n: int) -> int:\n    """The sum of the squares below n."""\n'
    "    return sum(i * i for i in range(n))\n"
)


# --- no network, no downloads ------------------------------------------------------------


def _words(text: str) -> list[str]:
    """A tokenizer that needs no files: memory buffers only count tokens."""
    return text.split()


@pytest.fixture(autouse=True)
def offline(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No network beyond loopback, and proof that nothing was downloaded.

    The agent's default memory asks llama_index for a tokenizer, which is tiktoken unless
    one is set (tiktoken fetches encodings on first use); text splitting would fetch nltk
    data. Both caches point at empty directories that must stay empty.
    """
    caches = [tmp_path_factory.mktemp("tiktoken-cache"), tmp_path_factory.mktemp("nltk-data")]
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(caches[0]))
    monkeypatch.setenv("NLTK_DATA", str(caches[1]))
    monkeypatch.setattr(llama_index.core, "global_tokenizer", _words)
    connect = socket.socket.connect

    def loopback_only(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            raise OSError(f"this test tried to reach {address!r}: no network beyond loopback")
        connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    yield
    assert [path for cache in caches for path in cache.iterdir()] == []


# --- LlamaIndex's own mock LLM, scripted -------------------------------------------------


class ScriptedLLM:
    """Plays fixed assistant turns through llama_index's `MockFunctionCallingLLM`.

    Each turn answers one model call of the agent; the messages and tools the agent sent
    are kept, so a test can check what the model was shown.
    """

    def __init__(self, *turns: ChatMessage) -> None:
        self._turns = list(turns)
        self.seen: list[list[ChatMessage]] = []
        self.offered: list[str] = []
        self.llm = MockFunctionCallingLLM(response_generator=self._respond)

    def _respond(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        self.seen.append(list(messages))
        self.offered = [tool.metadata.name for tool in kwargs.get("tools", [])]
        return self._turns.pop(0)

    def tool_results(self) -> list[str]:
        """The tool results in the last conversation the model saw, in order."""
        return [m.content or "" for m in self.seen[-1] if m.role == MessageRole.TOOL]


def call(tool: str, /, **arguments: Any) -> ChatMessage:
    block = ToolCallBlock(tool_call_id=f"call-{tool}", tool_name=tool, tool_kwargs=arguments)
    return ChatMessage(role="assistant", blocks=[block])


def answer(text: str) -> ChatMessage:
    return ChatMessage(role="assistant", content=text)


async def run_agent(
    spec: CodeModeToolSpec, script: ScriptedLLM, task: str = "go"
) -> tuple[AgentOutput, list[Event]]:
    agent = FunctionAgent(tools=[*await spec.to_tool_list_async()], llm=script.llm)
    handler = agent.run(user_msg=task)
    events = [event async for event in handler.stream_events()]
    return await handler, events


def results(events: list[Event]) -> list[ToolCallResult]:
    return [event for event in events if isinstance(event, ToolCallResult)]


def _session(tmp_path: Path) -> Session:
    return Session(storage=FileStorage(tmp_path / "ws"), executor=InProcessExecutor())


def _tools(spec: CodeModeToolSpec) -> dict[str, FunctionTool]:
    return {str(tool.metadata.name): tool for tool in spec.to_tool_list()}


# --- the public surface ------------------------------------------------------------------


def test_the_public_names_are_exactly_these() -> None:
    assert py_code_mode_llamaindex.__all__ == ["CodeModeToolSpec", "CodeOutputEvent", "__version__"]
    assert py_code_mode_llamaindex.__version__ == "0.1.0"


# --- the agent loop ----------------------------------------------------------------------


async def test_a_function_agent_runs_code_saves_a_skill_and_answers(session: Session) -> None:
    code = (
        "squares = [i * i for i in range(5)]\n"
        "artifacts.save('squares', squares, description='squares below 5')\n"
        "sum(squares)"
    )
    script = ScriptedLLM(
        call("run_code", code=code),
        call("create_skill", name="sum_squares", source=SQUARES, description="Sum of squares."),
        answer("The sum is 30."),
    )
    output, events = await run_agent(CodeModeToolSpec(session=session), script)

    assert output.response.content == "The sum is 30."
    assert script.offered == list(TOOL_NAMES)
    ran, created = script.tool_results()
    assert ran == "30"
    assert json.loads(created)["name"] == "sum_squares"
    assert [r.tool_output.is_error for r in results(events)] == [False, False]
    assert await session.load_artifact("squares") == [0, 1, 4, 9, 16]
    assert (await session.invoke_skill("sum_squares", n=5)).value == 30
    again = await _tools(CodeModeToolSpec(session=session))["run_code"].acall(
        code="skills.sum_squares(n=4)"
    )
    assert again.content == "14"


async def test_bad_calls_from_the_model_come_back_as_errors_it_reads(
    session: Session, workspace: Path
) -> None:
    script = ScriptedLLM(
        call("run_code", code=5),
        call("run_code"),
        call("run_code", code="1", cod="2"),
        call("create_skill", name="../evil", source=ADD, description="d"),
        call("get_skill", name="../evil"),
        call("search_skills", query="x", limit="many"),
        call("run_code", code="print('still here')\n6 * 7"),
        answer("done"),
    )
    output, events = await run_agent(CodeModeToolSpec(session=session), script)

    assert output.response.content == "done"
    assert [r.tool_output.is_error for r in results(events)] == [True] * 6 + [False]
    seen = script.tool_results()
    assert "code: Input should be a valid string" in seen[0]
    assert "code: Field required" in seen[1]
    assert "cod: Extra inputs are not permitted" in seen[2]
    assert "InvalidNameError" in seen[3] and "'../evil'" in seen[3]
    assert "InvalidNameError" in seen[4]
    assert "limit: Input should be a valid integer" in seen[5]
    assert seen[6] == "42\n\nStdout:\nstill here\n"
    assert await session.list_skills() == []
    assert list(workspace.parent.rglob("evil*")) == []


async def test_run_code_streams_output_to_the_workflow_as_it_is_printed(session: Session) -> None:
    code = "import sys\nprint('one', flush=True)\nprint('two', file=sys.stderr, flush=True)\n3"
    script = ScriptedLLM(call("run_code", code=code), answer("done"))
    _, events = await run_agent(CodeModeToolSpec(session=session), script)

    chunks = [e for e in events if isinstance(e, CodeOutputEvent)]
    assert "".join(c.text for c in chunks if c.stream == "stdout") == "one\n"
    assert "".join(c.text for c in chunks if c.stream == "stderr") == "two\n"
    # Every chunk reaches the stream before the tool's result does.
    result_at = next(i for i, e in enumerate(events) if isinstance(e, ToolCallResult))
    assert all(events.index(chunk) < result_at for chunk in chunks)


async def test_output_streams_to_the_workflow_from_a_session_on_another_loop(
    tmp_path: Path,
) -> None:
    session = _session(tmp_path)
    spec = CodeModeToolSpec(session=session)
    # A sync call first: the session starts on the portal's own background loop.
    assert _tools(spec)["run_code"].call(code="x = 1").content == "(no output)"
    assert session.loop is not asyncio.get_running_loop()

    script = ScriptedLLM(call("run_code", code="print('from afar', flush=True)\nx"), answer("ok"))
    _, events = await run_agent(spec, script)
    streamed = "".join(e.text for e in events if isinstance(e, CodeOutputEvent))
    assert streamed == "from afar\n"
    assert script.tool_results() == ["1\n\nStdout:\nfrom afar\n"]
    spec.toolkit.portal.close()


# --- the tool contract -------------------------------------------------------------------


async def test_tools_translate_the_catalogue_unchanged(session: Session) -> None:
    spec = CodeModeToolSpec(session=session)
    toolkit = Toolkit(session)
    tools = await spec.to_tool_list_async()
    assert [tool.metadata.name for tool in tools] == list(TOOL_NAMES)
    assert spec.spec_functions == list(TOOL_NAMES)
    for tool, agent_tool in zip(tools, await toolkit.list(), strict=True):
        assert isinstance(tool, FunctionTool)
        assert tool.metadata.description == agent_tool.description
        assert tool.metadata.fn_schema is agent_tool.args_model
        parameters = tool.metadata.get_parameters_dict()
        schema = agent_tool.json_schema()
        assert parameters["properties"] == schema["properties"]
        assert parameters.get("required") == schema.get("required")
    # Only run_code asks workflow agents for their Context (to stream into it).
    assert [t.metadata.name for t in tools if t.requires_context] == ["run_code"]


async def test_options_choose_the_tools(tmp_path: Path) -> None:
    async with _session(tmp_path) as session:
        read_only = CodeModeToolSpec(session=session, options=ToolkitOptions.read_only())
        names = [tool.metadata.name for tool in read_only.to_tool_list()]
        assert names == [t.name for t in Toolkit(session, ToolkitOptions.read_only()).tools]
        assert "run_code" not in names and "create_skill" not in names
        spec = CodeModeToolSpec(session=session)
        chosen = spec.to_tool_list(spec_functions=["search_skills", ("run_code", "run_code")])
        assert [tool.metadata.name for tool in chosen] == ["search_skills", "run_code"]
        with pytest.raises(ValueError, match="not offered by this spec: 'run_code'"):
            read_only.to_tool_list(spec_functions=["run_code"])


async def test_the_async_tool_list_refreshes_the_skills_in_run_codes_description(
    session: Session,
) -> None:
    spec = CodeModeToolSpec(session=session)
    await session.create_skill("add", ADD, "Add two numbers.")
    assert "- add(" not in _tools(spec)["run_code"].metadata.description
    run_code = (await spec.to_tool_list_async())[0]
    assert "- add(a: int, b: int = 2) -> int — Add two numbers." in run_code.metadata.description


async def test_async_calls_return_text_data_and_errors(session: Session) -> None:
    tools = _tools(CodeModeToolSpec(session=session))
    ran = await tools["run_code"].acall(code="x = 20\nprint('hello')\nx + 1")
    assert (ran.content, ran.is_error, ran.tool_name) == (
        "21\n\nStdout:\nhello\n",
        False,
        "run_code",
    )
    assert ran.raw_input == {"args": (), "kwargs": {"code": "x = 20\nprint('hello')\nx + 1"}}
    failed = await tools["run_code"].acall(code="1/0")
    assert failed.is_error and "ZeroDivisionError" in failed.content
    await session.save_artifact("numbers", [1, 2, 3])
    listed = await tools["list_artifacts"].acall()
    assert not listed.is_error and listed.raw_output[0]["name"] == "numbers"
    positional = await tools["get_skill"].acall("add")
    assert positional.is_error and "pass arguments by name" in positional.content
    assert (await tools["run_code"].acall(code="x")).content == "20"


def test_sync_calls_work_without_a_loop_inside_a_running_loop_and_from_threads(
    tmp_path: Path,
) -> None:
    spec = CodeModeToolSpec(session=_session(tmp_path))
    run_code = _tools(spec)["run_code"]
    assert run_code.call(code="x = 41\nx + 1").content == "42"
    assert run_code(code="x").content == "41"
    assert run_code.fn(code="x + 2") == "43"

    async def inside_a_loop() -> tuple[str, str]:
        # A notebook-style caller: a sync call on the thread of a running loop.
        return run_code.call(code="x").content, (await run_code.acall(code="x + 1")).content

    assert asyncio.run(inside_a_loop()) == ("41", "42")
    from_thread: list[str] = []
    thread = threading.Thread(target=lambda: from_thread.append(run_code.call(code="x").content))
    thread.start()
    thread.join()
    assert from_thread == ["41"]
    bad = run_code.call(code=5)
    assert bad.is_error and "code: Input should be a valid string" in bad.content
    spec.toolkit.portal.close()


async def test_a_blocking_call_on_the_sessions_own_loop_is_refused(session: Session) -> None:
    await session.start()
    with pytest.raises(UsageError, match="would deadlock: use the async form there") as caught:
        _tools(CodeModeToolSpec(session=session))["list_skills"].call()
    assert "await tool.acall(...)" in str(caught.value)  # what the README says to use


async def test_llama_indexs_own_call_helpers_pass_arguments_by_name(session: Session) -> None:
    tools = _tools(CodeModeToolSpec(session=session))
    await session.create_skill("add", ADD, "Add two numbers.")
    # One-parameter tools are where these helpers may pass the argument positionally.
    found = await acall_tool(tools["get_skill"], {"name": "add"})
    assert not found.is_error and found.raw_output["name"] == "add"
    hostile = await acall_tool(tools["get_skill"], {"name": "../evil"})
    assert hostile.is_error and "InvalidNameError" in hostile.content


def test_the_sync_call_helper_reports_errors_too(tmp_path: Path) -> None:
    spec = CodeModeToolSpec(session=_session(tmp_path))
    tools = _tools(spec)
    assert call_tool(tools["list_deps"], {}).content == "[]"
    hostile = call_tool(
        tools["create_skill"], {"name": "../evil", "source": ADD, "description": "d"}
    )
    assert hostile.is_error and "InvalidNameError" in hostile.content
    spec.toolkit.portal.close()


async def test_huge_code_is_refused_and_the_session_goes_on(tmp_path: Path) -> None:
    async with _session(tmp_path) as session:
        spec = CodeModeToolSpec(session=session, options=ToolkitOptions(max_code_chars=1000))
        script = ScriptedLLM(
            call("run_code", code="x = 1\n" + "#" * 5000),
            call("run_code", code="y = 2\ny"),
            answer("done"),
        )
        _, events = await run_agent(spec, script)
        refused, ran = script.tool_results()
        assert "5,006 characters; the limit is 1,000" in refused
        assert ran == "2"
        assert [r.tool_output.is_error for r in results(events)] == [True, False]


# --- the example -------------------------------------------------------------------------


async def test_the_example_runs_its_scripted_episode(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    answer_text = await run_episode(workspace, scripted_llm())
    assert "15 primes" in answer_text
    async with Session.from_base(workspace, executor=InProcessExecutor()) as session:
        assert await session.load_artifact("primes") == [
            2,
            3,
            5,
            7,
            11,
            13,
            17,
            19,
            23,
            29,
            31,
            37,
            41,
            43,
            47,
        ]
        assert (await session.invoke_skill("primes", limit=10)).value == [2, 3, 5, 7]


# --- the agent's own tools, called from run_code -----------------------------------------


def lookup_order(order_id: str) -> dict[str, Any]:
    """Look an order up by its id."""
    return {"id": order_id, "total": {"A1": 30.0, "B2": 12.5}[order_id]}


async def refund(order_id: str, amount: float) -> str:
    """Refund an amount of an order."""
    if amount > 20:
        raise ValueError("refunds above 20 need a human")
    return f"refunded {amount} on {order_id}"


async def test_the_agents_own_tools_are_chained_inside_run_code(tmp_path: Path) -> None:
    own = [FunctionTool.from_defaults(fn=lookup_order), FunctionTool.from_defaults(fn=refund)]
    code = (
        "[tools.refund(order_id=o, amount=tools.lookup_order(order_id=o)['total'] / 2)\n"
        " for o in ['A1', 'B2']]"
    )
    session = _session(tmp_path)
    spec = CodeModeToolSpec(session=session, tools=own)
    script = ScriptedLLM(call("run_code", code=code), answer("Both refunded."))
    try:
        output, _ = await run_agent(spec, script)
        refused = await session.run("tools.refund(order_id='A1', amount=25.0)")
        described = await session.run("tools.describe('lookup_order')")
    finally:
        await session.close()
    assert output.response.content == "Both refunded."
    assert script.offered == list(TOOL_NAMES)
    [ran] = script.tool_results()
    assert json.loads(ran) == ["refunded 15.0 on A1", "refunded 6.25 on B2"]
    assert "refunds above 20 need a human" in str(refused.error)
    assert '"""Look an order up by its id."""' in str(described.value)
