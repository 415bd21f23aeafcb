"""The `tools` namespace on the host: what the operations table calls for `tools.*`.

The registry finds and runs tools (each built knowing the session's workspace); this
service gives its methods the annotations the operations table derives arguments from.
"""

from __future__ import annotations

import builtins
from typing import Any

from py_code_mode._params import Limit, Query, RecipeName, ToolArguments, ToolName
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

    async def describe(self, name: ToolName) -> dict[str, Any]:
        """One tool with the JSON Schema of each recipe's arguments."""
        return await self.registry.describe(name)

    async def call(self, tool: ToolName, recipe: RecipeName, args: ToolArguments) -> Any:
        """Run `tools.<tool>.<recipe>(**args)` on the host."""
        return await self.registry.call(tool, recipe, args)

    async def close(self) -> None:
        """Close the tools' connections (MCP servers): the session is ending."""
        await self.registry.aclose()
