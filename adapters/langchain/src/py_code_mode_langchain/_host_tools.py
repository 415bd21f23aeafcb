"""LangChain tools an agent already has, offered inside `run_code` as `tools.<name>()`.

Programmatic tool calling: instead of one model step per tool call, the model writes a
program that calls the tools, chains their results and returns what it needs. Each
LangChain tool keeps its own argument model (`get_input_schema`) and its own invocation
(`ainvoke`, so callbacks and `ToolException` handling stay LangChain's); it runs on the
host, never in the worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.tools import BaseTool
from py_code_mode import FunctionTools, HostFunction
from pydantic import BaseModel

__all__ = ["function_tools"]


def function_tools(tools: Iterable[BaseTool]) -> list[FunctionTools]:
    """Each LangChain tool as a group of one, `tools.<name>(**kw)` in agent code.

    Raises:
        TypeError: Something given is not a LangChain `BaseTool`, or has a pydantic v1
            argument model.
    """
    return FunctionTools.each(_host_function(tool) for tool in tools)


def _host_function(tool: BaseTool) -> HostFunction:
    if not isinstance(tool, BaseTool):
        raise TypeError(f"tools must be LangChain BaseTools, got {type(tool).__name__}")
    model = tool.get_input_schema()
    if not issubclass(model, BaseModel):  # a pydantic.v1 model, from an old-style tool
        raise TypeError(
            f"LangChain tool {tool.name!r} has a pydantic v1 argument model; give it a "
            "pydantic v2 args_schema"
        )

    async def invoke(arguments: dict[str, Any]) -> Any:
        return await tool.ainvoke(arguments)

    return HostFunction.of(tool.name, tool.description, model, invoke)
