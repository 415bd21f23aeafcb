"""LlamaIndex tools an agent already has, offered inside `run_code` as `tools.<name>()`.

Each tool keeps its own argument model (`metadata.fn_schema`) and its own invocation
(`acall`); it runs on the host, never in the worker. The model chains them in one program
instead of one model step per call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from llama_index.core.tools import AsyncBaseTool, BaseTool, adapt_to_async_tool
from py_code_mode import FunctionTools, HostFunction

__all__ = ["function_tools"]


def function_tools(tools: Iterable[BaseTool]) -> list[FunctionTools]:
    """Each LlamaIndex tool (a `FunctionTool` or any `BaseTool`) as `tools.<name>(**kw)`.

    Raises:
        TypeError: Something given is not a LlamaIndex tool with an argument schema.
    """
    return FunctionTools.each(_host_function(tool) for tool in tools)


def _host_function(tool: BaseTool) -> HostFunction:
    if not isinstance(tool, BaseTool):
        raise TypeError(f"tools must be LlamaIndex BaseTools, got {type(tool).__name__}")
    metadata = tool.metadata
    if metadata.fn_schema is None:
        raise TypeError(f"LlamaIndex tool {metadata.name!r} has no fn_schema to check calls")
    callable_tool: AsyncBaseTool = adapt_to_async_tool(tool)

    async def invoke(arguments: dict[str, Any]) -> Any:
        output = await callable_tool.acall(**arguments)
        if output.is_error:
            raise RuntimeError(output.content)
        return output.raw_output

    description = metadata.description or ""
    first, _, rest = description.partition("\n")
    if first.startswith(f"{metadata.name}(") and rest:  # FunctionTool repeats the signature
        description = rest
    return HostFunction.of(metadata.get_name(), description, metadata.fn_schema, invoke)
