"""The `py-code-mode` command, one sub-command per module.

`demo` shows the learning loop, `run` runs code in a workspace, `deps` manages its
packages, `store` moves a library between a directory, Redis and a zip archive.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from py_code_mode._cli import demo, deps, run, store
from py_code_mode._cli._errors import USER_ERRORS, report

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """The command line, one sub-command per module."""
    parser = argparse.ArgumentParser(
        prog="py-code-mode",
        description="A persistent Python session for AI agents: tools, skills, artifacts, deps.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {_version()}", help="show the version"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo.add_parser(commands)
    run.add_parser(commands)
    deps.add_parser(commands)
    store.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head`): not a mistake to report. Point stdout at
        # /dev/null so that the interpreter's own flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a command ended by SIGPIPE
    except USER_ERRORS as exc:
        return report(args.command, exc)


def _version() -> str:
    from py_code_mode import __version__

    return str(__version__)
