"""A CLI tool definition: one `tools/*.yaml` mapping, checked once, then immutable.

The YAML format follows upstream py-code-mode (FORMATS.md section 2.1) so workspaces can
migrate, minus the defects listed there: tags are kept, one type vocabulary is used,
unknown keys are errors rather than silently ignored, `command` may hold arguments, an
option may name its exact `flag`, and `input` is reserved for the command's stdin.

Everything that can be checked without running the command is checked here, so that a
broken file fails when the registry is built, not when an agent first calls the tool.
"""

from __future__ import annotations

import keyword
import math
import re
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

from py_code_mode import _names
from py_code_mode.errors import InvalidNameError, ToolDefinitionError

__all__ = [
    "CLIToolDefinition",
    "DEFAULT_TIMEOUT",
    "INPUT_ARGUMENT",
    "PARAMETER_TYPES",
    "Parameter",
    "ParameterType",
    "Recipe",
    "RecipeParam",
    "describe",
    "parse_definition",
    "short_repr",
    "value_problem",
]

ParameterType = Literal["boolean", "string", "integer", "number", "array"]
PARAMETER_TYPES: tuple[ParameterType, ...] = ("boolean", "string", "integer", "number", "array")
"""The one type vocabulary of tool parameters, in YAML and in every description."""

INPUT_ARGUMENT = "input"
"""The keyword every tool accepts for its stdin; no schema entry may use the name."""

DEFAULT_TIMEOUT = 60.0
"""Seconds a command may run when its YAML gives no `timeout`."""

_TOP_KEYS = ("name", "description", "type", "command", "timeout", "tags", "schema", "recipes")
_SCHEMA_KEYS = ("options", "positional")
_OPTION_KEYS = ("type", "short", "flag", "description", "required", "default")
_POSITIONAL_KEYS = ("name", "type", "description", "required", "default")
_RECIPE_KEYS = ("description", "preset", "params")
_PARAM_KEYS = ("default", "description", "type")

_PARAMETER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SHORT = re.compile(r"[A-Za-z0-9]+")
_FLAG = re.compile(r"--?[A-Za-z0-9][A-Za-z0-9_.:-]*")
_RESERVED_RECIPE_NAMES = frozenset({"call_async"})
"""Attributes of the agent-side tool proxy: a recipe with one of these names is unreachable."""

