"""A CLI tool definition: one `tools/*.yaml` mapping, checked once, then immutable.

The YAML format follows upstream py-code-mode so workspaces can migrate, minus upstream's
defects: tags are kept, one type vocabulary is used, unknown keys are errors rather than
silently ignored, `command` may hold arguments, an option may name its exact `flag`, and
`input` is reserved for the command's stdin. The format itself is the pydantic models of
`_spec`; `parse_definition` checks a mapping with them and compiles it into a
`CLIToolDefinition`: the parameters with their rendered flags, the recipes, and for each
recipe a pydantic model of its arguments (`CLIToolDefinition.arguments_model`), which
validates calls and gives agents and adapters a JSON Schema.

Everything that can be checked without running the command is checked when the definition
loads, so a broken file fails when the registry is built, not when an agent first calls
the tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from py_code_mode._tools._spec import (
    DEFAULT_TIMEOUT,
    INPUT_ARGUMENT,
    RecipeSpec,
    ToolSpec,
    read_spec,
)
from py_code_mode._tools._values import (
    PARAMETER_TYPES,
    ParameterType,
    Stdin,
    short_repr,
    value_problem,
)
from py_code_mode._tools._values import python_type as value_type
from py_code_mode.errors import ToolDefinitionError

__all__ = [
    "CLIToolDefinition",
    "DEFAULT_TIMEOUT",
    "INPUT_ARGUMENT",
    "PARAMETER_TYPES",
    "Parameter",
    "ParameterType",
    "Recipe",
    "RecipeParam",
    "compile_spec",
    "describe",
    "parse_definition",
    "short_repr",
    "tidy_schema",
    "value_problem",
]


# --- the checked definition --------------------------------------------------------------


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
        pattern: A regular expression each string value must match in full, or None.
        global_: An option rendered before the recipe's subcommand.
        joined: An option whose value is rendered in the flag's own item (`--format=x`).
    """

    name: str
    type: ParameterType
    positional: bool
    required: bool
    description: str
    default: Any
    flag: str | None
    pattern: str | None = None
    global_: bool = False
    joined: bool = False


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
        subcommand: Fixed arguments rendered after the global options, before the others.
    """

    name: str
    description: str
    preset: Mapping[str, Any]
    params: tuple[RecipeParam, ...] | None
    subcommand: tuple[str, ...] = ()

    def given(self) -> dict[str, Any]:
        """What the recipe supplies before the call: its preset, then its params' defaults."""
        values = dict(self.preset)
        for param in self.params or ():
            if param.default is not None and param.name not in values:
                values[param.name] = param.default
        return values


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
        env: Variables the command gets besides the minimal ones, as templates whose
            ``${NAME}`` is the host's variable, resolved at each call.
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
    env: Mapping[str, str] = field(default_factory=dict)
    _models: dict[str | None, type[BaseModel]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def parameter(self, name: str) -> Parameter | None:
        """The option or positional called `name`, or None."""
        for parameter in (*self.options, *self.positionals):
            if parameter.name == name:
                return parameter
        return None

    def parameter_names(self) -> list[str]:
        """Every keyword a call may pass, in render order, `input` last."""
        return [p.name for p in (*self.options, *self.positionals)] + [INPUT_ARGUMENT]

    def arguments_model(self, recipe: Recipe | None) -> type[BaseModel]:
        """The pydantic model of a call's arguments: `tools.<tool>.<recipe>(**kwargs)`.

        Every schema parameter is accepted, with its type; one is required when the
        schema requires it and the recipe supplies no value for it. `input` is the
        command's stdin. Built on first use and kept, since building costs more than
        validating many calls.
        """
        key = recipe.name if recipe is not None else None
        model = self._models.get(key)
        if model is None:
            model = self._models[key] = self._build_model(recipe)
        return model

    def _build_model(self, recipe: Recipe | None) -> type[BaseModel]:
        given = recipe.given() if recipe is not None else {}
        advertised = {p.name: p for p in (recipe.params or ())} if recipe is not None else {}
        fields: dict[str, Any] = {}
        for parameter in (*self.positionals, *self.options):
            param = advertised.get(parameter.name)
            description = (param.description if param else "") or parameter.description
            python_type = value_type(parameter.type, parameter.pattern)
            if parameter.required and parameter.name not in given:
                fields[parameter.name] = (python_type, Field(description=description))
            else:
                # What is used when the call leaves it out: the recipe's value, else the
                # command's own default. Shown in the schema; the model's default is None.
                shown = _thaw(given.get(parameter.name, parameter.default))
                extra = {"default": shown} if shown is not None else None
                fields[parameter.name] = (
                    python_type | None,
                    Field(default=None, description=description, json_schema_extra=extra),
                )
        fields[INPUT_ARGUMENT] = (Stdin | None, None)
        recipe_name = recipe.name if recipe is not None else ""
        title = "".join(part.title() for part in (self.name, recipe_name, "Arguments"))
        model: type[BaseModel] = create_model(
            title, __config__=ConfigDict(extra="forbid", strict=True), **fields
        )
        model.__doc__ = recipe.description if recipe is not None else self.description
        return model

    def input_schema(self, recipe: Recipe | None) -> dict[str, Any]:
        """The JSON Schema of a call's arguments, as function-calling models take it.

        Without pydantic's titles, and with optional arguments shown as their type alone
        (None only ever means "leave it out").
        """
        tidied: dict[str, Any] = tidy_schema(self.arguments_model(recipe).model_json_schema())
        return tidied


def tidy_schema(schema: Any) -> Any:
    """A JSON Schema without titles, nulls (None means "left out") or integer-or-number."""
    if isinstance(schema, list):
        return [tidy_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    tidied = {key: tidy_schema(value) for key, value in schema.items() if key != "title"}
    options = tidied.pop("anyOf", None)
    if isinstance(options, list):
        if {"type": "null"} in options and tidied.get("default") is None:
            tidied.pop("default", None)
        options = [option for option in options if option != {"type": "null"}]
        if {"type": "number"} in options:  # JSON's numbers include the integers
            options = [option for option in options if option != {"type": "integer"}]
        if len(options) == 1:
            tidied = {**options[0], **tidied}
        else:
            tidied["anyOf"] = options
    return tidied


# --- parsing ---------------------------------------------------------------------------


def parse_definition(source: str, data: Any) -> CLIToolDefinition:
    """Check one parsed YAML mapping and turn it into a `CLIToolDefinition`.

    Args:
        source: Where `data` came from (a file path); every error names it.
        data: The parsed YAML document.

    Returns:
        The checked definition.

    Raises:
        ToolDefinitionError: The mapping breaks the format; the message names the file,
            the place in it, what is wrong and what is allowed instead.
    """
    spec = read_spec(source, data)
    if not isinstance(spec, ToolSpec):
        raise ToolDefinitionError(f"{source}: a {spec.type} tool, not a CLI tool")
    return compile_spec(source, spec)


def compile_spec(source: str, spec: ToolSpec) -> CLIToolDefinition:
    """Turn a checked CLI spec into its definition (`parse_definition` without the reading)."""
    options = tuple(
        Parameter(
            name=name,
            type=option.type,
            positional=False,
            required=option.required,
            description=option.description,
            default=_freeze(option.default),
            flag=option.flag or (f"-{option.short}" if option.short else f"--{name}"),
            pattern=option.pattern,
            global_=option.global_,
            joined=option.joined,
        )
        for name, option in spec.schema_.options.items()
    )
    positionals = tuple(
        Parameter(
            name=p.name,
            type=p.type,
            positional=True,
            required=p.required,
            description=p.description,
            default=_freeze(p.default),
            flag=None,
            pattern=p.pattern,
        )
        for p in spec.schema_.positional
    )
    return CLIToolDefinition(
        name=spec.name,
        source=source,
        description=spec.description,
        command=tuple(spec.command) if spec.command is not None else (spec.name,),
        timeout=spec.timeout,
        tags=tuple(spec.tags),
        options=options,
        positionals=positionals,
        recipes={
            name: _compile_recipe(name, recipe or RecipeSpec())
            for name, recipe in spec.recipes.items()
        },
        env=dict(spec.env),
    )


def _compile_recipe(name: str, spec: RecipeSpec) -> Recipe:
    params = None
    if spec.params is not None:
        params = tuple(
            RecipeParam(
                name=key,
                default=_freeze(param.default) if param else None,
                description=param.description if param else "",
            )
            for key, param in spec.params.items()
        )
    return Recipe(
        name=name,
        description=spec.description,
        preset={key: _freeze(value) for key, value in spec.preset.items()},
        params=params,
        subcommand=tuple(spec.subcommand),
    )


def _freeze(value: Any) -> Any:
    """Arrays become tuples so a definition cannot be changed through a shared list."""
    return tuple(value) if isinstance(value, list) else value


def _thaw(value: Any) -> Any:
    """Arrays become fresh lists for descriptions that callers may modify."""
    return list(value) if isinstance(value, tuple) else value


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


def describe(tool: CLIToolDefinition, *, schemas: bool = False) -> dict[str, Any]:
    """The agent-facing dict form of a tool, freshly built.

    Args:
        tool: The definition to describe.
        schemas: Add each callable's `input_schema`, the JSON Schema of its arguments.

    Returns:
        ``{name, description, tags, callables: [{name, description, parameters: [{name,
        type, required, default, description}]}]}``; callables in YAML order.
    """
    callables = []
    for recipe in tool.recipes.values():
        described = _describe_callable(tool, recipe)
        if schemas:
            described["input_schema"] = tool.input_schema(recipe)
        callables.append(described)
    return {
        "name": tool.name,
        "description": tool.description,
        "tags": list(tool.tags),
        "callables": callables,
    }
