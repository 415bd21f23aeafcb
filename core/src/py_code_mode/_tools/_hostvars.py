"""``${NAME}`` in a tool definition: the host's variables, resolved on the host, never shown.

Definitions name credentials (`env: {TOKEN: ${GITHUB_TOKEN}}`, `headers: {Authorization:
"Bearer ${TOKEN}"}`) rather than hold them. The values are read from the host's environment
at each use, so a rotated token is picked up, and every value read is redacted from what
the tool sends back to agent code.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping

from py_code_mode.errors import ToolFailedError

__all__ = ["Resolved", "redact", "resolve"]


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
        ToolFailedError: A variable a template names is not set on the host.
    """
    values: dict[str, str] = {}
    secrets: list[str] = []
    for name, template in templates.items():
        parsed = string.Template(template)
        used = parsed.get_identifiers()
        absent = [variable for variable in used if variable not in os.environ]
        if absent:
            raise ToolFailedError(
                f"Tool {tool!r} needs the host variable {absent[0]} (for {name} in its "
                f"`{key}`), which is not set; set it where the session runs, or change {source}"
            )
        values[name] = parsed.substitute(os.environ)
        secrets += [os.environ[variable] for variable in used]
    return Resolved(values, secrets)


def redact(text: str, secrets: list[str]) -> str:
    """`text` with each of `secrets` replaced by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:  # shorter ones would garble ordinary text
            text = text.replace(secret, "***")
    return text
