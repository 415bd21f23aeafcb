"""The host's own Python functions as tools: `Session(tools=[...])`, called from agent code.

A function keeps running on the host, in the host's process, with everything it closes
over (a database pool, a client with credentials); agent code gets only its result. This
is programmatic tool calling: the model writes one program that calls ten tools, rather
than ten function calls through the model.

    def add(a: int, b: int = 2) -> int:
        "Add two numbers."
        return a + b

    Session(storage, tools=[add])                       # tools.add(a=1) or tools.add.add(a=1)
    Session(storage, tools=[FunctionTools("math", [add, mul], description="Arithmetic")])
    Session(storage, tools={"math": [add, mul]})        # the same, shorter

Arguments are validated by a pydantic model built from the function's type hints (extra
keywords refused), so the model's JSON Schema is what `tools.describe` and `help()` show.
A sync function runs in a worker thread, so it may block; an async one on the session's
loop. The result crosses to the worker as JSON data (pydantic models, dataclasses, dates
and paths are converted); an exception is a `ToolFailedError` naming it.
"""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic_core import PydanticSerializationError, to_jsonable_python

from py_code_mode import _names
from py_code_mode._annotations import annotation_text
from py_code_mode._tools.base import (
    RESERVED_CALLABLE_NAMES,
    Tool,
    callable_dict,
    pick,
    python_names,
    rejected,
    tool_dict,
)
from py_code_mode._tools.definition import short_repr, tidy_schema
from py_code_mode._tools.mcp import MCPTools
from py_code_mode.errors import ToolArgumentError, ToolFailedError

__all__ = ["FunctionTools", "HostFunction", "PythonTool", "PythonTools", "python_tools"]


@dataclass(frozen=True)
class HostFunction:
    """One callable of a `FunctionTools`, ready to validate and run.

    Plain functions become one by themselves; an adapter makes one for a framework's tool
    (a LangChain `BaseTool`), with that tool's own argument model and its own invocation.

    Attributes:
        name: `tools.<group>.<name>`.
        description: Shown to the agent: the docstring's first paragraph.
        model: Validates a call's keyword arguments.
        invoke: Runs the call with validated arguments.
        returns: A Python annotation of the result, for stubs and `help()`.
    """

    name: str
    description: str
    model: type[BaseModel]
    invoke: Callable[[dict[str, Any]], Awaitable[Any]]
    returns: str = "Any"

    @property
    def input_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = tidy_schema(self.model.model_json_schema())
        return schema

    @classmethod
    def of(
        cls,
        name: str,
        description: str | None,
        model: type[BaseModel],
        invoke: Callable[[dict[str, Any]], Awaitable[Any]],
    ) -> HostFunction:
        """A framework's tool as a host function, as adapters make them.

        The name becomes a Python identifier (``get-weather`` is ``get_weather``) and the
        description its first paragraph.
        """
        python = next(iter(python_names([name])))
        return cls(
            name=python,
            description=(description or "").strip().split("\n\n")[0],
            model=model,
            invoke=invoke,
        )


class FunctionTools:
    """Python functions of the host offered to agent code as `tools.<name>.<function>()`.

    Args:
        name: The group's name in agent code: a Python identifier, not list, search or
            describe.
        functions: Plain functions or coroutine functions with type hints, each called by
            its own `__name__`, or `HostFunction`s.
        description: What the group is for (default: the first function's docstring line).
        tags: Words that help `tools.search` find it.

    Raises:
        InvalidNameError: The group's name is not allowed.
        TypeError: Something given is not a function agent code can call with keywords
            (a lambda, a function with positional-only or ``*args`` parameters, ...).
        ValueError: Two functions share a name, or there are none.
    """

    def __init__(
        self,
        name: str,
        functions: Iterable[Callable[..., Any] | HostFunction],
        *,
        description: str = "",
        tags: Sequence[str] = (),
    ) -> None:
        self.name = _names.tool_name(name)
        self.functions: dict[str, HostFunction] = {}
        for function in functions:
            host = function if isinstance(function, HostFunction) else host_function(function)
            if host.name in self.functions:
                raise ValueError(f"tools.{self.name} has two functions named {host.name!r}")
            self.functions[host.name] = host
        if not self.functions:
            raise ValueError(f"FunctionTools {name!r} needs at least one function")
        first = next(iter(self.functions.values()))
        self.description = description or first.description.split("\n")[0]
        self.tags = tuple(tags)

    def __repr__(self) -> str:
        return f"FunctionTools({self.name!r}, [{', '.join(self.functions)}])"

    @classmethod
    def each(cls, functions: Iterable[HostFunction]) -> list[FunctionTools]:
        """One group per function, named like it: `tools.<name>(**kw)` in agent code."""
        return [cls(f.name, [f], description=f.description) for f in functions]


PythonTools: TypeAlias = (
    Iterable[Callable[..., Any] | FunctionTools | MCPTools]
    | Mapping[str, Iterable[Callable[..., Any] | HostFunction]]
)
"""What `Session(tools=...)` takes."""


