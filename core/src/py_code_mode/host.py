"""The host side of the channel: every namespace request from agent code is answered here.

One verb per namespace method (``tools.call``, ``skills.create``, ``artifacts.save``, ...).
The Session's facade methods call the same handlers, so agent code and integrations that do
not send code get the same validation, the same errors and the same data.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from py_code_mode.artifacts import ArtifactStore
from py_code_mode.deps.manager import DepsManager
from py_code_mode.errors import InputError, RuntimeDepsDisabledError
from py_code_mode.skills.library import SkillLibrary
from py_code_mode.tools.registry import ToolRegistry

Handler = Callable[..., Awaitable[Any]]


class Host:
    """Routes (verb, args) requests to the skill library, artifacts, tools and deps."""

    def __init__(
        self,
        *,
        skills: SkillLibrary,
        artifacts: ArtifactStore,
        tools: ToolRegistry,
        deps: DepsManager,
        cwd: Path,
        allow_runtime_deps: bool = True,
    ) -> None:
        self.skills = skills
        self.artifacts = artifacts
        self.tools = tools
        self.deps = deps
        self._cwd = cwd
        self._allow_runtime_deps = allow_runtime_deps
        verbs: dict[str, Handler] = {
            "tools.list": self.list_tools,
            "tools.search": self.search_tools,
            "tools.call": self.call_tool,
            "skills.list": skills.list,
            "skills.search": skills.search,
            "skills.get": skills.get,
            "skills.source": skills.source,
            "skills.create": skills.create,
            "skills.delete": skills.delete,
            "artifacts.save": artifacts.save,
            "artifacts.load": artifacts.load,
            "artifacts.list": artifacts.list,
            "artifacts.delete": artifacts.delete,
            "artifacts.exists": artifacts.exists,
            "deps.list": deps.list,
            "deps.add": self._guarded(deps.add, "add"),
            "deps.remove": self._guarded(deps.remove, "remove"),
            "deps.sync": deps.sync,
        }
        self._verbs = {
            verb: (handler, inspect.signature(handler)) for verb, handler in verbs.items()
        }

    def _guarded(self, handler: Handler, action: str) -> Handler:
        async def guarded(spec: Any) -> Any:
            if not self._allow_runtime_deps:
                raise RuntimeDepsDisabledError(
                    f"deps.{action}() is disabled for this session: the operator set "
                    "allow_runtime_deps=False. Use the packages already installed "
                    "(deps.list() shows them) or ask the operator to add the package."
                )
            return await handler(spec)

        return guarded

    async def handle(self, verb: str, args: dict[str, Any]) -> Any:
        """Answer one request from agent code."""
        entry = self._verbs.get(verb)
        if entry is None:
            raise InputError(f"Unknown request {verb!r}; known: {', '.join(sorted(self._verbs))}")
        handler, signature = entry
        try:
            bound = signature.bind(**args)
        except TypeError as exc:
            raise InputError(f"{verb}: {exc}") from None
        return await handler(*bound.args, **bound.kwargs)

    async def list_tools(self) -> list[dict[str, Any]]:
        """Every tool with its callables."""
        return self.tools.list()

    async def search_tools(self, query: Any, limit: Any = 10) -> list[dict[str, Any]]:
        """Tools ranked against `query`."""
        return self.tools.search(query, limit)

    async def call_tool(self, tool: Any, recipe: Any, args: Any) -> str:
        """Run a tool's command on the host, in the workspace."""
        if not isinstance(tool, str) or not (recipe is None or isinstance(recipe, str)):
            raise InputError("tools.call needs a tool name and an optional recipe name, as strings")
        if not isinstance(args, dict):
            raise InputError(f"tool arguments must be keyword arguments, got {type(args).__name__}")
        return await self.tools.call(tool, recipe, args, cwd=self._cwd)
