"""The tools a session offers: looked up by name, listed, searched, called and closed.

The registry only finds things and delegates: each kind of tool (`_tools.base.Tool`)
describes and runs itself. It is built once from storage's parsed definitions and never
changes, so concurrent calls need no locking; tools that hold connections (MCP servers)
open them at first use and close them with the session.

A definition that is broken (bad YAML, an unknown `type`, a format error, a name used
twice) does not stop the session unless it asks to be strict: it becomes a `BrokenTool`,
listed with its error and how to fix it, while every other tool works.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath
from typing import Any

from py_code_mode import _names
from py_code_mode._ranking import Document, rank
from py_code_mode._tools._spec import HTTPToolSpec, MCPToolSpec, read_spec
from py_code_mode._tools.base import Tool, python_names, unknown_callable
from py_code_mode._tools.cli import CLITool
from py_code_mode._tools.definition import compile_spec, short_repr
from py_code_mode._tools.http import HTTPTool
from py_code_mode._tools.mcp import MCPTool
from py_code_mode._tools.stubs import callable_spec, stubs
from py_code_mode.errors import (
    InputError,
    InvalidNameError,
    ToolDefinitionError,
    ToolFailedError,
    ToolNotFoundError,
)

__all__ = ["BrokenTool", "ToolRegistry", "load_tool"]

_SEARCH_WEIGHTS: Mapping[str, float] = {
    "name": 3.0,
    "tags": 2.0,
    "description": 1.5,
    "recipes": 1.0,
    "parameters": 0.5,
}


def load_tool(source: str, data: Any, cwd: Path | None = None) -> Tool:
    """Check one parsed YAML definition and make the tool of its `type`.

    Args:
        source: Where the definition came from, named in errors.
        data: The parsed mapping, or the `ToolDefinitionError` storage met parsing it.
        cwd: Where commands and stdio servers run.

    Raises:
        ToolDefinitionError: The definition breaks its format; the message names `source`.
    """
    if isinstance(data, ToolDefinitionError):
        raise data
    spec = read_spec(source, data)
    if isinstance(spec, MCPToolSpec):
        return MCPTool(spec, source, cwd)
    if isinstance(spec, HTTPToolSpec):
        return HTTPTool(spec, source, cwd)
    return CLITool(compile_spec(source, spec), cwd)


class BrokenTool:
    """A definition that could not be loaded: listed with its error, and every call raises it.

    Args:
        name: The name it is listed under (its `name`, else its file's stem).
        source: Its file.
        error: What is wrong and how to fix it.
    """

    def __init__(self, name: str, source: str, error: str) -> None:
        self._name = name
        self._source = source
        self.error = error

    @property
    def name(self) -> str:
        return self._name

    @property
    def source(self) -> str:
        return self._source

    @property
    def description(self) -> str:
        return f"unavailable: {self.error.splitlines()[0]}"

    def __repr__(self) -> str:
        return f"<broken tool {self.name} from {self.source}>"

    async def describe(self, *, schemas: bool = False) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": "",
            "tags": [],
            "callables": [],
            "error": self.error,
        }

    async def call(self, function: str | None, args: Mapping[str, Any]) -> Any:
        raise ToolDefinitionError(self.error)

    async def aclose(self) -> None:
        """Nothing is open."""


def _listed_name(source: str, data: Any) -> str:
    """The name a broken definition is listed under: its own if usable, else its file's."""
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        with contextlib.suppress(InvalidNameError):
            return _names.tool_name(data["name"])
    stem = PurePath(source.rstrip("]")).stem.split("[")[-1].strip("'\"")
    return next(iter(python_names([stem or "tool"])))


class ToolRegistry:
    """Every tool of a session by name; build it with `from_definitions` or `empty`.

    Args:
        tools: Tools of any kind; names must be unique.
        broken: Definitions that could not be loaded, listed after the tools.

    Raises:
        ToolDefinitionError: Two tools share a name.
    """

    def __init__(self, tools: Iterable[Tool] = (), broken: Iterable[BrokenTool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            first = self._tools.get(tool.name)
            if first is not None:
                raise ToolDefinitionError(_twice(tool.name, first.source, tool.source))
            self._tools[tool.name] = tool
        self._broken = list(broken)

    @classmethod
    def from_definitions(
        cls,
        definitions: Iterable[tuple[str, Any]],
        *,
        cwd: Path | None = None,
        strict: bool = True,
        extra: Iterable[Tool] = (),
    ) -> ToolRegistry:
        """Check parsed YAML definitions and build a registry of them.

        Args:
            definitions: ``(source, mapping)`` pairs, as `Storage.load_tool_definitions`
                returns them; `source` names the file in error messages.
            cwd: Where commands and stdio servers run; None for the host's directory.
            strict: Raise for the first broken definition; otherwise each one is listed
                with its error (`BrokenTool`) and the rest load.
            extra: Tools that come with the session rather than from storage (the host's
                Python functions); a definition that reuses one's name is the broken one.

        Raises:
            ToolDefinitionError: With `strict`, a definition is malformed, or two share a
                name; the message names the file(s).
        """
        if strict:
            return cls([*extra, *(load_tool(source, data, cwd) for source, data in definitions)])
        tools: dict[str, Tool] = {tool.name: tool for tool in extra}
        broken: list[BrokenTool] = []
        for source, data in definitions:
            try:
                tool = load_tool(source, data, cwd)
                first = tools.get(tool.name)
                if first is not None:
                    raise ToolDefinitionError(_twice(tool.name, first.source, source))
            except ToolDefinitionError as exc:
                broken.append(BrokenTool(_listed_name(source, data), source, str(exc)))
                continue
            tools[tool.name] = tool
        return cls(tools.values(), broken)

    @classmethod
    def empty(cls) -> ToolRegistry:
        """A registry without tools, for sessions that offer none."""
        return cls()

    def __repr__(self) -> str:
        return f"ToolRegistry({', '.join(self.names())})"

    def names(self) -> list[str]:
        """Names of the tools that loaded, sorted."""
        return sorted(self._tools)

    @property
    def broken(self) -> builtins.list[BrokenTool]:
        """Definitions that could not be loaded (only without `strict`)."""
        return list(self._broken)

    async def list(self) -> list[dict[str, Any]]:
        """Every tool in its agent-facing dict form, sorted by name.

        Tools that connect (MCP servers) are described concurrently, so a slow server
        costs its own start, not the sum of all starts.

        Returns:
            ``{name, description, tags, callables: [{name, description, parameters}]}``
            per tool, plus ``error`` for a tool that cannot be used now; fresh dicts.
            Broken definitions come last, each with its ``error``.
        """
        described = await self._describe_all(self.names())
        return described + [await tool.describe() for tool in self._broken]

    async def describe(self, name: str) -> dict[str, Any]:
        """One tool in the form `list` gives, each callable with its `input_schema` too.

        Raises:
            ToolNotFoundError: No tool has that name; the message lists those there are.
        """
        return await self._tool(name).describe(schemas=True)

    async def search(self, query: str, limit: int = 10) -> builtins.list[dict[str, Any]]:
        """Tools that match `query`, best first, in the same dict form as `list`.

        Ranks by name, tags, description and callable names and descriptions; tools that
        match no word of the query are left out.

        Raises:
            InputError: `query` is not a string or `limit` is not a positive integer.
        """
        if not isinstance(query, str):
            raise InputError(f"Tool search query must be a string, got {type(query).__name__}")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise InputError(
                f"Tool search limit must be an integer of at least 1, got {short_repr(limit)}"
            )
        described = {tool["name"]: tool for tool in await self._describe_all(self.names())}
        documents = [_document(tool) for tool in described.values()]
        return [described[key] for key in rank(query, documents, _SEARCH_WEIGHTS, limit)]

    async def call(self, tool: str, function: str | None, args: dict[str, Any]) -> Any:
        """Run `tools.<tool>.<function>(**args)`, or `tools.<tool>(**args)` without one.

        Raises:
            ToolNotFoundError: No such tool or callable.
            ToolArgumentError: The arguments do not fit; nothing ran.
            ToolFailedError: The tool ran, or tried to, and failed.
        """
        return await self._tool(tool).call(function, args)

    def index(self) -> builtins.list[builtins.list[str]]:
        """``[name, description]`` of every tool, broken ones too, without connecting."""
        tools: builtins.list[Tool] = [self._tools[name] for name in self.names()]
        return [[tool.name, tool.description] for tool in [*tools, *self._broken]]

    async def stubs(self, name: str) -> str:
        """`tools.describe`: a tool's callables, or one (``github.get_repo``), as stubs.

        Raises:
            ToolNotFoundError: No such tool or callable; the message names close matches.
        """
        if not isinstance(name, str):
            raise ToolNotFoundError(f"Unknown tool: {short_repr(name)}")
        tool_name, _, only = name.partition(".")
        described = await self._tool(tool_name).describe(schemas=True)
        if only and not described.get("error"):
            names = [c["name"] for c in described["callables"]]
            if only not in names:
                raise unknown_callable(tool_name, only, names)
        return stubs(described, only or None)

    async def callable_specs(self, name: str) -> builtins.list[dict[str, Any]]:
        """What the worker needs for `tools.<name>.<callable>`: names, docs, signatures.

        Raises:
            ToolNotFoundError: No such tool.
            ToolDefinitionError: The tool's definition is broken.
            ToolFailedError: The tool cannot be used now (its server did not start, ...).
        """
        tool = self._tool(name)
        if isinstance(tool, BrokenTool):  # the same error as calling it: its definition's
            raise ToolDefinitionError(tool.error)
        described = await tool.describe(schemas=True)
        if described.get("error"):
            raise ToolFailedError(described["error"])
        return [callable_spec(name, entry) for entry in described["callables"]]

    async def aclose(self) -> None:
        """Close every tool's connections; the tools reopen them if used again."""
        await asyncio.gather(*(tool.aclose() for tool in self._tools.values()))

    async def _describe_all(self, names: builtins.list[str]) -> builtins.list[dict[str, Any]]:
        return list(await asyncio.gather(*(self._tools[name].describe() for name in names)))

    def _tool(self, name: Any) -> Tool:
        tool = self._tools.get(name) if isinstance(name, str) else None
        if tool is not None:
            return tool
        for broken in self._broken:
            if broken.name == name:
                return broken
        if not self._tools:
            raise ToolNotFoundError(
                f"Unknown tool: {short_repr(name)}. No tools are defined; tools come from "
                "YAML definitions in the workspace's tools/ directory (tools/*.yaml)"
            )
        close = difflib.get_close_matches(str(name), self.names(), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ToolNotFoundError(
            f"Unknown tool: {short_repr(name)}.{hint} Available: {', '.join(self.names())}"
        )


def _twice(name: str, first: str, second: str) -> str:
    return (
        f"Tool name {name!r} is defined twice: in {first} and in {second}; rename or remove "
        "one of them"
    )


def _document(tool: Mapping[str, Any]) -> Document:
    callables = " ".join(f"{c['name']} {c['description']}" for c in tool["callables"])
    parameters = " ".join(p["name"] for c in tool["callables"] for p in c["parameters"])
    return Document(
        key=tool["name"],
        fields={
            "name": tool["name"],
            "tags": " ".join(tool["tags"]),
            "description": tool["description"],
            "recipes": callables,
            "parameters": parameters,
        },
    )
