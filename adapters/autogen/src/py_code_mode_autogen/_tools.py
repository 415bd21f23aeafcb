"""`code_mode_tools`: the code-mode catalogue as AutoGen `BaseTool`s, for `tools=[...]`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from autogen_core import EVENT_LOGGER_NAME, CancellationToken, trace_tool_span
from autogen_core.logging import ToolCallEvent
from autogen_core.tools import BaseTool, ToolSchema
from py_code_mode import (
    CodeModeError,
    Session,
    ToolFailedError,
    Toolkit,
    ToolkitOptions,
    UsageError,
)
from pydantic import BaseModel

from py_code_mode_autogen._host_tools import function_tools

__all__ = ["code_mode_tools"]

_logger = logging.getLogger(EVENT_LOGGER_NAME)


def code_mode_tools(
    session: Session,
    options: ToolkitOptions | None = None,
    *,
    tools: Sequence[BaseTool[Any, Any]] = (),
) -> list[BaseTool[BaseModel, Any]]:
    """One AutoGen tool per catalogue entry, all acting on `session`.

    For `AssistantAgent(tools=code_mode_tools(session))` and anything else that takes
    `BaseTool`s. Each tool returns the text the model reads; a call that fails (bad
    arguments, failing code, an unknown skill) raises `ToolFailedError` with that text,
    which AutoGen's workbench hands to the model as a result with `is_error=True`.
    Prefer `CodeModeWorkbench` when the agent's config must be saved: these tools cannot
    be dumped as components, since each would need the whole session.

    Args:
        session: The session the tools act on; it starts on the first call.
        options: Which tools to offer and how much text they return; default all tools.
        tools: AutoGen tools the agent already has, offered inside `run_code` instead
            (see `CodeModeWorkbench`).
    """
    if tools:
        session.add_tools(function_tools(tools))
    toolkit = Toolkit(session, options)
    return [_CodeModeTool(toolkit, tool.name) for tool in toolkit.tools]


class _CodeModeTool(BaseTool[BaseModel, Any]):
    """One catalogue entry; the description is read from the toolkit, so it stays current."""

    component_provider_override = "py_code_mode_autogen.code_mode_tools"

    def __init__(self, toolkit: Toolkit, name: str) -> None:
        tool = toolkit.get(name)
        super().__init__(tool.args_model, str, name, tool.description)
        self._toolkit = toolkit

    @property
    def description(self) -> str:
        return self._toolkit.get(self.name).description

    @property
    def schema(self) -> ToolSchema:
        # BaseTool builds the schema from the description given at construction; the
        # run_code description changes as skills and tools come and go.
        schema = super().schema
        schema["description"] = self.description
        return schema

    async def run(self, args: BaseModel, cancellation_token: CancellationToken) -> str:
        return await self._call(args.model_dump(exclude_unset=True))

    async def run_json(
        self,
        args: Mapping[str, Any],
        cancellation_token: CancellationToken,
        call_id: str | None = None,
    ) -> str:
        # Not BaseTool's: the toolkit validates the raw arguments itself, so a model reads
        # the same error text in every adapter rather than pydantic's report.
        with trace_tool_span(
            tool_name=self.name, tool_description=self.description, tool_call_id=call_id
        ):
            text = await self._call(args)
        _logger.info(ToolCallEvent(tool_name=self.name, arguments=dict(args), result=text))
        return text

    async def _call(self, arguments: Mapping[str, Any]) -> str:
        output = await self._toolkit.call(self.name, arguments)
        # The listing in run_code's description is a convenience: failing to refresh it
        # must not turn a finished call into an error.
        if self._toolkit.stale:
            with contextlib.suppress(CodeModeError):
                await self._toolkit.refresh()
        if output.is_error:
            raise ToolFailedError(output.text)
        return output.text

    def _to_config(self) -> BaseModel:
        raise UsageError(
            "code_mode_tools cannot be saved as components (each would need the whole "
            "session); give the agent workbench=CodeModeWorkbench(session) instead"
        )
