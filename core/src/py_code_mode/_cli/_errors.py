"""User mistakes on the command line: one line on stderr and exit status 2, never a traceback.

A mistyped path, a file that is not there, a workspace whose YAML does not parse: the
person at the terminal needs the one sentence that says what is wrong, not our frames.
"""

from __future__ import annotations

import sys
from pathlib import Path

from py_code_mode.errors import InputError, ToolDefinitionError, UsageError

__all__ = ["USER_ERRORS", "CliError", "one_line", "report", "workspace"]

WORKSPACE_MARKS = (
    "tools",
    "skills",
    "artifacts",
    "requirements.txt",
    "workspace.yaml",
    ".py-code-mode",
)
"""What a directory that has been a workspace holds (any one of them)."""


class CliError(Exception):
    """A mistake on the command line, said in one sentence."""


USER_ERRORS: tuple[type[BaseException], ...] = (
    CliError,
    InputError,
    UsageError,
    ToolDefinitionError,
    ValueError,
    OSError,
)
"""What a command reports as the user's to fix (exit status 2) rather than as a crash."""


def one_line(exc: BaseException) -> str:
    """The error's message on one line (YAML errors, for one, span several)."""
    lines = (line.strip() for line in str(exc).splitlines())
    return " ".join(line for line in lines if line) or type(exc).__name__


def report(command: str, exc: BaseException) -> int:
    """Print ``py-code-mode <command>: error: <message>``; the exit status, 2."""
    print(f"py-code-mode {command}: error: {one_line(exc)}", file=sys.stderr)
    return 2


def workspace(base: str, *, init: bool, command: str) -> Path:
    """The workspace directory `--base` names, checked; made only when `init` asks.

    A mistyped path must not quietly become an empty workspace, and a new workspace is
    announced, so that nobody wonders where their skills went.

    Raises:
        CliError: The path is a file, or does not exist and `init` is False.
    """
    path = Path(base).expanduser()
    if path.exists() and not path.is_dir():
        raise CliError(f"--base {base}: is a file, not a workspace directory")
    if not path.exists():
        if not init:
            raise CliError(
                f"--base {base}: no such directory; check the path, or add --init to "
                "create a new workspace there"
            )
        path.mkdir(parents=True)
    if not any((path / mark).exists() for mark in WORKSPACE_MARKS):
        print(f"py-code-mode {command}: new workspace in {path.resolve()}", file=sys.stderr)
    return path
