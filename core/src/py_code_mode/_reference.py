"""The API reference of the namespaces, rendered from the operations table.

``docs/api.md`` is this module's output; a test keeps the two equal. Regenerate it with::

    uv run python -m py_code_mode._reference > docs/api.md
"""

from __future__ import annotations

import inspect
from typing import Any

from py_code_mode._operations import Operation, annotation_text, operations

__all__ = ["render_reference"]

_NAMESPACES = {
    "tools": "CLI commands and other capabilities of the host, as Python callables. "
    "`tools.<name>.<recipe>(**kwargs)` runs a recipe of a tool; `tools.<name>(**kwargs)` "
    "the recipe named like the tool, or the tool's raw schema.",
    "skills": "Workflows saved as Python functions, found by search and composed. "
    "`skills.<name>(**kwargs)` and `skills.invoke(name, **kwargs)` run a skill in the "
    "worker, with the four namespaces in scope.",
    "artifacts": "Data that outlives the session: str, bytes and JSON values come back "
    "exactly as saved.",
    "deps": "Python packages for the session, installed into the workspace's own "
    "environment and recorded in its list.",
}

_HEADER = """\
# API reference

Generated from the operations table (`core/src/py_code_mode/_operations.py`) by
`uv run python -m py_code_mode._reference > docs/api.md`; a test fails when this page and
the table disagree. Do not edit it by hand.

Every operation is one method in agent code (`skills.create(...)`, plainly or awaited), one
method of `Session` (async) and of `SyncSession` (blocking), and some are agent tools too.
All three validate the arguments with the same model and raise the same errors: a value of
the wrong type or an unknown argument is an `InputError` (a subclass such as
`InvalidNameError` where one fits), and nothing is written.
"""


def render_reference() -> str:
    """The whole reference page, as Markdown."""
    parts = [_HEADER]
    for namespace, summary in _NAMESPACES.items():
        parts.append(f"## `{namespace}`\n\n{summary}\n")
        for operation in operations():
            if operation.namespace == namespace and operation.code:
                parts.append(_entry(operation))
    return "\n".join(parts)


def _entry(operation: Operation[Any, Any, Any]) -> str:
    signature = operation.signature
    shown = _parameters(signature)
    returns = annotation_text(signature.return_annotation)
    lines = [
        f"### `{operation.verb}({shown}) -> {returns}`",
        "",
        operation.description,
        "",
        f"- Session: `{operation.facade}()`",
    ]
    if operation.agent:
        lines.append(f"- Agent tool: `{operation.facade}`")
    lines.append(f"- {'Reads only' if operation.read_only else 'Writes'}")
    if operation.needs is not None:
        lines.append(f"- Agent code needs `{operation.needs.name}=True` on the session")
    fields = operation.args_model.model_fields
    schema = operation.args_model.model_json_schema().get("properties", {})
    if fields:
        lines += ["", "| argument | type | default | meaning |", "| --- | --- | --- | --- |"]
        for name, info in fields.items():
            default = "required" if info.is_required() else f"`{info.default!r}`"
            # A `|` inside a cell would end it, even in backticks.
            kind = annotation_text(signature.parameters[name].annotation).replace("|", "\\|")
            meaning = info.description or ""
            bounds = schema.get(name, {})
            if "minimum" in bounds and "maximum" in bounds:
                meaning += f" From {bounds['minimum']} to {bounds['maximum']}."
            lines.append(f"| `{name}` | `{kind}` | {default} | {meaning.strip()} |")
    return "\n".join(lines) + "\n"


def _parameters(signature: inspect.Signature) -> str:
    shown: list[str] = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and "*" not in shown:
            shown.append("*")
        text = f"{parameter.name}: {annotation_text(parameter.annotation)}"
        if parameter.default is not inspect.Parameter.empty:
            text += f" = {parameter.default!r}"
        shown.append(text)
    return ", ".join(shown)


if __name__ == "__main__":
    print(render_reference(), end="")
