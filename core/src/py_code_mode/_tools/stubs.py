"""Tools as Python a model reads: stubs with docstrings, and the signatures agent code sees.

`tools.describe("github")` answers with the tool's callables written as Python:

    def get_repo(*, owner: str, repo: str) -> Any:
        \"\"\"Repository metadata\"\"\"

Every kind of tool describes its callables with a JSON Schema of their keyword arguments;
this module renders that schema as annotations, for the stubs and for the worker, whose
`help(tools.github.get_repo)` and `inspect.signature` show the same signature.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["annotation", "callable_spec", "stub", "stubs", "tool_line", "tool_lines"]

_SIMPLE = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "null": "None",
    "object": "dict",
}
_MAX_DEPTH = 4


def annotation(schema: Any, depth: int = 0) -> str:
    """A JSON Schema as a Python annotation: ``list[str]``, ``int | None``, ``Literal['a']``."""
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return "Any"
    if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
        return f"Literal[{', '.join(repr(v) for v in schema['enum'][:10])}]"
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list) and options:
        shown = list(dict.fromkeys(annotation(option, depth + 1) for option in options))
        return " | ".join(shown)
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(annotation({**schema, "type": k}, depth + 1) for k in kind)
    if kind == "array":
        items = schema.get("items")
        return f"list[{annotation(items, depth + 1)}]" if items else "list"
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return f"dict[str, {annotation(schema['additionalProperties'], depth + 1)}]"
    return _SIMPLE.get(str(kind), "Any")


def _parameters(input_schema: Mapping[str, Any]) -> list[list[Any]]:
    """``[name, annotation, required, default, keyword_only]`` per keyword, required first."""
    properties = input_schema.get("properties")
    if not isinstance(properties, Mapping):
        return []
    required = input_schema.get("required")
    needed = set(required) if isinstance(required, list) else set()
    found = []
    for name, prop in properties.items():
        shown = annotation(prop)
        is_required = name in needed
        default = prop.get("default") if isinstance(prop, Mapping) else None
        if not is_required and default is None and "None" not in shown.split(" | "):
            shown += " | None"
        found.append([name, shown, is_required, default, True])
    return sorted(found, key=lambda p: not p[2])


def callable_spec(tool: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """What the worker needs to give `tools.<tool>.<name>` its signature and docstring."""
    return {
        "name": entry["name"],
        "qualname": f"tools.{tool}.{entry['name']}",
        "doc": _doc(entry),
        "params": _parameters(entry.get("input_schema") or {}),
        "returns": str(entry.get("returns") or "Any"),
    }


def stub(entry: Mapping[str, Any]) -> str:
    """One callable as a Python stub with its docstring."""
    params = _parameters(entry.get("input_schema") or {})
    shown = [
        f"{name}: {kind}" if required else f"{name}: {kind} = {_literal(default)}"
        for name, kind, required, default, _ in params
    ]
    signature = f"*, {', '.join(shown)}" if shown else ""
    doc = _doc(entry).replace('"""', '\\"\\"\\"')
    body = "\n    ".join(doc.splitlines()) or "..."
    return f'def {entry["name"]}({signature}) -> {entry.get("returns") or "Any"}:\n    """{body}"""'


def stubs(described: Mapping[str, Any], only: str | None = None) -> str:
    """A tool's callables (or the one named `only`) as stubs, under a comment naming it."""
    name = described["name"]
    head = f"# tools.{name}: {described.get('description') or ''}".rstrip(": ")
    if described.get("error"):
        return f"{head}\n# unavailable: {described['error']}"
    entries = [c for c in described["callables"] if only is None or c["name"] == only]
    call = f"tools.{name}.<name>(...)" if only is None else f"tools.{name}.{only}(...)"
    return "\n\n".join(
        [f"{head}\n# call as {call}; keyword arguments only"] + [stub(entry) for entry in entries]
    )


def _doc(entry: Mapping[str, Any]) -> str:
    return str(entry.get("description") or "").strip()


def _literal(value: Any) -> str:
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    return json.dumps(value)


def tool_line(tool: Mapping[str, Any], limit: int = 200) -> str:
    """One tool on one line: ``- github: get_repo(owner, repo, query_params?) — ...``."""
    if tool.get("error"):
        text = f"- {tool['name']}: unavailable: {tool['error']}"
    else:
        calls = ", ".join(
            f"{c['name']}({', '.join(_brief(p) for p in c.get('parameters', []))})"
            for c in tool.get("callables", [])
        )
        text = f"- {tool['name']}: {calls} — {tool.get('description', '')}"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tool_lines(tools: list[Mapping[str, Any]]) -> str:
    """Tools as lines, for a model: `list_tools` and `search_tools` answer with this."""
    if not tools:
        return "No tools."
    return "\n".join(tool_line(tool) for tool in tools)


def _brief(param: Mapping[str, Any]) -> str:
    return str(param["name"]) if param.get("required") else f"{param['name']}?"
