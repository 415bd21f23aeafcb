"""The format of a `tools/*.yaml` file, as strict pydantic models: CLI tools and MCP servers.

The models are the format: nothing is coerced, unknown keys are forbidden, and every check
that needs no command run is a validator. `read_spec` turns any failure into one
`ToolDefinitionError` in the format's own words: the file, the place in the YAML
(``recipes.get.params.url``), what is wrong and what is allowed instead.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from py_code_mode import _names
from py_code_mode._tools._hostvars import template_problem
from py_code_mode._tools._migrate import rewrite_args_template
from py_code_mode._tools._values import ParameterType, short_repr, value_problem
from py_code_mode.errors import ToolDefinitionError

__all__ = [
    "DEFAULT_TIMEOUT",
    "INPUT_ARGUMENT",
    "EndpointSpec",
    "HTTPToolSpec",
    "MCPToolSpec",
    "TOOL_TYPES",
    "OptionSpec",
    "PositionalSpec",
    "RecipeParamSpec",
    "RecipeSpec",
    "SchemaSpec",
    "ToolSpec",
    "read_spec",
]

INPUT_ARGUMENT = "input"
"""The keyword every tool accepts for its stdin; no schema entry may use the name."""

DEFAULT_TIMEOUT = 60.0
"""Seconds a command (or an MCP call, or an MCP server's start) may take when its YAML gives
no `timeout`."""

TOOL_TYPES = ("cli", "mcp", "http")
"""What `type:` may say; no `type` is a CLI tool."""

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SHORT = re.compile(r"[A-Za-z0-9]+")
_FLAG = re.compile(r"--?[A-Za-z0-9][A-Za-z0-9_.:-]*")
_RESERVED_RECIPE_NAMES = frozenset({"call_async"})
"""Attributes of the agent-side tool proxy: a recipe with one of these names is unreachable."""


# --- checks of single values -------------------------------------------------------------


def _parameter_name(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        suggestion = ""
        if "-" in value:
            fixed = value.strip("-").replace("-", "_")
            suggestion = f" (e.g. {fixed!r} with `flag: --{value.strip('-')}`)"
        raise ValueError(
            f"parameter name {short_repr(value)} is not allowed: use a Python identifier that "
            f"starts with a letter, so agent code can pass it as a keyword{suggestion}"
        )
    if keyword.iskeyword(value):
        raise ValueError(f"parameter name {value!r} is a Python keyword; agent code cannot pass it")
    if value == INPUT_ARGUMENT:
        raise ValueError(
            f"parameter name {value!r} is reserved: every tool takes `input=` as the "
            "command's stdin; rename the parameter"
        )
    return value


def _recipe_name(value: str) -> str:
    if (
        not _IDENTIFIER.fullmatch(value)
        or keyword.iskeyword(value)
        or value in _RESERVED_RECIPE_NAMES
    ):
        raise ValueError(
            f"recipe name {short_repr(value)} is not allowed: use a Python identifier that "
            f"starts with a letter, is not a keyword and is not "
            f"{', '.join(sorted(_RESERVED_RECIPE_NAMES))}"
        )
    return value


def _matching(pattern: re.Pattern[str], key: str, allowed: str) -> AfterValidator:
    """A validator of `key`'s whole value against `pattern`, saying what is `allowed`."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"`{key}` {short_repr(value)} is not usable; {allowed}")
        return value

    return AfterValidator(check)


def _command(value: Any) -> tuple[str, ...]:
    argv = [value] if isinstance(value, str) else value
    usable = isinstance(argv, list) and argv
    if not usable or not all(isinstance(item, str) and item and "\0" not in item for item in argv):
        raise ValueError(
            f"`command` {short_repr(value)} is not usable; use one executable ('curl') or a "
            "list of strings ([python3, -m, json.tool])"
        )
    return tuple(argv)


def _argv_item(value: str) -> str:
    if not value or "\0" in value:
        raise ValueError(
            f"{short_repr(value)} is not a usable argument; give a non-empty string, e.g. log"
        )
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(
            f"`pattern` {short_repr(value)} is not a regular expression: {exc}"
        ) from None
    return value


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_name(value: str) -> str:
    if not _ENV_NAME.fullmatch(value):
        raise ValueError(
            f"variable name {short_repr(value)} is not allowed: use letters, digits and "
            "underscores, not starting with a digit, e.g. GITHUB_TOKEN"
        )
    return value


def _env_template(value: str) -> str:
    problem = template_problem(value)
    if problem is not None:
        raise ValueError(f"{short_repr(value)} is not a usable value: {problem}")
    return value


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _no_line_breaks(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"{short_repr(value)} holds a line break, which no header value may")
    return value


def _type_or_string(value: Any) -> Any:
    return "string" if value is None else value


ParameterName = Annotated[str, AfterValidator(_parameter_name)]
Pattern = Annotated[str, AfterValidator(_regex)]
EnvName = Annotated[str, AfterValidator(_env_name)]
EnvValue = Annotated[str, AfterValidator(_env_template)]
HeaderName = Annotated[
    str,
    _matching(
        _HEADER_NAME, "headers", "use letters, digits and - (an HTTP token), e.g. Authorization"
    ),
]
HeaderValue = Annotated[str, AfterValidator(_no_line_breaks), AfterValidator(_env_template)]
Timeout = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Short = Annotated[
    str, _matching(_SHORT, "short", "use letters or digits without the dash, e.g. short: s")
]
Flag = Annotated[
    str,
    _matching(
        _FLAG, "flag", "use one flag with its dashes and no spaces or '=', e.g. flag: --null-input"
    ),
]
RecipeName = Annotated[str, AfterValidator(_recipe_name)]
ToolName = Annotated[str, AfterValidator(_names.tool_name)]
TypeName = Annotated[ParameterType, BeforeValidator(_type_or_string)]


# --- the YAML format, as models ----------------------------------------------------------


class _Spec(BaseModel):
    """Base of the format's models: unknown keys are errors and nothing is coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    _EMPTY_WHEN_NULL: ClassVar[frozenset[str]] = frozenset()
    """Keys whose YAML null means "none" rather than "the default"."""

    @model_validator(mode="before")
    @classmethod
    def _null_is_default(cls, data: Any) -> Any:
        # In YAML an empty value (`description:`) is null, which means "not given".
        if not isinstance(data, dict):
            return data
        return {
            key: {} if value is None and key in cls._EMPTY_WHEN_NULL else value
            for key, value in data.items()
            if value is not None or key in cls._EMPTY_WHEN_NULL
        }


def _default_problem(type_: ParameterType, value: Any, pattern: str | None) -> None:
    if value is not None:
        problem = value_problem(type_, value, pattern)
        if problem is not None:
            raise ValueError(f"`default` {problem}")


def _pattern_fits(type_: ParameterType, pattern: str | None) -> None:
    if pattern is not None and type_ not in ("string", "array"):
        raise ValueError(f"`pattern` applies to strings and arrays, not to a {type_}")


class OptionSpec(_Spec):
    """An option: rendered as its flag, followed by the value unless it is a boolean."""

    type: TypeName = "string"
    short: Short | None = None
    flag: Flag | None = None
    description: str = ""
    required: bool = False
    default: Any = None
    pattern: Pattern | None = None
    """A regular expression each string value must match in full."""
    global_: bool = Field(default=False, alias="global")
    """Rendered before a recipe's `subcommand`, as `git -C <repo> log` needs."""
    joined: bool = False
    """The value goes in the flag's own argv item (`--format=<value>`, `-n5`), for options
    whose value is optional and so cannot be the next item (git's `--format`)."""

    @model_validator(mode="after")
    def _consistent(self) -> OptionSpec:
        if self.short is not None and self.flag is not None:
            raise ValueError("the option has both `short` and `flag`; give one of them")
        if self.joined and self.type == "boolean":
            raise ValueError("a boolean option has no value to join; remove `joined: true`")
        _pattern_fits(self.type, self.pattern)
        _default_problem(self.type, self.default, self.pattern)
        return self


class PositionalSpec(_Spec):
    """A positional argument, rendered in list order."""

    name: ParameterName
    type: TypeName = "string"
    description: str = ""
    required: bool = False
    default: Any = None
    pattern: Pattern | None = None
    """A regular expression each string value must match in full."""

    @model_validator(mode="after")
    def _consistent(self) -> PositionalSpec:
        if self.required and self.default is not None:
            raise ValueError(f"{self.name!r} is required and has a default; keep one of the two")
        _pattern_fits(self.type, self.pattern)
        _default_problem(self.type, self.default, self.pattern)
        return self


class SchemaSpec(_Spec):
    """Every parameter a tool takes."""

    options: dict[ParameterName, OptionSpec] = Field(default_factory=dict)
    positional: list[PositionalSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> SchemaSpec:
        names = [*self.options, *(p.name for p in self.positional)]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"parameter {twice[0]!r} is declared twice; names must be unique")
        for before, after in zip(self.positional, self.positional[1:], strict=False):
            if after.required and not before.required:
                raise ValueError(
                    f"required positional {after.name!r} follows optional {before.name!r}; "
                    "put required positionals first"
                )
        return self


class RecipeParamSpec(_Spec):
    """A parameter a recipe advertises: its own default and description."""

    default: Any = None
    description: str = ""
    type: TypeName | None = None
    """May repeat the schema's type; anything else is an error."""


class RecipeSpec(_Spec):
    """A named way of calling a tool: fixed values plus the parameters worth advertising."""

    _EMPTY_WHEN_NULL = frozenset({"params"})

    description: str = ""
    subcommand: list[Annotated[str, AfterValidator(_argv_item)]] = Field(default_factory=list)
    """Fixed arguments between the `global` options and the others: `[log]` for git log."""
    preset: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, RecipeParamSpec | None] | None = None
    """None advertises the whole schema; an empty mapping advertises nothing."""


