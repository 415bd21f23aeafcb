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
from py_code_mode.errors import InvalidRequirementError, InvalidSkillError

MAX_SOURCE_BYTES = 256_000
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


@dataclass(frozen=True)
class Parameter:
    """One parameter of a skill's `run`."""

    name: str
    type: str
    required: bool
    default: Any = None
    annotation: str | None = None

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
        if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
            raise InvalidSkillError(f"Skill {name!r}: source is over {MAX_SOURCE_BYTES:,} bytes")
        try:
            tree = ast.parse(source, filename=f"<skill {name}>")
        except SyntaxError as exc:
            raise InvalidSkillError(
                f"Skill {name!r} has a syntax error on line {exc.lineno}: {exc.msg}"
            ) from None
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
            "source": self.source,
        }


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
        params.append(
            Parameter(
                name=arg.arg,
                type=_type_of(arg.annotation),
                required=default is None,
                default=None if default is None else _default(default),
                annotation=ast.unparse(arg.annotation) if arg.annotation else None,
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