_EXPECTED = {
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


class _Invalid(Exception):
    """A problem in one definition; `parse_definition` adds the source and re-raises."""


@dataclass(frozen=True)
class Parameter:
    """One option or positional argument of a tool's schema.

    Attributes:
        name: The keyword agent code passes the value with.
        type: What values it takes.
        positional: True for a positional argument, False for an option.
        required: Whether a call must give a value (after presets and defaults).
        description: Shown to the agent.
        default: What the command itself does when the value is absent: documentation
            only, never rendered, so the command's own default stays in charge.
        flag: The rendered flag of an option (`-s`, `--max-time`); None for positionals.
    """

    name: str
    type: ParameterType
    positional: bool
    required: bool
    description: str
    default: Any
    flag: str | None


@dataclass(frozen=True)
class RecipeParam:
    """A parameter a recipe advertises, with its own default and description.

    Attributes:
        name: A schema option or positional.
        default: Used when neither the preset nor the call gives a value; None for none.
        description: Overrides the schema's description when not empty.
    """

    name: str
    default: Any
    description: str


@dataclass(frozen=True)
class Recipe:
    """A named way of calling a tool: fixed values plus the parameters worth advertising.

    Attributes:
        name: `tools.<tool>.<name>(...)`.
        description: Shown to the agent.
        preset: Values applied before defaults and the call's own arguments.
        params: The advertised parameters, or None to advertise the whole schema.
    """

    name: str
    description: str
    preset: Mapping[str, Any]
    params: tuple[RecipeParam, ...] | None


@dataclass(frozen=True)
class CLIToolDefinition:
    """A command-line tool: how to render a call into argv and how long it may run.

    Attributes:
        name: `tools.<name>`.
        source: Where the definition came from, named in every error about it.
        description: Shown to the agent.
        command: The argv prefix: the executable and any fixed arguments.
        timeout: Seconds before the command is killed.
        tags: Words that help search find the tool.
        options: Options in render order.
        positionals: Positional arguments in render order.
        recipes: Recipes by name, in YAML order.
    """

    name: str
    source: str
    description: str
    command: tuple[str, ...]
    timeout: float
    tags: tuple[str, ...]
    options: tuple[Parameter, ...]
    positionals: tuple[Parameter, ...]
    recipes: Mapping[str, Recipe]

    def parameter(self, name: str) -> Parameter | None:
        """The option or positional called `name`, or None."""
        for parameter in (*self.options, *self.positionals):
            if parameter.name == name:
                return parameter
        return None

    def parameter_names(self) -> list[str]:
        """Every keyword a call may pass, in render order, `input` last."""
        return [p.name for p in (*self.options, *self.positionals)] + [INPUT_ARGUMENT]


def short_repr(value: Any) -> str:
    """`repr(value)`, cut short so a huge argument cannot flood an error message."""
    try:
        return _short_repr.repr(value)
    except ValueError:  # an int beyond str()'s 4300-digit limit, possibly nested
        return f"<{type(value).__name__} too large to show>"


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _scalar_problem(value: str | int | float) -> str | None:
    """Problems a string or number can have even though its type is right."""
    if isinstance(value, str):
        return "contains a NUL character, which no command can receive" if "\0" in value else None
    if isinstance(value, float):
        return None if math.isfinite(value) else "is not a finite number"
    # str() refuses ints beyond 4300 digits; no command needs anything near that.
    return None if value.bit_length() <= _MAX_INT_BITS else "is too large an integer"


def value_problem(type_: ParameterType, value: Any) -> str | None:
    """Why `value` cannot be given to a parameter of `type_`, or None if it can.

    The checks are strict on purpose: a string where a boolean belongs is more likely a
    mistake than an intent, and a bare string for an array would otherwise be split into
    characters (upstream defect 12).

    Args:
        type_: The parameter's type.
        value: A value that is not None (None means "absent" and is never checked).

    Returns:
        A phrase that completes "argument 'x' ...", or None.
    """
    expected = f"expects {_EXPECTED[type_]}, got {type(value).__name__} {short_repr(value)}"
    if type_ == "boolean":
        return None if isinstance(value, bool) else expected
    if type_ == "integer":
        fits = isinstance(value, int) and not isinstance(value, bool)
        return _scalar_problem(value) if fits else expected
    if type_ == "number":
        return _scalar_problem(value) if _is_number(value) else expected
    if type_ == "string":
        return _scalar_problem(value) if isinstance(value, str) else expected
    if not isinstance(value, list | tuple):
        return expected
    for item in value:
        if not (_is_number(item) or isinstance(item, str)):
            return (
                f"expects {_EXPECTED[type_]}, got an item of type {type(item).__name__}: "
                f"{short_repr(item)}"
            )
        problem = _scalar_problem(item)
        if problem is not None:
            return f"has an item that {problem}: {short_repr(item)}"
    return None


def _freeze(value: Any) -> Any:
    """Arrays become tuples so a definition cannot be changed through a shared list."""
    return tuple(value) if isinstance(value, list) else value


def _thaw(value: Any) -> Any:
    """Arrays become fresh lists for descriptions that callers may modify."""
    return list(value) if isinstance(value, tuple) else value


# --- parsing ---------------------------------------------------------------------------


def parse_definition(source: str, data: Any) -> CLIToolDefinition:
    """Check one parsed YAML mapping and turn it into a `CLIToolDefinition`.

    Args:
        source: Where `data` came from (a file path); every error names it.
        data: The parsed YAML document.

    Returns:
        The checked definition.

    Raises:
        ToolDefinitionError: The mapping breaks the format; the message says where and
            what is allowed instead.
    """
    try:
        return _parse(source, data)
    except _Invalid as exc:
        raise ToolDefinitionError(f"{source}: {exc}") from None


def _parse(source: str, data: Any) -> CLIToolDefinition:
    if data is None:
        raise _Invalid("the file is empty; a tool definition needs at least name and recipes")
    if not isinstance(data, dict):
        raise _Invalid(f"expected a mapping of keys such as name and recipes, got {_kind(data)}")
    kind = data.get("type")
    if kind == "mcp":
        raise _Invalid(
            "MCP tools (type: mcp) are not supported yet; only CLI tools are. "
            "Remove the file from tools/ until MCP support arrives"
        )
    if kind not in (None, "cli"):
        raise _Invalid(f"unknown tool type {short_repr(kind)}; leave `type` out or use 'cli'")
    _check_keys(data, _TOP_KEYS, "the tool definition")
    name = _tool_name(data.get("name"))
    options, positionals = _parse_schema(data.get("schema"))
    schema = {p.name: p for p in (*options, *positionals)}
    return CLIToolDefinition(
        name=name,
        source=source,
        description=_text(data.get("description"), "`description`"),
        command=_parse_command(data.get("command", name)),
        timeout=_parse_timeout(data.get("timeout", DEFAULT_TIMEOUT)),
        tags=_parse_tags(data.get("tags")),
        options=options,
        positionals=positionals,
        recipes=_parse_recipes(data.get("recipes"), schema),
    )


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {short_repr(value)}"


def _check_keys(mapping: dict[Any, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            hint = ""
            if key == "args" and where.startswith("recipe"):
                hint = " (the old `args:` template format is gone: use `preset:` and `params:`)"
            raise _Invalid(
                f"unknown key {short_repr(key)} in {where}{hint}; allowed keys are "
                f"{', '.join(allowed)}"
            )


def _mapping(value: Any, where: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Invalid(f"{where} must be a mapping, got {_kind(value)}")
    return value


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Invalid(f"{where} must be a string, got {_kind(value)}")
    return value


def _flag_bool(value: Any, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _Invalid(f"{where} must be true or false, got {_kind(value)}")
    return value


def _tool_name(value: Any) -> str:
    if value is None:
        raise _Invalid("`name` is missing; give the tool a name such as 'curl'")
    try:
        return _names.tool_name(value)
    except InvalidNameError as exc:
        raise _Invalid(str(exc)) from None


def _parse_command(value: Any) -> tuple[str, ...]:
    allowed = "use one executable ('curl') or a list of strings ([python3, -m, json.tool])"
    argv = [value] if isinstance(value, str) else value
    if not isinstance(argv, list) or not argv:
        raise _Invalid(f"`command` {short_repr(value)} is not usable; {allowed}")
    for item in argv:
        if not isinstance(item, str) or not item or "\0" in item:
            raise _Invalid(f"`command` item {short_repr(item)} is not usable; {allowed}")
    return tuple(argv)


def _parse_timeout(value: Any) -> float:
    try:
        seconds = float(value) if _is_number(value) else math.nan
    except OverflowError:  # an int too large for a float
        seconds = math.inf
    if not 0 < seconds < math.inf:
        raise _Invalid(f"`timeout` must be a positive number of seconds, got {_kind(value)}")
    return seconds


def _parse_tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise _Invalid(f"`tags` must be a list of strings, got {_kind(value)}")
    return tuple(value)


def _parameter_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _PARAMETER_NAME.fullmatch(value):
        suggestion = ""
        if isinstance(value, str) and "-" in value:
            fixed = value.strip("-").replace("-", "_")
            suggestion = f" (e.g. {fixed!r} with `flag: --{value.strip('-')}`)"
        raise _Invalid(
            f"{where} name {short_repr(value)} is not allowed: use a Python identifier that "
            f"starts with a letter, so agent code can pass it as a keyword{suggestion}"
        )
    if keyword.iskeyword(value):
        raise _Invalid(f"{where} name {value!r} is a Python keyword; agent code cannot pass it")
    if value == INPUT_ARGUMENT:
        raise _Invalid(
            f"{where} name {value!r} is reserved: every tool takes `input=` as the command's "
            "stdin; rename the parameter"
        )
    return value


def _parameter_type(value: Any, where: str) -> ParameterType:
    if value is None:
        return "string"
    for allowed in PARAMETER_TYPES:
        if value == allowed:
            return allowed
    raise _Invalid(
        f"{where} has type {short_repr(value)}; allowed types are {', '.join(PARAMETER_TYPES)}"
    )


def _schema_default(type_: ParameterType, value: Any, where: str) -> Any:
    if value is not None:
        problem = value_problem(type_, value)
        if problem is not None:
            raise _Invalid(f"{where} default {problem}")
    return _freeze(value)


def _parse_schema(value: Any) -> tuple[tuple[Parameter, ...], tuple[Parameter, ...]]:
    schema = _mapping(value, "`schema`")
    _check_keys(schema, _SCHEMA_KEYS, "`schema`")
    options = tuple(
        _parse_option(name, spec)
        for name, spec in _mapping(schema.get("options"), "`options`").items()
    )
    raw_positionals = schema.get("positional")
    if raw_positionals is None:
        raw_positionals = []
    if not isinstance(raw_positionals, list):
        raise _Invalid(f"`positional` must be a list of mappings, got {_kind(raw_positionals)}")
    positionals = tuple(_parse_positional(i, spec) for i, spec in enumerate(raw_positionals))
    seen: set[str] = set()
    for parameter in (*options, *positionals):
        if parameter.name in seen:
            raise _Invalid(f"parameter {parameter.name!r} is declared twice; names must be unique")
        seen.add(parameter.name)
    for before, after in zip(positionals, positionals[1:], strict=False):
        if after.required and not before.required:
            raise _Invalid(
                f"required positional {after.name!r} follows optional {before.name!r}; "
                "put required positionals first"
            )
    return options, positionals


def _parse_option(key: Any, value: Any) -> Parameter:
    name = _parameter_name(key, "option")
    where = f"option {name!r}"
    spec = _mapping(value, where)
    _check_keys(spec, _OPTION_KEYS, where)
    type_ = _parameter_type(spec.get("type"), where)
    short, flag = spec.get("short"), spec.get("flag")
    if short is not None and flag is not None:
        raise _Invalid(f"{where} has both `short` and `flag`; give one of them")
    if short is not None:
        if not isinstance(short, str) or not _SHORT.fullmatch(short):
            raise _Invalid(
                f"{where} has `short` {short_repr(short)}; use letters or digits without the "
                "dash, e.g. short: s"
            )
        flag = f"-{short}"
    elif flag is not None:
        if not isinstance(flag, str) or not _FLAG.fullmatch(flag):
            raise _Invalid(
                f"{where} has `flag` {short_repr(flag)}; use one flag with its dashes and no "
                "spaces or '=', e.g. flag: --null-input"
            )
    else:
        flag = f"--{name}"
    return Parameter(
        name=name,
        type=type_,
        positional=False,
        required=_flag_bool(spec.get("required"), f"{where} `required`"),
        description=_text(spec.get("description"), f"{where} `description`"),
        default=_schema_default(type_, spec.get("default"), where),
        flag=flag,
    )


def _parse_positional(index: int, value: Any) -> Parameter:
    if not isinstance(value, dict):
        raise _Invalid(
            f"positional #{index + 1} must be a mapping such as {{name: url, type: string}}, "
            f"got {_kind(value)}"
        )
    if "name" not in value:
        raise _Invalid(f"positional #{index + 1} has no `name`; give it one, e.g. name: url")
    name = _parameter_name(value.get("name"), f"positional #{index + 1}")
    where = f"positional {name!r}"
    _check_keys(value, _POSITIONAL_KEYS, where)
    type_ = _parameter_type(value.get("type"), where)
    required = _flag_bool(value.get("required"), f"{where} `required`")
    default = _schema_default(type_, value.get("default"), where)
    if required and default is not None:
        raise _Invalid(f"{where} is required and has a default; keep one of the two")
    return Parameter(
        name=name,
        type=type_,
        positional=True,
        required=required,
        description=_text(value.get("description"), f"{where} `description`"),
        default=default,
        flag=None,
    )


def _recipe_name(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not _PARAMETER_NAME.fullmatch(value)
        or keyword.iskeyword(value)
        or value in _RESERVED_RECIPE_NAMES
    ):
        raise _Invalid(
            f"recipe name {short_repr(value)} is not allowed: use a Python identifier that "
            f"starts with a letter, is not a keyword and is not "
            f"{', '.join(sorted(_RESERVED_RECIPE_NAMES))}"
        )
    return value


def _parse_recipes(value: Any, schema: Mapping[str, Parameter]) -> dict[str, Recipe]:
    if value is None:
        raise _Invalid(
            "`recipes` is missing; give at least one recipe, e.g. "
            "recipes: {get: {description: ..., params: {url: {}}}}"
        )
    if not isinstance(value, dict) or not value:
        raise _Invalid(f"`recipes` must be a non-empty mapping of recipes, got {_kind(value)}")
    return {
        name: _parse_recipe(name, spec, schema)
        for name, spec in ((_recipe_name(key), spec) for key, spec in value.items())
    }


def _schema_parameter(name: Any, schema: Mapping[str, Parameter], where: str) -> Parameter:
    parameter = schema.get(name) if isinstance(name, str) else None
    if parameter is None:
        known = ", ".join(schema) or "none: the schema is empty"
        raise _Invalid(
            f"{where} names {short_repr(name)}, which is not in the schema; "
            f"schema parameters are {known}"
        )
    return parameter


def _parse_recipe(name: str, value: Any, schema: Mapping[str, Parameter]) -> Recipe:
    where = f"recipe {name!r}"
    spec = _mapping(value, where)
    _check_keys(spec, _RECIPE_KEYS, where)
    preset: dict[str, Any] = {}
    for key, preset_value in _mapping(spec.get("preset"), f"{where} `preset`").items():
        parameter = _schema_parameter(key, schema, f"{where} `preset`")
        problem = (
            "is null; give a value or remove the entry"
            if preset_value is None
            else value_problem(parameter.type, preset_value)
        )
        if problem is not None:
            raise _Invalid(f"{where} `preset` value for {parameter.name!r} {problem}")
        preset[parameter.name] = _freeze(preset_value)
    params: tuple[RecipeParam, ...] | None = None
    if "params" in spec:
        raw = _mapping(spec["params"], f"{where} `params`")
        params = tuple(_parse_param(where, key, item, schema) for key, item in raw.items())
    return Recipe(
        name=name,
        description=_text(spec.get("description"), f"{where} `description`"),
        preset=preset,
        params=params,
    )


def _parse_param(recipe: str, key: Any, value: Any, schema: Mapping[str, Parameter]) -> RecipeParam:
    parameter = _schema_parameter(key, schema, f"{recipe} `params`")
    where = f"{recipe} param {parameter.name!r}"
    spec = _mapping(value, where)
    _check_keys(spec, _PARAM_KEYS, where)
    declared = spec.get("type")
    if declared is not None and declared != parameter.type:
        raise _Invalid(
            f"{where} has type {short_repr(declared)} but the schema says {parameter.type!r}; "
            "leave `type` out to use the schema's"
        )
    default = spec.get("default")
    if default is not None:
        problem = value_problem(parameter.type, default)
        if problem is not None:
            raise _Invalid(f"{where} default {problem}")
    return RecipeParam(
        name=parameter.name,
        default=_freeze(default),
        description=_text(spec.get("description"), f"{where} `description`"),
    )


# --- description -----------------------------------------------------------------------


def _describe_parameter(
    parameter: Parameter, recipe: Recipe, param: RecipeParam | None
) -> dict[str, Any]:
    preset = recipe.preset.get(parameter.name)
    recipe_default = param.default if param is not None else None
    default = next((v for v in (recipe_default, preset, parameter.default) if v is not None), None)
    if default is None and parameter.type == "boolean":
        default = False  # an absent flag is not rendered: the same as false
    given = recipe_default is not None or preset is not None
    return {
        "name": parameter.name,
        "type": parameter.type,
        "required": parameter.required and not given,
        "default": _thaw(default),
        "description": (param.description if param is not None else "") or parameter.description,
    }


def _describe_callable(tool: CLIToolDefinition, recipe: Recipe) -> dict[str, Any]:
    if recipe.params is None:
        parameters = [
            _describe_parameter(p, recipe, None) for p in (*tool.positionals, *tool.options)
        ]
    else:
        parameters = []
        for param in recipe.params:
            parameter = tool.parameter(param.name)
            if parameter is not None:  # always: parsing checked every param is in the schema
                parameters.append(_describe_parameter(parameter, recipe, param))
    return {"name": recipe.name, "description": recipe.description, "parameters": parameters}


def describe(tool: CLIToolDefinition) -> dict[str, Any]:
    """The agent-facing dict form of a tool (FORMATS.md section 2.4), freshly built.

    Args:
        tool: The definition to describe.

    Returns:
        ``{name, description, tags, callables: [{name, description, parameters: [{name,
        type, required, default, description}]}]}``; callables in YAML order.
    """
    return {
        "name": tool.name,
        "description": tool.description,
        "tags": list(tool.tags),
        "callables": [_describe_callable(tool, recipe) for recipe in tool.recipes.values()],
    }