class ToolSpec(_Spec):
    """One `tools/*.yaml` file of a CLI tool."""

    name: ToolName
    type: Literal["cli"] = "cli"
    description: str = ""
    command: Annotated[tuple[str, ...], BeforeValidator(_command)] | None = None
    timeout: Timeout = DEFAULT_TIMEOUT
    tags: list[str] = Field(default_factory=list)
    env: dict[EnvName, EnvValue] = Field(default_factory=dict)
    """Variables the command gets besides PATH, HOME and the locale; ``${NAME}`` in a value
    is the host's variable, resolved on the host at each call and never shown."""
    schema_: SchemaSpec = Field(default_factory=SchemaSpec, alias="schema")
    recipes: Annotated[dict[RecipeName, RecipeSpec | None], Field(min_length=1)]

    @model_validator(mode="before")
    @classmethod
    def _a_mapping_of_a_cli_tool(cls, data: Any) -> Any:
        return _mapping(data, "name and recipes")

    @model_validator(mode="after")
    def _recipes_fit_the_schema(self) -> ToolSpec:
        schema = _parameters(self.schema_)
        for name, recipe in self.recipes.items():
            if recipe is not None:
                _check_recipe(f"recipes.{name}", recipe, schema)
        return self


class MCPToolSpec(_Spec):
    """One `tools/*.yaml` file of an MCP server: its tools become `tools.<name>.<tool>()`."""

    name: ToolName
    type: Literal["mcp"]
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    transport: Literal["stdio", "http"] = "stdio"
    command: Annotated[str, Field(min_length=1)] | None = None
    """stdio: the server's executable, looked up on PATH."""
    args: list[str] = Field(default_factory=list)
    env: dict[EnvName, EnvValue] = Field(default_factory=dict)
    """stdio: variables the server gets besides the SDK's safe few (PATH, HOME, ...);
    ``${NAME}`` is the host's variable, resolved when the server starts."""
    url: str | None = None
    """http: the server's streamable HTTP endpoint."""
    headers: dict[HeaderName, HeaderValue] = Field(default_factory=dict)
    """http: headers of every request; ``${NAME}`` as in `env`."""
    timeout: Timeout = DEFAULT_TIMEOUT
    """Seconds each call may take."""
    startup_timeout: Timeout = DEFAULT_TIMEOUT
    """Seconds the server may take to start and answer MCP's handshake (`uvx` may first
    download the server)."""

    @model_validator(mode="before")
    @classmethod
    def _a_mapping_of_a_server(cls, data: Any) -> Any:
        data = _mapping(data, "name, type and command or url")
        if data.get("transport") == "sse":
            raise ValueError(
                "transport 'sse' (HTTP+SSE, deprecated by MCP) is not supported; use "
                "transport: http with the server's streamable HTTP endpoint (often .../mcp)"
            )
        return data

    @model_validator(mode="after")
    def _what_the_transport_needs(self) -> MCPToolSpec:
        given = self.model_fields_set
        if self.transport == "stdio":
            if self.command is None:
                raise ValueError(
                    "`command` is missing: a stdio server needs the command that starts it, "
                    "e.g. command: uvx and args: [mcp-server-fetch]; or use transport: http "
                    "and url"
                )
            stray = sorted(given & {"url", "headers"})
        else:
            if self.url is None:
                raise ValueError(
                    "`url` is missing: an http server needs its streamable HTTP endpoint, "
                    "e.g. url: https://example.com/mcp"
                )
            scheme = self.url.partition("://")[0].lower()
            if scheme not in ("http", "https") or "://" not in self.url:
                raise ValueError(f"url {short_repr(self.url)} is not an http:// or https:// URL")
            stray = sorted(given & {"command", "args", "env"})
        if stray:
            raise ValueError(
                f"{', '.join(stray)} do not apply to transport {self.transport!r}; remove "
                f"{'it' if len(stray) == 1 else 'them'}"
            )
        return self


