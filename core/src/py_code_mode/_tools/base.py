"""What every kind of tool is to the registry: a named group of callables.

`tools.<name>` is a `Tool`: a CLI command with its recipes, an MCP server with its tools,
and so on. The registry finds tools, lists, searches and calls them, and closes them with
the session; each kind does the rest its own way. Describing a tool is async because some
kinds only know their callables once connected (an MCP server lists its tools).

Kinds whose callables take JSON objects described by a JSON Schema (MCP) share the helpers
below: Python names for remote names, the parameter list `tools.list()` shows, and
validation with a well-kept JSON Schema validator.
"""

from __future__ import annotations

import asyncio
import difflib
import keyword
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import ValidationError

from py_code_mode._tools._values import short_repr
from py_code_mode.errors import ToolArgumentError, ToolFailedError, ToolNotFoundError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = [
    "RESERVED_CALLABLE_NAMES",
    "LateTool",
    "Tool",
    "callable_dict",
    "pick",
    "rejected",
    "tool_dict",
    "argument_validator",
    "check_arguments",
    "python_names",
    "schema_parameters",
    "unknown_callable",
]

RESERVED_CALLABLE_NAMES = frozenset({"call_async"})
"""Attributes of the agent-side tool proxy: a callable with one of these names is unreachable."""


class Tool(Protocol):
    """One `tools.<name>`: a group of callables of one kind."""

    @property
    def name(self) -> str:
        """`tools.<name>`."""
        ...

    @property
    def source(self) -> str:
        """Where the tool was defined, named in every error about it."""
        ...

    @property
    def description(self) -> str:
        """What the tool is for, known without connecting to anything."""
        ...

    async def describe(self, *, schemas: bool = False) -> dict[str, Any]:
        """The agent-facing dict of the tool.

        ``{name, description, tags, callables: [{name, description, parameters}]}``, plus
        ``error`` when the tool cannot be used now. With `schemas`, each callable has its
        `input_schema` and `returns` (a Python annotation of what a call gives) too.
        Never raises for a tool that cannot start: that is what ``error`` is for.
        """
        ...

    async def call(self, function: str | None, args: Mapping[str, Any]) -> Any:
        """Run `tools.<name>.<function>(**args)` (`function` None: `tools.<name>(**args)`).

        Raises:
            ToolNotFoundError: No such callable.
            ToolArgumentError: The arguments do not fit; nothing ran.
            ToolFailedError: It ran, or tried to, and failed.
        """
        ...

    async def aclose(self) -> None:
        """Release what the tool holds open (connections, processes); it may reopen later."""
        ...


T = TypeVar("T")


def tool_dict(
    tool: Tool,
    tags: Sequence[str],
    callables: list[dict[str, Any]],
    error: str | None = None,
) -> dict[str, Any]:
    """The agent-facing dict every kind of tool describes itself with (`Tool.describe`)."""
    described: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "tags": list(tags),
        "callables": callables,
    }
    if error is not None:
        described["error"] = error
    return described


def callable_dict(
    name: str, description: str, input_schema: dict[str, Any], returns: str, *, schemas: bool
) -> dict[str, Any]:
    """One callable in that dict; with `schemas`, its `input_schema` and `returns` too."""
    entry: dict[str, Any] = {
        "name": name,
        "description": description,
        "parameters": schema_parameters(input_schema),
    }
    if schemas:
        entry["input_schema"] = input_schema
        entry["returns"] = returns
    return entry


def pick(tool: str, callables: Mapping[str, T], name: str | None, args: Any) -> tuple[T, str]:
    """The callable a call names, and ``tool.callable`` for messages.

    Without a `name`, the callable named like the tool (`tools.add(a=1)`).

    Raises:
        ToolNotFoundError: No such callable.
        ToolArgumentError: `args` is not a mapping of keyword arguments.
    """
    chosen = callables.get(name if name is not None else tool)
    if chosen is None:
        raise unknown_callable(tool, name, list(callables))
    where = f"{tool}.{name if name is not None else tool}"
    if not isinstance(args, Mapping):
        raise ToolArgumentError(f"{where}() takes keyword arguments as a mapping")
    return chosen, where


