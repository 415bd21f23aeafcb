"""``${NAME}`` in a tool definition: the host's variables, resolved on the host, never shown.

Definitions name credentials (`env: {TOKEN: ${GITHUB_TOKEN}}`, `headers: {Authorization:
"Bearer ${TOKEN}"}`) rather than hold them. The values are read from the host's environment
at each use, so a rotated token is picked up, and every value read is redacted from what
the tool sends back to agent code.

``${NAME:-fallback}`` uses the fallback when the host has no such variable (as shells do),
so a definition can point at a public service and still let a host override it:
``base_url: ${GITHUB_API_URL:-https://api.github.com}``. A fallback is part of the
definition, not a secret, and is not redacted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from py_code_mode.errors import ToolFailedError

__all__ = ["Resolved", "redact", "resolve", "template_problem"]

_REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<fallback>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<invalid>))"
)


def template_problem(template: str) -> str | None:
    """What is wrong with a template's ``$`` references, or None if it is usable."""
    for match in _REFERENCE.finditer(template):
        if match.group("invalid") is not None:
            return (
                f"the $ at character {match.start()} starts no variable: write host variables "
                'as ${NAME} (or ${NAME:-fallback}) and a literal $ as $$, e.g. "Bearer '
                '${GITHUB_TOKEN}"'
            )
    return None


def _fill(template: str, absent: list[str], secrets: list[str]) -> str:
    """`template` with the host's values in; names without a value or fallback go to `absent`."""

    def value(match: re.Match[str]) -> str:
        if match.group("escaped") is not None:
            return "$"
        name = match.group("braced") or match.group("named")
        if name in os.environ:
            secrets.append(os.environ[name])
            return os.environ[name]
        fallback = match.group("fallback")
        if fallback is None:
            absent.append(name)
            return ""
        return fallback

    return _REFERENCE.sub(value, template)


class Resolved(dict[str, str]):
    """Templates with the host's values filled in, and the values that must not show."""

    def __init__(self, values: Mapping[str, str], secrets: list[str]) -> None:
        super().__init__(values)
        self.secrets = secrets

    def redact(self, text: str) -> str:
        """`text` with every host value used here replaced by ``***``."""
        return redact(text, self.secrets)


def resolve(templates: Mapping[str, str], *, tool: str, source: str, key: str) -> Resolved:
    """Fill each template's ``${NAME}`` with the host's variable.

    Args:
        templates: Values by name, as the definition writes them.
        tool: The tool's name, for the error.
        source: The definition's file, for the error.
        key: The definition's key the templates come from (`env`, `headers`), for the error.

    Raises:
        ToolFailedError: A variable a template names is not set on the host and has no
            fallback.
    """
    values: dict[str, str] = {}
    secrets: list[str] = []
    for name, template in templates.items():
        absent: list[str] = []
        values[name] = _fill(template, absent, secrets)
        if absent:
            where = f"for {name} in its `{key}`" if key != name else f"for its `{key}`"
            raise ToolFailedError(
                f"Tool {tool!r} needs the host variable {absent[0]} ({where}), which is not "
                f"set; set it where the session runs, or change {source}"
            )
    return Resolved(values, secrets)


def redact(text: str, secrets: list[str]) -> str:
    """`text` with each of `secrets` replaced by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:  # shorter ones would garble ordinary text
            text = text.replace(secret, "***")
    return text
