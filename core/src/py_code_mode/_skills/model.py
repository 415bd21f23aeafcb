"""A skill's source, checked and described without running it.

The host never executes skill code: it parses the source, finds the top-level `run`, and
derives the description and parameters from the syntax tree. The code itself runs only in
the worker.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from py_code_mode import _names
from py_code_mode._deps.requirements import parse_requirement
from py_code_mode._runtime.verify import MAX_SOURCE_CHARS
from py_code_mode.errors import InvalidRequirementError, InvalidSkillError

MAX_SOURCE_BYTES = MAX_SOURCE_CHARS
"""A skill's source (or tests) may be this long in UTF-8; the worker skips larger ones too."""
INJECTED_NAMES = frozenset({"tools", "skills", "artifacts", "deps"})
"""Namespaces a skill gets as globals; upstream also let `run` take them as parameters."""

_TYPE_NAMES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "list": "array",
    "tuple": "array",
    "dict": "object",
    "bytes": "string",
}


_SCHEMA_TYPES = {**_TYPE_NAMES, "set": "array", "frozenset": "array", "none": "null"}
_OPTIONAL = ("optional",)
_UNION = ("union",)


def schema_of(annotation: ast.expr | None) -> dict[str, Any]:
    """The JSON Schema of an annotation, as far as its syntax says; {} accepts anything.

    Only the syntax is read (the host never imports a skill's code), so a class of the
    skill's own, or a name the host cannot know, gives {} rather than a guess.
    """
    if annotation is None:
        return {}
    if isinstance(annotation, ast.Constant):
        if annotation.value is None:
            return {"type": "null"}
        return {}  # a string annotation: a forward reference the syntax cannot resolve
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _any_of([schema_of(annotation.left), schema_of(annotation.right)])
    if isinstance(annotation, ast.Subscript):
        base = ast.unparse(annotation.value).rsplit(".", 1)[-1].lower()
        items = annotation.slice
        args = list(items.elts) if isinstance(items, ast.Tuple) else [items]
        if base in _OPTIONAL:
            return _any_of([schema_of(args[0]), {"type": "null"}])
        if base in _UNION:
            return _any_of([schema_of(arg) for arg in args])
        if base == "literal":
            values = [arg.value for arg in args if isinstance(arg, ast.Constant)]
            return {"enum": values} if len(values) == len(args) else {}
        if base in ("list", "set", "frozenset", "sequence", "iterable"):
            return {"type": "array", "items": schema_of(args[0])}
        if base == "tuple":
            if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is ...:
                return {"type": "array", "items": schema_of(args[0])}
            return {"type": "array", "prefixItems": [schema_of(arg) for arg in args]}
        if base in ("dict", "mapping") and len(args) == 2:
            return {"type": "object", "additionalProperties": schema_of(args[1])}
        return schema_of(annotation.value)
    text = ast.unparse(annotation).rsplit(".", 1)[-1].lower()
    found = _SCHEMA_TYPES.get(text)
    return {"type": found} if found else {}


def _any_of(options: list[dict[str, Any]]) -> dict[str, Any]:
    if any(option == {} for option in options):
        return {}
    return {"anyOf": options}


@dataclass(frozen=True)
class Parameter:
    """One parameter of a skill's `run`."""

    name: str
    type: str
    required: bool
    default: Any = None
    annotation: str | None = None
    schema: dict[str, Any] | None = None
    """Its JSON Schema, derived from the annotation (and the default, if any)."""

    def to_dict(self) -> dict[str, Any]:
        """The plain-data form upstream uses: name, type, description, required, default."""
        return {
            "name": self.name,
            "type": self.type,
            "description": "",
            "required": self.required,
            "default": self.default,
        }