class LateTool:
    """Base of the kinds whose callables are known only at first use.

    An MCP server lists them once connected, an OpenAPI document once read. Subclasses
    give `_ready` (the callables by name, or `ToolFailedError`) and `_entry` (one
    callable's dict); a failure to get ready is the tool's listed ``error``.
    """

    kind = "tool"
    """How `repr` names the kind: MCP, HTTP."""

    def __init__(self, spec: Any, source: str) -> None:
        self._spec = spec
        self._source = source
        self._failure: str | None = None
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return str(self._spec.name)

    @property
    def source(self) -> str:
        return self._source

    @property
    def description(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.kind} tool {self.name} from {self.source}>"

    async def call(self, function: str | None, args: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError

    async def describe(self, *, schemas: bool = False) -> dict[str, Any]:
        """The callables; gets ready if it never has. A failure is the ``error``."""
        try:
            ready = await self._ready(retry=False)
        except ToolFailedError as exc:
            return tool_dict(self, self._spec.tags, [], str(exc))
        entries = [self._entry(item, schemas=schemas) for item in ready.values()]
        return tool_dict(self, self._spec.tags, entries)

    async def _ready(self, *, retry: bool) -> Mapping[str, Any]:
        raise NotImplementedError

    def _entry(self, item: Any, *, schemas: bool) -> dict[str, Any]:
        raise NotImplementedError


_NOT_IDENTIFIER = re.compile(r"\W")


def python_names(remote: Sequence[str]) -> dict[str, str]:
    """A Python identifier for each remote callable name, in order: ``{python: remote}``.

    ``get-weather`` becomes ``get_weather``; a keyword gets a trailing underscore, a name
    starting with a digit or an underscore gets a leading ``t``, and a clash a number.
    """
    names: dict[str, str] = {}
    for name in remote:
        candidate = _NOT_IDENTIFIER.sub("_", name) or "tool"
        if candidate[0].isdigit() or candidate[0] == "_":
            candidate = "t" + candidate
        if keyword.iskeyword(candidate) or candidate in RESERVED_CALLABLE_NAMES:
            candidate += "_"
        unique, number = candidate, 2
        while unique in names:
            unique, number = f"{candidate}_{number}", number + 1
        names[unique] = name
    return names


def unknown_callable(
    tool: str, name: Any, available: Sequence[str], *, kind: str = "callable"
) -> ToolNotFoundError:
    """The error for `tools.<tool>.<name>` when the tool has no such callable (or recipe)."""
    label = f"{tool}.{name}" if isinstance(name, str) else f"{tool}.{name!r}"
    listed = ", ".join(available) or "none"
    close = difflib.get_close_matches(str(name), list(available), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return ToolNotFoundError(f"Unknown {kind}: {short_repr(label)}.{hint} Available: {listed}")


def schema_parameters(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The parameters `tools.list()` shows for a JSON Schema of an object's properties."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return []
    required = schema.get("required")
    needed = set(required) if isinstance(required, list) else set()
    parameters = []
    for name, prop in properties.items():
        prop = prop if isinstance(prop, Mapping) else {}
        parameters.append(
            {
                "name": name,
                "type": _type_text(prop),
                "required": name in needed,
                "default": prop.get("default"),
                "description": str(prop.get("description") or ""),
            }
        )
    return parameters


def _type_text(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type")
    if isinstance(kind, str):
        return kind
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    options = prop.get("anyOf") or prop.get("oneOf")
    if isinstance(options, list):
        kinds = [_type_text(o) for o in options if isinstance(o, Mapping)]
        return " | ".join(k for k in kinds if k != "null") or "any"
    if "enum" in prop:
        return "enum"
    return "any"


def argument_validator(schema: Mapping[str, Any]) -> Validator | None:
    """A JSON Schema validator for `schema`, or None when the schema itself is broken.

    A server's broken schema is the server's problem: its calls then go unchecked here and
    the server judges them.
    """
    from jsonschema import exceptions, validators

    try:
        cls = validators.validator_for(schema)
        cls.check_schema(dict(schema))
    except exceptions.SchemaError:
        return None
    validator: Validator = cls(dict(schema))
    return validator


def check_arguments(where: str, validator: Validator | None, args: Mapping[str, Any]) -> None:
    """Raise `ToolArgumentError` naming every argument that breaks the schema.

    Args:
        where: ``tool.callable``, for the message.
        validator: From `argument_validator`; None checks nothing.
        args: The call's keyword arguments.
    """
    if validator is None:
        return
    problems = []
    for error in sorted(validator.iter_errors(dict(args)), key=lambda e: list(e.path)):
        place = ".".join(str(part) for part in error.absolute_path)
        problem = error.message if len(error.message) <= 300 else error.message[:300] + "..."
        problems.append(f"argument {place!r}: {problem}" if place else problem)
    if problems:
        shown = "; ".join(problems[:5])
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise ToolArgumentError(f"{where}() arguments do not fit its schema: {shown}{more}")


def rejected(where: str, exc: ValidationError) -> str:
    """What a pydantic model found wrong with a call, one problem per argument.

    A union reports each of its types; the first complaint per argument says enough.
    """
    problems: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        place = str(error["loc"][0]) if error["loc"] else "arguments"
        if error["type"] == "extra_forbidden":
            problems.setdefault(place, f"unexpected argument {place!r}")
        elif error["type"] == "missing":
            problems.setdefault(place, f"missing required argument {place!r}")
        else:
            problems.setdefault(place, f"argument {place!r}: {error['msg']}")
    shown = list(problems.values())
    more = f"; and {len(shown) - 5} more" if len(shown) > 5 else ""
    return f"{where}(): " + "; ".join(shown[:5]) + more