def _mapping(data: Any, keys: str) -> Any:
    if data is None:
        raise ValueError(f"the file is empty; a tool definition needs at least {keys}")
    if not isinstance(data, dict):
        raise ValueError(
            f"expected a mapping of keys such as {keys}, got {type(data).__name__} "
            f"{short_repr(data)}"
        )
    return data


HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
"""Bytes of one HTTP response an HTTP tool reads at most, unless its YAML says otherwise."""
RESERVED_HTTP_ARGUMENTS = frozenset({"body", "query_params"})
"""Keywords every HTTP endpoint call understands: no path or query parameter may use them."""
_PLACEHOLDERS = re.compile(r"\{([^{}]*)\}")


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _http_url(value: str) -> str:
    if "$" in value:  # host variables: checked as a template now, as a URL at each call
        return _env_template(value)
    scheme, separator, rest = value.partition("://")
    if not separator or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        raise ValueError(f"{short_repr(value)} is not an http:// or https:// URL")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


class EndpointSpec(_Spec):
    """One endpoint of an HTTP tool: `tools.<tool>.<endpoint>(**kw)`."""

    method: Annotated[
        Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"], BeforeValidator(_upper)
    ]
    path: str
    """Below `base_url`; ``{name}`` is a path parameter, percent-encoded at each call."""
    description: str = ""
    query: list[ParameterName] = Field(default_factory=list)
    """Keywords sent as query parameters."""
    body: bool = False
    """Whether the call takes `body=`, sent as JSON."""

    @model_validator(mode="after")
    def _a_path_of_named_parameters(self) -> EndpointSpec:
        if not self.path.startswith("/"):
            raise ValueError(f"path {short_repr(self.path)} must start with '/'")
        if "?" in self.path or "#" in self.path:
            raise ValueError(
                f"path {short_repr(self.path)} holds a query or fragment; list query "
                "parameters under `query`"
            )
        names = _PLACEHOLDERS.findall(self.path)
        for name in names:
            _parameter_name(name)
        if len(set(names)) != len(names):
            raise ValueError(f"path {short_repr(self.path)} names a parameter twice")
        clash = sorted(
            (set(names) & set(self.query))
            | ((set(names) | set(self.query)) & RESERVED_HTTP_ARGUMENTS)
        )
        if clash:
            raise ValueError(
                f"{', '.join(clash)}: a parameter may be in the path or the query, once, and "
                f"not named {' or '.join(sorted(RESERVED_HTTP_ARGUMENTS))}"
            )
        if self.body and self.method in ("GET", "HEAD"):
            raise ValueError(f"a {self.method} request has no body; remove `body: true`")
        return self

    @property
    def path_parameters(self) -> list[str]:
        """The ``{name}`` parameters of the path, in order."""
        return _PLACEHOLDERS.findall(self.path)