@dataclass(frozen=True)
class Skill:
    """A validated skill: name, source, and what was derived from the source."""

    name: str
    source: str
    description: str
    parameters: tuple[Parameter, ...]
    signature: str
    is_async: bool
    requires: tuple[str, ...] = ()
    """Packages it declares with a module-level ``__requires__ = ["pandas>=2"]``."""
    package: str | None = None
    """The capability package it comes from, if any: such a skill is read-only."""
    takes_more: bool = False
    """`run` has ``**kwargs``: it accepts keyword arguments besides its parameters."""

    @property
    def input_schema(self) -> dict[str, Any]:
        """The JSON Schema of `run`'s keyword arguments, as a tool's input schema reads."""
        return {
            "type": "object",
            "properties": {p.name: dict(p.schema or {}) for p in self.parameters},
            "required": [p.name for p in self.parameters if p.required],
            "additionalProperties": self.takes_more,
        }

    @classmethod
    def from_source(cls, name: Any, source: Any, description: Any = None) -> Skill:
        """Validate and describe a skill; raise `InvalidNameError` or `InvalidSkillError`."""
        name = _names.skill_name(name)
        if not isinstance(source, str):
            raise InvalidSkillError(
                f"Skill {name!r}: source must be a string of Python code, "
                f"got {type(source).__name__}"
            )
        if description is not None and not isinstance(description, str):
            raise InvalidSkillError(
                f"Skill {name!r}: description must be a string, got {type(description).__name__}"
            )
        for what, text in (("source", source), ("description", description or "")):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InvalidSkillError(
                    f"Skill {name!r}: the {what} is not valid text: character {exc.start} is "
                    f"a lone surrogate ({text[exc.start]!r}); write an escape such as "
                    "'\\ud800' inside a string literal instead"
                ) from None
        tree = parse_text(name, source, "source")
        run = _find_run(name, tree)
        explicit = (description or "").strip()
        derived = (
            explicit or _first_line(ast.get_docstring(tree)) or _first_line(ast.get_docstring(run))
        )
        parameters = _parameters(run)
        requires = _requires(name, tree)
        return cls(
            name=name,
            source=source,
            description=derived,
            parameters=parameters,
            signature=_signature(run, parameters),
            is_async=isinstance(run, ast.AsyncFunctionDef),
            requires=requires,
            takes_more=run.args.kwarg is not None,
        )

    def summary(self) -> dict[str, Any]:
        """What `skills.list()` and `skills.search()` return for this skill."""
        summary: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "params": {p.name: p.type for p in self.parameters},
            "signature": self.signature,
        }
        if self.requires:
            summary["requires"] = list(self.requires)
        if self.package is not None:
            summary["package"] = self.package
        return summary

    def details(self) -> dict[str, Any]:
        """What `skills.get()` returns: the summary plus parameters in full and the source."""
        return {
            **self.summary(),
            "parameters": [p.to_dict() for p in self.parameters],
            "input_schema": self.input_schema,
            "source": self.source,
        }


def parse_text(name: str, text: str, what: str) -> ast.Module:
    """A skill's source (or its tests) parsed, once it is known not to be too large.

    Raises:
        InvalidSkillError: Over `MAX_SOURCE_BYTES`, or a syntax error, said with its line.
    """
    are, have = ("are", "have") if what == "tests" else ("is", "has")
    if len(text.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise InvalidSkillError(f"Skill {name!r}: its {what} {are} over {MAX_SOURCE_BYTES:,} bytes")
    try:
        return ast.parse(text, filename=f"<{what} of skill {name}>")
    except SyntaxError as exc:
        raise InvalidSkillError(
            f"Skill {name!r}: its {what} {have} a syntax error on line {exc.lineno}: {exc.msg}"
        ) from None


def count_tests(name: str, tests: str) -> int:
    """How many tests a tests source holds: its ``test...`` functions, or 1 for plain code.

    Raises:
        InvalidSkillError: The tests do not parse.
    """
    tree = parse_text(name, tests, "tests")
    functions = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    ]
    return max(1, len(functions))


