"""AutoGen tools an agent already has, offered inside `run_code` as `tools.<name>()`.

Each tool keeps its own argument model (`args_type()`) and its own invocation (`run_json`,
so AutoGen's own validation and return handling stay); it runs on the host, never in the
worker. The model chains them in one program instead of one model step per call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autogen_core import CancellationToken
from autogen_core.tools import BaseTool
from py_code_mode import FunctionTools, HostFunction

__all__ = ["function_tools"]


def function_tools(tools: Iterable[BaseTool[Any, Any]]) -> list[FunctionTools]:
    """Each AutoGen tool (a `FunctionTool` or any `BaseTool`) as `tools.<name>(**kw)`.

    Raises:
        TypeError: Something given is not an AutoGen `BaseTool`.
    """
    return FunctionTools.each(_host_function(tool) for tool in tools)


def _host_function(tool: BaseTool[Any, Any]) -> HostFunction:
    if not isinstance(tool, BaseTool):
        raise TypeError(f"tools must be AutoGen BaseTools, got {type(tool).__name__}")

    async def invoke(arguments: dict[str, Any]) -> Any:
        return await tool.run_json(arguments, CancellationToken())

    return HostFunction.of(tool.name, tool.description, tool.args_type(), invoke)