class HTTPToolSpec(_Spec):
    """One `tools/*.yaml` file of an HTTP API: its endpoints, or an OpenAPI document's."""

    name: ToolName
    type: Literal["http"]
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    base_url: HttpUrl | None = None
    """Where the paths are; with `openapi`, the document's first server by default.
    ``${NAME:-fallback}`` lets a host point it elsewhere (GitHub Enterprise, a test server)."""
    openapi: str | None = None
    """An OpenAPI 3 document (JSON or YAML): a path relative to this file, or a URL."""
    headers: dict[HeaderName, HeaderValue] = Field(default_factory=dict)
    """Headers of every request; ``${NAME}`` is the host's variable."""
    timeout: Timeout = DEFAULT_TIMEOUT
    """Seconds each request may take."""
    max_response_bytes: Annotated[int, Field(gt=0)] = DEFAULT_MAX_RESPONSE_BYTES
    endpoints: dict[RecipeName, EndpointSpec] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _a_mapping_of_an_api(cls, data: Any) -> Any:
        return _mapping(data, "name, type, base_url and endpoints (or openapi)")

    @model_validator(mode="after")
    def _endpoints_or_a_document(self) -> HTTPToolSpec:
        if self.openapi is None and not self.endpoints:
            raise ValueError(
                "give `endpoints` (e.g. get_repo: {method: GET, path: /repos/{owner}/{repo}}) "
                "or `openapi` (a document's path or URL)"
            )
        if self.openapi is not None and self.endpoints:
            raise ValueError("give `endpoints` or `openapi`, not both")
        if self.openapi is None and self.base_url is None:
            raise ValueError("`base_url` is missing, e.g. base_url: https://api.github.com")
        return self


