"""The tools a session offers: looked up by name, listed, searched and called.

The registry only finds things and delegates: `definition` checks the YAML, `cli` checks
arguments and runs the command. It is built once from storage's parsed definitions and
never changes, so concurrent calls need no locking.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from py_code_mode._ranking import Document, rank
from py_code_mode._tools import cli
from py_code_mode._tools.definition import (
    CLIToolDefinition,
    Recipe,
    describe,
    parse_definition,
    short_repr,
)
from py_code_mode.errors import InputError, ToolDefinitionError, ToolNotFoundError

__all__ = ["ToolRegistry"]

_SEARCH_WEIGHTS: Mapping[str, float] = {
    "name": 3.0,
    "tags": 2.0,
    "description": 1.5,
    "recipes": 1.0,
}


class ToolRegistry:
    """Every tool of a session by name; build it with `from_definitions` or `empty`.

    Args:
        tools: Checked definitions; names must be unique.

    Raises:
        ToolDefinitionError: Two definitions share a name.
    """

    def __init__(self, tools: Iterable[CLIToolDefinition] = ()) -> None:
        self._tools: dict[str, CLIToolDefinition] = {}
        for tool in tools:
            first = self._tools.get(tool.name)
            if first is not None:
                raise ToolDefinitionError(
                    f"Tool name {tool.name!r} is defined twice: in {first.source} and in "
                    f"{tool.source}; rename or remove one of them"
                )
            self._tools[tool.name] = tool

    @classmethod
    def from_definitions(cls, definitions: Iterable[tuple[str, Any]]) -> ToolRegistry:
        """Check parsed YAML definitions and build a registry of them.

        Args:
            definitions: ``(source, mapping)`` pairs, as `Storage.load_tool_definitions`
                returns them; `source` names the file in error messages.

        Returns:
            A registry of every definition.

        Raises:
            ToolDefinitionError: A definition is malformed, or two share a name; the
                message names the file(s).
        """
        return cls(parse_definition(source, data) for source, data in definitions)

    @classmethod
    def empty(cls) -> ToolRegistry:
        """A registry without tools, for sessions that offer none."""
        return cls()

    def __repr__(self) -> str:
        return f"ToolRegistry({', '.join(self.names())})"

    def names(self) -> list[str]:
        """Tool names, sorted."""
        return sorted(self._tools)

    def list(self) -> list[dict[str, Any]]:
        """Every tool in its agent-facing dict form, sorted by name.

        Returns:
            ``{name, description, tags, callables: [{name, description, parameters}]}``
            per tool; fresh dicts the caller may change.
        """
        return [describe(self._tools[name]) for name in self.names()]

    def describe(self, name: str) -> dict[str, Any]:
        """One tool in the form `list` gives, each callable with its `input_schema` too.

        Raises:
            ToolNotFoundError: No tool has that name; the message lists those there are.
        """
        return describe(self._tool(name), schemas=True)

    # `builtins.list`: inside the class body, `list` now names the method above.
    def search(self, query: str, limit: int = 10) -> builtins.list[dict[str, Any]]:
        """Tools that match `query`, best first, in the same dict form as `list`.

        Ranks by name, tags, description and recipe names and descriptions; tools that
        match no word of the query are left out.

        Args:
            query: Words describing what the agent needs, e.g. "fetch a web page".
            limit: The most tools to return, at least 1.

        Returns:
            At most `limit` tool dicts.

        Raises:
            InputError: `query` is not a string or `limit` is not a positive integer.
        """
        if not isinstance(query, str):
            raise InputError(f"Tool search query must be a string, got {type(query).__name__}")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise InputError(
                f"Tool search limit must be an integer of at least 1, got {short_repr(limit)}"
            )
        documents = [_document(tool) for tool in self._tools.values()]
        return [
            describe(self._tools[key]) for key in rank(query, documents, _SEARCH_WEIGHTS, limit)
        ]

    async def call(
        self,
        tool: str,
        recipe: str | None,
        args: dict[str, Any],
        *,
        cwd: Path | None = None,
    ) -> str:
        """Run `tools.<tool>.<recipe>(**args)`, or `tools.<tool>(**args)` when `recipe` is None.

        Without a recipe, the recipe named like the tool is used if there is one, else the
        raw schema. Arguments are checked before anything runs. The keyword `input` is the
        command's stdin (str, bytes or JSON data); without it stdin is empty.

        Args:
            tool: The tool's name.
            recipe: The recipe's name, or None.
            args: The keyword arguments agent code passed.
            cwd: Where the command runs; None for the host process's directory.

        Returns:
            The command's stdout.

        Raises:
            ToolNotFoundError: No such tool or recipe.
            ToolArgumentError: The arguments do not fit the schema; nothing ran.
            ToolFailedError: The command could not start, exited non-zero or timed out.
        """
        definition = self._tool(tool)
        chosen = self._recipe(definition, recipe)
        invocation = cli.bind(definition, chosen, args)
        return await cli.run(definition, invocation, cwd=cwd)

    def _tool(self, name: Any) -> CLIToolDefinition:
        tool = self._tools.get(name) if isinstance(name, str) else None
        if tool is not None:
            return tool
        if not self._tools:
            raise ToolNotFoundError(
                f"Unknown tool: {short_repr(name)}. No tools are defined; tools come from "
                "YAML definitions in the workspace's tools/ directory (tools/*.yaml)"
            )
        raise ToolNotFoundError(
            f"Unknown tool: {short_repr(name)}. Available: {', '.join(self.names())}"
        )

    @staticmethod
    def _recipe(tool: CLIToolDefinition, name: Any) -> Recipe | None:
        if name is None:
            return tool.recipes.get(tool.name)
        recipe = tool.recipes.get(name) if isinstance(name, str) else None
        if recipe is None:
            label = f"{tool.name}.{name}" if isinstance(name, str) else f"{tool.name}.{name!r}"
            raise ToolNotFoundError(
                f"Unknown recipe: {short_repr(label)}. Available: {', '.join(tool.recipes)}"
            )
        return recipe


def _document(tool: CLIToolDefinition) -> Document:
    recipes = " ".join(f"{r.name} {r.description}" for r in tool.recipes.values())
    return Document(
        key=tool.name,
        fields={
            "name": tool.name,
            "tags": " ".join(tool.tags),
            "description": tool.description,
            "recipes": recipes,
        },
    )
