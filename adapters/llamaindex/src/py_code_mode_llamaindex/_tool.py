"""`to_function_tool`: one catalogue tool as a LlamaIndex `FunctionTool`."""

from __future__ import annotations

from typing import Any

from llama_index.core.tools import FunctionTool, ToolMetadata, ToolOutput
from llama_index.core.workflow import Context
from py_code_mode import AgentTool, OutputCallback, Toolkit
from py_code_mode import ToolOutput as CodeModeOutput

from py_code_mode_llamaindex._stream import stream_to

__all__ = ["to_function_tool"]

_CTX = "ctx"
"""The keyword under which workflow agents hand their `Context` to the tool."""


def to_function_tool(
    toolkit: Toolkit, tool: AgentTool, metadata: ToolMetadata | None = None
) -> FunctionTool:
    """`tool` as a `FunctionTool`: its name, description and argument model, unchanged.

    Args:
        toolkit: The catalogue that calls the tool (sync callers go through its portal).
        tool: The catalogue entry to translate.
        metadata: Replaces the catalogue's metadata, for callers of `to_tool_list` that
            pass `func_to_metadata_mapping` on purpose.
    """
    metadata = metadata or ToolMetadata(
        name=tool.name, description=tool.description, fn_schema=tool.args_model
    )
    return _CodeModeTool(toolkit, tool.name, metadata, streams=tool.name == "run_code")


class _CodeModeTool(FunctionTool):
    """A `FunctionTool` whose output carries the catalogue's error flag.

    `FunctionTool` reports whatever its function returns as a success, and an exception as
    a failure only where an agent catches it. The catalogue never raises for the model's
    mistakes, so `call` and `acall` build the `ToolOutput` themselves, with `is_error`
    set and the message as the text the model reads. `fn` and `async_fn` remain for code
    that calls the functions directly (CodeActAgent, LangChain conversion): they return
    that same text.
    """

    def __init__(
        self, toolkit: Toolkit, name: str, metadata: ToolMetadata, *, streams: bool
    ) -> None:
        self._toolkit = toolkit
        self._name = name
        super().__init__(fn=self._text, async_fn=self._atext, metadata=metadata)
        if streams:
            # Workflow agents pass their Context to a FunctionTool that declares it wants one;
            # run_code writes its output there as it is produced. Declared here rather than
            # in a signature so direct calls without a context keep working.
            self.requires_context = True
            self.ctx_param_name = _CTX

    def call(self, *args: Any, **kwargs: Any) -> ToolOutput:
        """Call the tool from sync code, inside or outside a running loop."""
        if self.requires_context:
            kwargs.pop(_CTX, None)  # a sync caller has no loop to stream to
        if args:
            return self._positional(args, kwargs)
        return self._output(self._toolkit.call_sync(self._name, kwargs), kwargs)

    async def acall(self, *args: Any, **kwargs: Any) -> ToolOutput:
        """Call the tool; with a workflow `Context`, run_code streams its output there."""
        ctx = kwargs.pop(_CTX, None) if self.requires_context else None
        if args:
            return self._positional(args, kwargs)
        on_output: OutputCallback | None = None
        if isinstance(ctx, Context):
            on_output = stream_to(ctx)
        output = await self._toolkit.call(self._name, kwargs, on_output=on_output)
        return self._output(output, kwargs)

    def _text(self, **arguments: Any) -> str:
        return self._toolkit.call_sync(self._name, arguments).text

    async def _atext(self, **arguments: Any) -> str:
        return (await self._toolkit.call(self._name, arguments)).text

    def _positional(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ToolOutput:
        text = (
            f"Invalid arguments for {self._name}: pass arguments by name "
            f"(got {len(args)} positional)"
        )
        return ToolOutput(
            tool_name=self.metadata.get_name(),
            content=text,
            raw_input={"args": args, "kwargs": kwargs},
            raw_output=text,
            is_error=True,
        )

    def _output(self, output: CodeModeOutput, arguments: dict[str, Any]) -> ToolOutput:
        return ToolOutput(
            tool_name=self.metadata.get_name(),
            content=output.text,
            raw_input={"args": (), "kwargs": arguments},
            raw_output=output.text if output.data is None else output.data,
            is_error=output.is_error,
        )