AnySpec = ToolSpec | MCPToolSpec | HTTPToolSpec


def _parameters(schema: SchemaSpec) -> dict[str, OptionSpec | PositionalSpec]:
    found: dict[str, OptionSpec | PositionalSpec] = dict(schema.options)
    found.update((p.name, p) for p in schema.positional)
    return found


def _in_schema(
    where: str, name: str, schema: Mapping[str, OptionSpec | PositionalSpec]
) -> OptionSpec | PositionalSpec:
    if name not in schema:
        known = ", ".join(schema) or "none: the schema is empty"
        raise ValueError(
            f"{where} names {short_repr(name)}, which is not in the schema; schema parameters "
            f"are {known}"
        )
    return schema[name]


def _check_recipe(
    where: str, recipe: RecipeSpec, schema: Mapping[str, OptionSpec | PositionalSpec]
) -> None:
    for name, value in recipe.preset.items():
        parameter = _in_schema(f"{where}.preset", name, schema)
        problem = "is null; give a value or remove the entry" if value is None else None
        problem = problem or value_problem(parameter.type, value, parameter.pattern)
        if problem is not None:
            raise ValueError(f"{where}.preset value for {name!r} {problem}")
    for name, param in (recipe.params or {}).items():
        parameter = _in_schema(f"{where}.params", name, schema)
        if param is None:
            continue
        if param.type is not None and param.type != parameter.type:
            raise ValueError(
                f"{where}.params.{name} has type {param.type!r} but the schema says "
                f"{parameter.type!r}; leave `type` out to use the schema's"
            )
        try:
            _default_problem(parameter.type, param.default, parameter.pattern)
        except ValueError as exc:
            raise ValueError(f"{where}.params.{name}: {exc}") from None


