"""Naming rules for everything agent code can name: one place, used by every storage."""

from __future__ import annotations

import keyword
import re
from typing import Any

from py_code_mode.errors import InvalidNameError

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
MAX_NAME_LENGTH = 64
MAX_ARTIFACT_NAME_LENGTH = 255

RESERVED_SKILL_NAMES = frozenset(
    {"list", "search", "get", "create", "delete", "invoke", "history", "rollback", "purge"}
)
"""Methods of the `skills` namespace: a skill with one of these names could never be reached."""

RESERVED_TOOL_NAMES = frozenset({"list", "search", "describe"})
"""Methods of the `tools` namespace."""

_DUNDER = re.compile(r"__[A-Za-z0-9_.-]*__")
"""Whole artifact names of this form are kept for a store's own records (Redis `__index__`)."""


def _require_str(kind: str, name: Any) -> str:
    if not isinstance(name, str):
        raise InvalidNameError(f"{kind} name must be a string, got {type(name).__name__}")
    return name


def _identifier(kind: str, value: Any, reserved: frozenset[str]) -> str:
    name = _require_str(kind, value)
    if not _IDENTIFIER.fullmatch(name) or len(name) > MAX_NAME_LENGTH or keyword.iskeyword(name):
        raise InvalidNameError(
            f"Invalid {kind} name {name!r}: use a Python identifier that starts with a letter "
            f"(letters, digits and underscores, at most {MAX_NAME_LENGTH} characters, not a "
            "keyword), e.g. 'fetch_repo_stars'"
        )
    if name in reserved:
        raise InvalidNameError(
            f"Reserved {kind} name {name!r}: it would hide the namespace's own method; "
            f"reserved are {', '.join(sorted(reserved))}"
        )
    return name


def skill_name(name: Any) -> str:
    """Return `name` if it can name a skill, else raise `InvalidNameError`."""
    return _identifier("skill", name, RESERVED_SKILL_NAMES)


def tool_name(name: Any) -> str:
    """Return `name` if it can name a tool, else raise `InvalidNameError`."""
    return _identifier("tool", name, RESERVED_TOOL_NAMES)


def artifact_name(value: Any) -> str:
    """Return `name` if it can name an artifact, else raise `InvalidNameError`.

    Artifact names are relative paths (``scans/a.json``) whose segments start with a letter,
    digit or underscore: no absolute paths, no ``..``, no hidden files (the index and locks
    live in hidden files), and no ``__name__`` (stores keep their own records under such
    names, e.g. the Redis index ``__index__``).
    """
    name = _require_str("artifact", value)
    allowed = (
        "use relative paths of segments made of letters, digits and . _ - "
        f"(not starting with . or -), at most {MAX_ARTIFACT_NAME_LENGTH} characters, "
        "e.g. 'results.json' or 'scans/host1.txt'"
    )
    if not name:
        raise InvalidNameError(f"Invalid artifact name {name!r}: it is empty; {allowed}")
    if name.startswith("/") or name.startswith("\\"):
        raise InvalidNameError(
            f"Invalid artifact name {name!r}: absolute paths are not allowed; {allowed}"
        )
    segments = name.split("/")
    if ".." in segments:
        raise InvalidNameError(
            f"Invalid artifact name {name!r}: '..' would leave the artifact store; {allowed}"
        )
    if len(name) > MAX_ARTIFACT_NAME_LENGTH or not all(_SEGMENT.fullmatch(s) for s in segments):
        raise InvalidNameError(f"Invalid artifact name {name!r}: {allowed}")
    if _DUNDER.fullmatch(name):
        raise InvalidNameError(
            f"Reserved artifact name {name!r}: names of the form '__name__' are kept for the "
            "store's own records; choose another name, e.g. 'index.json'"
        )
    return name
