"""`CodeModeTool`: one `AgentTool` of the catalogue as a LangChain `BaseTool`.

Name, description and argument model pass through unchanged; the call goes to
`Toolkit.call` (async) or `Toolkit.call_sync` (sync), so the session is reached through
its portal from any thread or loop. What the model did wrong reaches it as the tool's
result with `status="error"`: the Toolkit's error outputs are raised as `ToolException`
(handled, `handle_tool_error=True`), and arguments LangChain itself rejects while
validating against the argument model are explained the same way.
"""

# No `from __future__ import annotations` here: LangChain reads the type hints of `_run` and
# `_arun` on every call (looking for a RunnableConfig parameter), and string annotations
# make that an eval each time (~0.1 ms per call, bench/adapters.py).
import functools
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import BaseTool, ToolException
from py_code_mode import AgentTool, Toolkit, ToolOutput
from pydantic import PrivateAttr, ValidationError

from py_code_mode_langchain._streaming import forward_output, has_listeners, stream_output

__all__ = ["CodeModeTool"]


class CodeModeTool(BaseTool):
    """A py-code-mode tool for LangChain agents, made by `CodeModeToolkit`.

    Its result is `(text, data)` (`response_format="content_and_artifact"`): the model
    reads the text; `ToolMessage.artifact` holds the same result as plain data for the
    listing tools (None for `run_code`). `run_code` streams what the code prints as custom
    events named `OUTPUT_EVENT` while it runs.
    """

    _toolkit: Toolkit = PrivateAttr()
    _first_field: str | None = PrivateAttr()

    def __init__(self, *, toolkit: Toolkit, tool: AgentTool) -> None:
        super().__init__(
            name=tool.name,
            description=tool.description,
            args_schema=tool.args_model,
            handle_tool_error=True,
            handle_validation_error=functools.partial(_invalid_arguments, tool),
            response_format="content_and_artifact",
            metadata={"read_only": tool.read_only},
        )
        self._toolkit = toolkit
        self._first_field = next(iter(tool.args_model.model_fields), None)

    def _run(
        self, *args: Any, run_manager: CallbackManagerForToolRun | None = None, **kwargs: Any
    ) -> tuple[str, Any]:
        on_output = None
        if run_manager is not None and has_listeners(run_manager):
            on_output = forward_output(run_manager)
        output = self._toolkit.call_sync(
            self.name, self._arguments(args, kwargs), on_output=on_output
        )
        return _result(output)

    async def _arun(
        self,
        *args: Any,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        **kwargs: Any,
    ) -> tuple[str, Any]:
        arguments = self._arguments(args, kwargs)
        if run_manager is None or not has_listeners(run_manager):
            return _result(await self._toolkit.call(self.name, arguments))
        async with stream_output(run_manager) as on_output:
            output = await self._toolkit.call(self.name, arguments, on_output=on_output)
        return _result(output)

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        # LangChain passes a plain string input (`tool.invoke("print(1)")`) positionally,
        # after validating it as the model's first field.
        if args and self._first_field is not None:
            return {self._first_field: args[0], **kwargs}
        return kwargs


def _result(output: ToolOutput) -> tuple[str, Any]:
    if output.is_error:
        raise ToolException(output.text)
    return output.text, output.data


def _invalid_arguments(tool: AgentTool, exc: Exception) -> str:
    """The model's view of arguments LangChain rejected, worded as the Toolkit words it."""
    if not isinstance(exc, ValidationError):
        return f"Invalid arguments for {tool.name}: {exc}"
    return tool.explain_invalid_arguments(exc)