def read_spec(source: str, data: Any) -> AnySpec:
    """Check one parsed YAML document against the format of its `type`.

    Raises:
        ToolDefinitionError: It breaks the format; the message names `source`.
    """
    kind = data.get("type") if isinstance(data, dict) else None
    models: dict[str, type[AnySpec]] = {"mcp": MCPToolSpec, "http": HTTPToolSpec}
    model = models.get(kind, ToolSpec) if isinstance(kind, str) else ToolSpec
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        explained = _explain(exc, model)
        old_format = isinstance(data, dict) and "args" in data and kind in (None, "cli")
        if model is ToolSpec and old_format:
            rewritten = rewrite_args_template(data)
            explained = (
                "this is the old `args:` template format, which renders a command line from "
                "a string; today a definition declares typed options and positionals and "
                "names recipes (see docs/tools.md)"
            )
            if rewritten is not None:
                explained += (
                    ". The same tool in today's format (check which flags take a value):\n"
                    + rewritten
                )
        raise ToolDefinitionError(f"{source}: {explained}") from None


# --- errors in the words of the format ---------------------------------------------------

_HINTS = {
    ("name",): "`name` is missing; give the tool a name such as 'curl'",
    ("recipes",): "`recipes` is missing or empty; give at least one recipe, e.g. "
    "recipes: {get: {description: ..., params: {url: {}}}}",
}
_KEY_HINTS = {"args": " (the old `args:` template format is gone: use `preset:` and `params:`)"}


def _explain(exc: ValidationError, root: type[_Spec]) -> str:
    """The problems pydantic found, each with its place in the YAML, in the format's words."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        where = _place(loc)
        kind = error["type"]
        if kind in ("missing", "too_short") and loc in _HINTS:
            problems.append(_HINTS[loc])
        elif kind == "extra_forbidden":
            key = loc[-1]
            allowed = ", ".join(_allowed_keys(root, loc[:-1]))
            hint = _KEY_HINTS.get(str(key), "")
            parent = _place(loc[:-1]) or "the tool definition"
            problems.append(
                f"unknown key {short_repr(key)} in {parent}{hint}; allowed keys are {allowed}"
            )
        elif kind == "literal_error" and loc[-1:] == ("type",) and len(loc) == 1:
            problems.append(
                f"unknown tool type {short_repr(error['input'])}; leave `type` out for a CLI "
                f"tool, or use one of {', '.join(TOOL_TYPES)}"
            )
        else:
            message = error["msg"].removeprefix("Value error, ")
            if kind in ("model_type", "dict_type"):
                got = error["input"]
                message = f"must be a mapping, got {type(got).__name__} {short_repr(got)}"
            problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems[:5]) + (
        f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
    )


def _place(loc: tuple[Any, ...]) -> str:
    """``recipes.get.params.url`` for a pydantic location (list items as ``[0]``)."""
    text = ""
    for part in loc:
        if part == "[key]":  # the error is in a mapping's key, which the place names already
            continue
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _allowed_keys(root: type[_Spec], loc: tuple[Any, ...]) -> list[str]:
    """The keys the model at `loc` allows, by their YAML names."""
    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue  # a list item: the model stays that of the list's items
        fields = {info.alias or name: info for name, info in model.model_fields.items()}
        info = fields.get(part)
        if info is None:  # a key of a mapping whose values are models (options, recipes)
            continue
        model = _model_in(info.annotation)
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_in(annotation: Any) -> Any:
    """The `_Spec` model inside an annotation such as ``dict[str, RecipeSpec | None]``."""
    if isinstance(annotation, type) and issubclass(annotation, _Spec):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
