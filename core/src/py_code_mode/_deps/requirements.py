"""Which package specs agent code may ask for, and the one canonical line each becomes.

A spec from agent code ends up as an argument of an installer process, so it is checked
twice: first for characters and shapes that could smuggle an option, a URL, a file or a
shell construct in, then by `packaging`'s PEP 508 parser, whose result must be a plain
requirement from the package index (no URL, no environment marker). Everything the host
configures about installing (index, find-links, target) stays out of reach of a spec.
"""

from __future__ import annotations

import re
import reprlib
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from py_code_mode.errors import InvalidRequirementError

__all__ = ["MAX_REQUIREMENT_LENGTH", "normalize", "parse_requirement"]

MAX_REQUIREMENT_LENGTH = 256
"""Longer specs are rejected: real requirements are short, and the value lands in argv."""

_ALLOWED = "a name, optional [extras] and version specifiers, e.g. 'pandas>=2' or 'x[socks]~=1.2'"

# Letters, digits, the separators of names and extras, and what version specifiers are made
# of (`<`/`>` only ever parse as comparison operators once URLs and markers are gone).
_ALLOWED_CHARACTERS = re.compile(r"[A-Za-z0-9._\-\[\],<>=!~*+ ]*")

# The "Names" rule of PEP 508, for names and extras alike.
_PEP508_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)

# pip and uv install a requirement whose name ends like an archive as a local file.
_ARCHIVE_SUFFIXES = (
    ".whl",
    ".zip",
    ".tar",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tar.lz",
    ".tlz",
)

_SHOWN_LENGTH = 80


def _shown(spec: str) -> str:
    """`spec` for an error message: its repr, cut short when it is long."""
    if len(spec) <= _SHOWN_LENGTH:
        return repr(spec)
    return f"{spec[:_SHOWN_LENGTH]!r}... ({len(spec)} characters)"


def _reject(spec: str, problem: str) -> InvalidRequirementError:
    return InvalidRequirementError(
        f"Invalid requirement {_shown(spec)}: {problem}. Allowed is a plain requirement from "
        f"the package index: {_ALLOWED}."
    )


def _check_text(spec: str) -> None:
    """Reject what must never reach an installer's argv, before any parsing."""
    if not spec.strip():
        raise _reject(spec, "it is empty")
    if len(spec) > MAX_REQUIREMENT_LENGTH:
        raise _reject(spec, f"it is longer than {MAX_REQUIREMENT_LENGTH} characters")
    if any(ord(char) < 32 or ord(char) == 127 for char in spec):
        raise _reject(spec, "it contains control characters (NUL, newline, carriage return...)")
    if not spec.isascii():
        raise _reject(spec, "it contains non-ASCII characters")
    if spec.lstrip().startswith("-"):
        raise _reject(spec, "installer options (-e, -r, --index-url...) are not allowed")
    if "://" in spec or "@" in spec:
        raise _reject(
            spec, "URLs and direct references ('name @ url', git+https://...) are not allowed"
        )
    if ";" in spec:
        raise _reject(spec, "environment markers (';' and what follows) are not allowed")
    if "/" in spec or "\\" in spec:
        raise _reject(spec, "local paths are not allowed")
    if not _ALLOWED_CHARACTERS.fullmatch(spec):
        bad = sorted({char for char in spec if not _ALLOWED_CHARACTERS.fullmatch(char)})
        shown = " ".join(bad)
        raise _reject(spec, f"the characters {shown} are not allowed (no shell syntax)")


def _check_parsed(spec: str, req: Requirement) -> None:
    """Reject parsed forms that are valid PEP 508 but not a plain index requirement."""
    if req.url is not None:
        raise _reject(spec, "URLs and direct references are not allowed")
    if req.marker is not None:
        raise _reject(spec, "environment markers are not allowed")
    # packaging's parser tolerates names PEP 508 forbids, such as a trailing "_".
    for name in (req.name, *sorted(req.extras)):
        if not _PEP508_NAME.fullmatch(name):
            raise _reject(spec, f"{name!r} is not a valid PEP 508 name")
    if req.name.lower().endswith(_ARCHIVE_SUFFIXES):
        raise _reject(spec, "archive and wheel files are not allowed; name a package instead")
    if any(specifier.operator == "===" for specifier in req.specifier):
        raise _reject(spec, "arbitrary equality '===' is not allowed; use '=='")


def parse_requirement(spec: Any) -> Requirement:
    """Parse a package spec from agent code, accepting only plain index requirements.

    Args:
        spec: What agent code passed, e.g. ``"pandas>=2"``; any type is checked.

    Returns:
        The parsed requirement; `normalize` gives its canonical line.

    Raises:
        InvalidRequirementError: `spec` is not a string, or is an option, a URL or direct
            reference, a local path or archive, has environment markers or shell syntax, or
            is not valid PEP 508.
    """
    if not isinstance(spec, str):
        raise InvalidRequirementError(
            f"A requirement must be a string such as 'pandas>=2', got "
            f"{type(spec).__name__} {reprlib.repr(spec)}"
        )
    _check_text(spec)
    # `(` and `)` were refused above, so the obsolete `name (>=1)` form cannot parse either.
    try:
        req = Requirement(spec)
    except InvalidRequirement as exc:
        raise _reject(spec, f"it is not a valid PEP 508 requirement ({exc})") from exc
    _check_parsed(spec, req)
    return req


def normalize(req: Requirement) -> str:
    """The canonical line for the deps list, so one distribution is always spelled one way.

    The name and extras are canonicalised (PEP 503: lower case, runs of ``-_.`` become
    ``-``); `packaging` already sorts extras and specifiers and drops spaces.

    Args:
        req: A requirement from `parse_requirement`.

    Returns:
        The line, e.g. ``"pandas>=2"`` or ``"requests[socks]<3,>=2"``.
    """
    canonical = Requirement(str(req))
    canonical.name = canonicalize_name(req.name)
    canonical.extras = {canonicalize_name(extra) for extra in req.extras}
    return str(canonical)
