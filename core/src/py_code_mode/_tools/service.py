"""The `tools` namespace on the host: what the operations table calls for `tools.*`.

The registry finds and runs tools (each built knowing the session's workspace); this
service gives its methods the annotations the operations table derives arguments from.
"""

from __future__ import annotations

import builtins
from typing import Any

from py_code_mode._params import (
    Limit,
    Query,
    RecipeName,
    ToolArguments,
    ToolName,
    ToolOrCallable,
)
from py_code_mode._tools.registry import ToolRegistry

__all__ = ["ToolService"]


class ToolService:
    """A session's tools, as its namespace operations see them.

    Args:
        registry: The session's tools.
    """

    def __init__(self, registry: ToolRegistry) -> None:
        self.registry = registry

    async def list(self) -> builtins.list[dict[str, Any]]:
        """Every tool with its callables and their parameters."""
        return await self.registry.list()

    async def search(self, query: Query, limit: Limit = 10) -> builtins.list[dict[str, Any]]:
        """Tools that match `query`, best first."""
        return await self.registry.search(query, limit)

    async def describe(self, name: ToolOrCallable) -> str:
        """A tool's callables (or one: ``github.get_repo``) as Python stubs with docstrings."""
        return await self.registry.stubs(name)

    async def index(self) -> builtins.list[builtins.list[str]]:
        """``[name, description]`` of every tool, without connecting to any."""
        return self.registry.index()

    async def callables(self, tool: ToolName) -> builtins.list[dict[str, Any]]:
        """The worker's view of a tool's callables: names, docstrings, signatures."""
        return await self.registry.callable_specs(tool)

    async def call(self, tool: ToolName, recipe: RecipeName, args: ToolArguments) -> Any:
        """Run `tools.<tool>.<recipe>(**args)` on the host."""
        return await self.registry.call(tool, recipe, args)

    async def close(self) -> None:
        """Close the tools' connections (MCP servers): the session is ending."""
        await self.registry.aclose()
