"""The values a tool parameter takes: one pydantic type per parameter type.

The same types check a default or a preset in YAML when a definition loads, and each
argument of a call when agent code calls the tool, so the two accept exactly the same
values. They are strict on purpose: a string where a boolean belongs is more likely a
mistake than an intent, and a bare string for an array would otherwise be split into
characters (upstream defect 12).
"""

from __future__ import annotations

import functools
import json
import os
import re
import reprlib
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

__all__ = [
    "PARAMETER_TYPES",
    "PYTHON_TYPES",
    "ParameterType",
    "Stdin",
    "python_type",
    "short_repr",
    "value_problem",
]

ParameterType = Literal["boolean", "string", "integer", "number", "array"]
PARAMETER_TYPES: tuple[ParameterType, ...] = get_args(ParameterType)
"""The one type vocabulary of tool parameters, in YAML and in every description."""

_EXPECTED: dict[ParameterType, str] = {
    "boolean": "a boolean (True or False)",
    "string": "a string",
    "integer": "an integer",
    "number": "a number (int or float)",
    "array": "a list of strings or numbers",
}
_MAX_INT_BITS = 4096
_short_repr = reprlib.Repr()
_short_repr.maxstring = 60
_short_repr.maxother = 60


def short_repr(value: Any) -> str:
    """`repr(value)`, cut short so a huge argument cannot flood an error message."""
    try:
        return _short_repr.repr(value)
    except ValueError:  # an int beyond str()'s 4300-digit limit, possibly nested
        return f"<{type(value).__name__} too large to show>"


def _command_text(value: str) -> str:
    if "\0" in value:
        raise ValueError("contains a NUL character, which no command can receive")
    try:
        os.fsencode(value)
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"cannot be passed to a command: character {exc.start} is {exc.reason}"
        ) from None
    return value


def _small_integer(value: int) -> int:
    # str() refuses ints beyond 4300 digits; no command needs anything near that.
    if value.bit_length() > _MAX_INT_BITS:
        raise ValueError("is too large an integer")
    return value


def _tuple_as_list(value: Any) -> Any:
    # Python code passes tuples as readily as lists; strict mode would refuse them.
    return list(value) if isinstance(value, tuple) else value


_Text = Annotated[str, AfterValidator(_command_text)]
_Integer = Annotated[int, AfterValidator(_small_integer)]
_Finite = Annotated[float, Field(allow_inf_nan=False)]

PYTHON_TYPES: dict[ParameterType, Any] = {
    "boolean": bool,
    "string": _Text,
    "integer": _Integer,
    "number": _Integer | _Finite,
    "array": Annotated[list[_Text | _Integer | _Finite], BeforeValidator(_tuple_as_list)],
}
"""The pydantic type of each parameter type, for argument models (strict mode)."""


def _matching(pattern: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if compiled.fullmatch(value) is None:
            raise ValueError(
                f"is {short_repr(value)}, which does not match the pattern {pattern!r} the "
                "tool requires"
            )
        return value

    return AfterValidator(check)


@functools.cache
def python_type(type_: ParameterType, pattern: str | None = None) -> Any:
    """The pydantic type of a parameter: `PYTHON_TYPES`, with its pattern if it has one.

    A pattern applies to the whole of a string, and to each string of an array; the JSON
    Schema carries it too (anchored, as JSON Schema patterns are not).
    """
    if pattern is None:
        return PYTHON_TYPES[type_]
    schema = {"pattern": f"^(?:{pattern})$"}
    text = Annotated[_Text, _matching(pattern), Field(json_schema_extra=schema)]
    if type_ == "string":
        return text
    return Annotated[list[text | _Integer | _Finite], BeforeValidator(_tuple_as_list)]


@functools.cache
def _adapter(type_: ParameterType, pattern: str | None) -> TypeAdapter[Any]:
    return TypeAdapter(python_type(type_, pattern), config=ConfigDict(strict=True))


def value_problem(type_: ParameterType, value: Any, pattern: str | None = None) -> str | None:
    """Why `value` cannot be given to a parameter of `type_`, or None if it can.

    Args:
        type_: The parameter's type.
        value: A value that is not None (None means "absent" and is never checked).
        pattern: A regular expression the parameter's strings must match in full.

    Returns:
        A phrase that completes "argument 'x' ...", or None.
    """
    try:
        _adapter(type_, pattern).validate_python(value)
    except ValidationError as exc:
        return _explain(type_, value, exc)
    return None


def _explain(type_: ParameterType, value: Any, exc: ValidationError) -> str:
    """The phrase for a value its type rejected: our own words where a check gave them."""
    for error in exc.errors(include_url=False, include_input=False):
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, ValueError):
            return str(cause)
        if error["type"] == "finite_number":
            return "is not a finite number"
    return f"expects {_EXPECTED[type_]}, got {type(value).__name__} {short_repr(value)}"


def _stdin_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    try:
        text = value if isinstance(value, str) else json.dumps(value, allow_nan=False)
        return text.encode("utf-8")
    except (TypeError, ValueError) as exc:
        # ValueError also covers UnicodeEncodeError (lone surrogates) and NaN.
        raise ValueError(
            f"cannot be sent to stdin: {exc}; pass str, bytes or JSON data (dict, list, number)"
        ) from None


Stdin = Annotated[
    Any,
    AfterValidator(_stdin_bytes),
    Field(description="The command's stdin: text, bytes or JSON data; without it stdin is empty."),
]
"""The `input` argument every tool takes, validated into the bytes the command reads."""
