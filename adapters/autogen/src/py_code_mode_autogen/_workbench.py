"""`CodeModeWorkbench`: the code-mode catalogue as an AutoGen workbench."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal, Self, cast

from autogen_core import CancellationToken, Component, trace_tool_span
from autogen_core.tools import (
    BaseTool,
    ParametersSchema,
    TextResultContent,
    ToolResult,
    ToolSchema,
    Workbench,
)
from py_code_mode import AgentTool, OutputCallback, Session, Toolkit, ToolkitOptions, ToolOutput
from pydantic import BaseModel

from py_code_mode_autogen._config import (
    CodeModeWorkbenchConfig,
    build_session,
    describe,
    options_from,
)
from py_code_mode_autogen._events import CodeOutputEvent
from py_code_mode_autogen._host_tools import function_tools

__all__ = ["CodeModeWorkbench", "CodeModeWorkbenchState"]


class CodeModeWorkbenchState(BaseModel):
    """What `save_state` records: deliberately nothing of the interpreter.

    Skills, artifacts and the deps list already persist in the session's storage, so they
    need no saving here. The interpreter's variables cannot be saved: they may be any
    Python object, and py-code-mode never pickles.
    """

    type: Literal["CodeModeWorkbenchState"] = "CodeModeWorkbenchState"
    variables_saved: Literal[False] = False
    """Always False: restoring this state leaves the session's variables as they are."""


class CodeModeWorkbench(Workbench, Component[CodeModeWorkbenchConfig]):
    """A persistent Python session as an AutoGen workbench: `run_code`, skills, artifacts, deps.

    The tools are exactly `py_code_mode._toolkit.Toolkit(session, options).tools`, so names,
    descriptions and argument schemas match every other py-code-mode adapter. The
    workbench is usable as soon as it exists: the session starts on the first call, so
    `AssistantAgent(..., workbench=CodeModeWorkbench(session))` needs no `start()`.
    A model's mistakes (bad arguments, failing code, unknown skills) come back as tool
    results with `is_error=True`, never as exceptions.

    `call_tool_stream` yields `CodeOutputEvent`s while `run_code` prints, then the
    `ToolResult`. (AssistantAgent itself only streams from `StaticStreamWorkbench`, so it
    uses `call_tool`.)

    Example:
        ```python
        async with Session.from_base("./data") as session:
            agent = AssistantAgent(
                "coder", model_client=client, workbench=CodeModeWorkbench(session)
            )
            await agent.run(task="...")
        ```

    Args:
        session: The session the tools act on. It stays yours: `stop()` does not close
            it. (A workbench loaded from a component config builds its own session and
            closes it on `stop()`.)
        options: Which tools to offer and how much text they return; default all tools.
        tools: AutoGen tools the agent already has, offered inside `run_code` as
            `tools.<name>(**kw)` so the model chains them in one program; they run on the
            host. Give them before the session starts.
    """

    component_provider_override = "py_code_mode_autogen.CodeModeWorkbench"
    component_config_schema = CodeModeWorkbenchConfig

    def __init__(
        self,
        session: Session,
        options: ToolkitOptions | None = None,
        *,
        tools: Sequence[BaseTool[Any, Any]] = (),
    ) -> None:
        if tools:
            session.add_tools(function_tools(tools))
        self._toolkit = Toolkit(session, options)
        self._rebuild: CodeModeWorkbenchConfig | None = None

    @property
    def session(self) -> Session:
        """The session the tools act on."""
        return self._toolkit.session

    # --- the tools -----------------------------------------------------------------------

    async def list_tools(self) -> list[ToolSchema]:
        """The offered tools; `run_code`'s description lists the session's tools and skills."""
        return [_schema(tool) for tool in await self._toolkit.list()]

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        """Call a tool; what the model did wrong comes back with `is_error=True`."""
        with trace_tool_span(tool_name=name, tool_call_id=call_id):
            output = await self._call(name, arguments, cancellation_token, None)
        return _result(name, output)

    async def call_tool_stream(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> AsyncGenerator[CodeOutputEvent | ToolResult, None]:
        """Like `call_tool`, but first yields `run_code`'s output chunks as they are printed.

        The last item is always the `ToolResult`. Closing the generator early cancels the
        call.
        """
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[CodeOutputEvent | None] = asyncio.Queue()

        def on_output(stream: Literal["stdout", "stderr"], text: str) -> None:
            # Called on whichever thread the executor writes from; the queue is this loop's.
            event = CodeOutputEvent(source=name, content=text, stream=stream, call_id=call_id)
            loop.call_soon_threadsafe(chunks.put_nowait, event)

        with trace_tool_span(tool_name=name, tool_call_id=call_id):
            call = asyncio.ensure_future(self._call(name, arguments, cancellation_token, on_output))
            # Queued after every chunk: the executor reports output before it returns.
            call.add_done_callback(lambda _: chunks.put_nowait(None))
            try:
                while (chunk := await chunks.get()) is not None:
                    yield chunk
                output = await call
            finally:
                call.cancel()  # no-op when done; stops the call if the consumer left early
        yield _result(name, output)

    async def _call(
        self,
        name: str,
        arguments: Mapping[str, Any] | None,
        cancellation_token: CancellationToken | None,
        on_output: OutputCallback | None,
    ) -> ToolOutput:
        call = asyncio.ensure_future(self._toolkit.call(name, arguments, on_output=on_output))
        if cancellation_token is not None:
            cancellation_token.link_future(call)
        return await call

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Start the session now rather than on the first call, and read its catalogue.

        Raises:
            SessionClosedError: The session was closed.
        """
        await self._toolkit.portal.call(self.session.start)
        await self._toolkit.refresh()

    async def stop(self) -> None:
        """Close the session if the workbench built it; a session you passed in stays open.

        A workbench that built its session prepares a fresh one, so it can be used again.
        """
        if self._rebuild is None:
            return
        await self._toolkit.portal.call(self.session.close)
        self._toolkit = Toolkit(build_session(self._rebuild), self._toolkit.options)

    async def reset(self) -> None:
        """Forget every variable; tools, skills, artifacts and deps stay."""
        await self._toolkit.portal.call(self.session.reset)

    async def save_state(self) -> Mapping[str, Any]:
        """A `CodeModeWorkbenchState`: storage keeps the rest, variables cannot be saved."""
        return CodeModeWorkbenchState().model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Check that `state` came from `save_state`; it restores nothing, by design.

        Raises:
            ValueError: `state` is not a `CodeModeWorkbenchState`.
        """
        CodeModeWorkbenchState.model_validate(state)

    # --- component config ----------------------------------------------------------------

    def _to_config(self) -> CodeModeWorkbenchConfig:
        """The workspace, executor kind and options that rebuild this workbench.

        Raises:
            UsageError: The session cannot be described by a config (not a FileStorage
                workspace, or a custom executor).
        """
        return describe(self.session, self._toolkit.options)

    @classmethod
    def _from_config(cls, config: CodeModeWorkbenchConfig) -> Self:
        workbench = cls(build_session(config), options_from(config))
        workbench._rebuild = config
        return workbench


def _schema(tool: AgentTool) -> ToolSchema:
    # The catalogue's schema passes through untouched: already an object schema.
    return ToolSchema(
        name=tool.name,
        description=tool.description,
        parameters=cast(ParametersSchema, tool.json_schema()),
    )


def _result(name: str, output: ToolOutput) -> ToolResult:
    return ToolResult(
        name=name, result=[TextResultContent(content=output.text)], is_error=output.is_error
    )