def declare_requires(name: str, source: str, requires: list[str]) -> str:
    """`source` with ``__requires__ = [...]`` declaring `requires`, so the source says it.

    The declaration goes after the module docstring and ``from __future__`` imports. A
    source that declares the same requirements already is returned as it is; one that
    declares others is refused, so requirements are said in one place.

    Raises:
        InvalidSkillError: A requirement is not a plain PEP 508 requirement, or the source
            declares different ones; or the source does not parse.
    """
    wanted = []
    for requirement in requires:
        try:
            wanted.append(str(parse_requirement(requirement)))
        except InvalidRequirementError as exc:
            raise InvalidSkillError(f"Skill {name!r}: in requires, {exc}") from None
    tree = parse_text(name, source, "source")
    declared = _requires(name, tree)
    if declared:
        if sorted(declared) == sorted(wanted):
            return source
        raise InvalidSkillError(
            f"Skill {name!r}: its source declares __requires__ = {list(declared)!r} and "
            f"requires= says {wanted!r}; give the requirements in one place"
        )
    if not wanted:
        return source
    line = 0
    for node in tree.body:
        is_docstring = (
            node is tree.body[0]
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        )
        if not (is_docstring or (isinstance(node, ast.ImportFrom) and node.module == "__future__")):
            break
        line = node.end_lineno or node.lineno
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.insert(line, f"__requires__ = {wanted!r}\n")
    return "".join(lines)


def _requires(name: str, tree: ast.Module) -> tuple[str, ...]:
    """The requirements of a module-level ``__requires__ = [...]`` of string literals."""
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if not any(isinstance(t, ast.Name) and t.id == "__requires__" for t in targets):
            continue
        assert isinstance(node, ast.Assign)
        value = node.value
        items = value.elts if isinstance(value, ast.List | ast.Tuple) else None
        if items is None or not all(
            isinstance(i, ast.Constant) and isinstance(i.value, str) for i in items
        ):
            raise InvalidSkillError(
                f"Skill {name!r}: __requires__ must be a list of requirement strings, e.g. "
                "__requires__ = ['pandas>=2', 'httpx']"
            )
        found = []
        for item in items:
            assert isinstance(item, ast.Constant)
            try:
                found.append(str(parse_requirement(item.value)))
            except InvalidRequirementError as exc:
                raise InvalidSkillError(f"Skill {name!r}: in __requires__, {exc}") from None
        return tuple(found)
    return ()


def _find_run(name: str, tree: ast.Module) -> ast.FunctionDef | ast.AsyncFunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "run":
            return node
    raise InvalidSkillError(
        f"Skill {name!r} must define a top-level function `run` (def run(...) or async def "
        "run(...)); its parameters become the skill's parameters"
    )


def _first_line(text: str | None) -> str:
    return text.strip().splitlines()[0].strip() if text and text.strip() else ""


def _type_of(annotation: ast.expr | None) -> str:
    if annotation is None:
        return "string"
    base = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    text = ast.unparse(base).rsplit(".", 1)[-1].lower()
    if text in ("optional", "union") or isinstance(annotation, ast.BinOp):
        return "string"
    return _TYPE_NAMES.get(text, "string")


def _default(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def _parameters(run: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Parameter, ...]:
    args = run.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    pairs = list(zip(positional, defaults, strict=True))
    pairs += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
    params = []
    for arg, default in pairs:
        if arg.arg in INJECTED_NAMES:
            continue
        schema = schema_of(arg.annotation)
        value = None if default is None else _default(default)
        if default is not None and isinstance(default, ast.Constant):
            schema = {**schema, "default": value}
        params.append(
            Parameter(
                name=arg.arg,
                type=_type_of(arg.annotation),
                required=default is None,
                default=value,
                annotation=ast.unparse(arg.annotation) if arg.annotation else None,
                schema=schema,
            )
        )
    return tuple(params)


def _signature(run: ast.FunctionDef | ast.AsyncFunctionDef, params: tuple[Parameter, ...]) -> str:
    parts = []
    for p in params:
        text = p.name + (f": {p.annotation}" if p.annotation else "")
        if not p.required:
            text += f" = {p.default!r}"
        parts.append(text)
    returns = f" -> {ast.unparse(run.returns)}" if run.returns else ""
    prefix = "async def" if isinstance(run, ast.AsyncFunctionDef) else "def"
    return f"{prefix} run({', '.join(parts)}){returns}"