def host_function(function: Callable[..., Any]) -> HostFunction:
    """A plain or async function as a `HostFunction`, its model built from its type hints.

    Raises:
        TypeError: It cannot be called with keyword arguments alone, or has no usable name.
    """
    if not callable(function):
        raise TypeError(f"a tool must be a function, got {short_repr(function)}")
    name = getattr(function, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier() or name == "<lambda>":
        raise TypeError(
            f"{short_repr(function)} has no name agent code can call it by; give tools a "
            "named function (def fetch(...)) rather than a lambda or a partial"
        )
    if name.startswith("_") or name in RESERVED_CALLABLE_NAMES:
        raise TypeError(f"function name {name!r} is not allowed for a tool: rename it")
    signature = inspect.signature(function)
    try:
        hints = typing.get_type_hints(function, include_extras=True)
    except (NameError, TypeError) as exc:
        raise TypeError(f"the type hints of {name}() cannot be resolved: {exc}") from None
    fields: dict[str, Any] = {}
    extra = "forbid"
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.VAR_POSITIONAL):
            raise TypeError(
                f"{name}() has the positional-only parameter {parameter.name!r}; agent code "
                "calls tools with keyword arguments only"
            )
        if parameter.kind is parameter.VAR_KEYWORD:
            extra = "allow"
            continue
        annotation = hints.get(parameter.name, Any)
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[parameter.name] = (annotation, default)
    model: type[BaseModel] = create_model(
        "".join(part.title() for part in (*name.split("_"), "Arguments")),
        __config__=ConfigDict(extra=extra, arbitrary_types_allowed=True),  # type: ignore[typeddict-item]
        **fields,
    )
    doc = inspect.getdoc(function) or ""
    description = doc.split("\n\n")[0].strip()
    model.__doc__ = description
    is_async = inspect.iscoroutinefunction(function)

    async def invoke(arguments: dict[str, Any]) -> Any:
        if is_async:
            return await function(**arguments)
        return await asyncio.to_thread(function, **arguments)

    returns = hints.get("return", Any)
    return HostFunction(
        name=name,
        description=description,
        model=model,
        invoke=invoke,
        returns="Any" if returns is inspect.Signature.empty else annotation_text(returns),
    )


class PythonTool:
    """A `FunctionTools` as a `Tool` of the registry."""

    def __init__(self, group: FunctionTools) -> None:
        self._group = group

    @property
    def name(self) -> str:
        return self._group.name

    @property
    def source(self) -> str:
        return f"the session's tools= ({self._group!r})"

    @property
    def description(self) -> str:
        return self._group.description

    def __repr__(self) -> str:
        return f"<Python tool {self.name}>"

    async def describe(self, *, schemas: bool = False) -> dict[str, Any]:
        entries = [
            callable_dict(f.name, f.description, f.input_schema, f.returns, schemas=schemas)
            for f in self._group.functions.values()
        ]
        return tool_dict(self, self._group.tags, entries)

    async def call(self, function: str | None, args: Mapping[str, Any]) -> Any:
        chosen, where = pick(self.name, self._group.functions, function, args)
        fields = chosen.model.model_fields
        if chosen.model.model_config.get("extra") != "allow":
            unknown = [key for key in args if key not in fields]
            if unknown:  # a model that ignores extras would drop them without a word
                raise ToolArgumentError(
                    f"{where}(): unexpected argument(s) {', '.join(map(repr, unknown))}; "
                    f"allowed are {', '.join(fields) or 'none'}"
                )
        try:
            checked = chosen.model.model_validate(dict(args))
        except ValidationError as exc:
            raise ToolArgumentError(rejected(where, exc)) from None
        arguments = {key: getattr(checked, key) for key in type(checked).model_fields}
        arguments.update(checked.model_extra or {})
        try:
            result = await chosen.invoke(arguments)
        except Exception as exc:  # noqa: BLE001 - the host's function failed: agent code hears why
            raise ToolFailedError(f"{where}() raised {type(exc).__name__}: {exc}") from exc
        try:
            return to_jsonable_python(result)
        except PydanticSerializationError:
            raise ToolFailedError(
                f"{where}() returned a value of type {type(result).__name__}, which cannot reach "
                "agent code; "
                "return JSON data (str, numbers, lists, dicts), bytes, or a pydantic model"
            ) from None

    async def aclose(self) -> None:
        """Nothing is held open."""


def python_tools(given: PythonTools) -> list[Tool]:
    """`Session(tools=...)` as the registry's tools.

    Functions, `FunctionTools`, `MCPTools`, or ``{group: [functions]}``. A bare
    function is a group of its own, named like it, so `tools.add(a=1)` calls it.

    Raises:
        TypeError: `given` holds something else.
        ValueError: Two groups share a name.
    """
    if isinstance(given, Mapping):
        groups: list[FunctionTools | MCPTools] = [
            FunctionTools(name, functions) for name, functions in given.items()
        ]
    elif isinstance(given, str | bytes) or not isinstance(given, Iterable):
        raise TypeError(
            "tools must be a list of functions or FunctionTools, or a mapping of group names "
            f"to lists of functions, got {short_repr(given)}"
        )
    else:
        groups = [
            item
            if isinstance(item, FunctionTools | MCPTools)
            else FunctionTools(_group_name(item), [item])
            for item in given
        ]
    seen: set[str] = set()
    for group in groups:
        if group.name in seen:
            raise ValueError(f"two tool groups are named {group.name!r}: rename one")
        seen.add(group.name)
    return [group.tool() if isinstance(group, MCPTools) else PythonTool(group) for group in groups]


def _group_name(function: Any) -> str:
    if not callable(function):
        raise TypeError(f"tools must hold functions or FunctionTools, got {short_repr(function)}")
    name = getattr(function, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise TypeError(
            f"{short_repr(function)} has no name agent code can call it by; give tools a "
            "named function (def fetch(...)) rather than a lambda or a partial"
        )
    return name
