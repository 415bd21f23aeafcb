"""The `tools` namespace on the host: a session's registry, run in its workspace.

The registry finds tools and runs them wherever it is told; this service is what the
operations table calls for ``tools.list``, ``tools.search`` and ``tools.call``, with the
session's working directory bound once.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from py_code_mode._params import Limit, Query, RecipeName, ToolArguments, ToolName
from py_code_mode._tools.registry import ToolRegistry

__all__ = ["ToolService"]


class ToolService:
    """A session's tools, as its namespace operations see them.

    Args:
        registry: The session's tools.
        cwd: Where commands run: the workspace.
    """

    def __init__(self, registry: ToolRegistry, cwd: Path) -> None:
        self.registry = registry
        self._cwd = cwd

    async def list(self) -> builtins.list[dict[str, Any]]:
        """Every tool with its callables and their parameters."""
        return self.registry.list()

    async def search(self, query: Query, limit: Limit = 10) -> builtins.list[dict[str, Any]]:
        """Tools that match `query`, best first."""
        return self.registry.search(query, limit)

    async def describe(self, name: ToolName) -> dict[str, Any]:
        """One tool with the JSON Schema of each recipe's arguments."""
        return self.registry.describe(name)

    async def call(self, tool: ToolName, recipe: RecipeName, args: ToolArguments) -> str:
        """Run `tools.<tool>.<recipe>(**args)` on the host, in the workspace."""
        return await self.registry.call(tool, recipe, args, cwd=self._cwd)
