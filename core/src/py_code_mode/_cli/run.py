"""`py-code-mode run FILE|-`: run Python in a workspace session, print what it did."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from py_code_mode._cli._errors import CliError, workspace
from py_code_mode._execution.inprocess import InProcessExecutor
from py_code_mode._execution.sandbox import SandboxExecutor
from py_code_mode._execution.subprocess import SubprocessExecutor
from py_code_mode._session import Session
from py_code_mode._storage.file import FileStorage


def add_parser(commands: Any) -> None:
    """Register the sub-command."""
    parser = commands.add_parser("run", help="run a Python file (or - for stdin) in a workspace")
    parser.add_argument("file", help="a .py file, or - to read the code from stdin")
    parser.add_argument("--base", default=".", help="workspace directory (default: current)")
    parser.add_argument(
        "--init", action="store_true", help="create the --base directory if it does not exist"
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds before the code is stopped"
    )
    parser.add_argument(
        "--executor",
        choices=("subprocess", "sandbox", "inprocess"),
        default="subprocess",
        help="where code runs: a child process (default), one in a bubblewrap sandbox, or "
        "a thread of this process",
    )
    parser.add_argument(
        "--package",
        dest="packages",
        metavar="NAME",
        action="append",
        default=[],
        help="a capability package to layer beneath the workspace: web, git, github, or a "
        "package directory's path (repeat for more)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the code; exit status 1 if it failed, 2 for a mistake on the command line."""
    code = sys.stdin.read() if args.file == "-" else _read(args.file)
    args.base = workspace(args.base, init=args.init, command="run")
    return asyncio.run(_run(code, args))


def _read(file: str) -> str:
    path = Path(file)
    if path.is_dir() or not path.exists():
        what = "is a directory" if path.is_dir() else "no such file"
        raise CliError(f"{file}: {what}; give a .py file, or - to read the code from stdin")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{file}: not UTF-8 text; give a Python source file") from None


async def _run(code: str, args: argparse.Namespace) -> int:
    executors = {
        "subprocess": SubprocessExecutor,
        "sandbox": SandboxExecutor,
        "inprocess": InProcessExecutor,
    }
    session = Session(
        storage=FileStorage(args.base),
        executor=executors[args.executor](),
        packages=args.packages,
    )
    echo = _Echo()
    async with session:
        result = await session.run(code, timeout=args.timeout, on_output=echo)
    if echo.broken:
        return 141  # the reader went away (`| head`), as a shell reports SIGPIPE
    if result.error:
        print(result.error, file=sys.stderr)
        return 1
    if result.value is not None:
        print(_show(result.value))
    return 0


class _Echo:
    """Prints what the code prints as it prints it; quiet once the reader has gone.

    Output arrives in callbacks of the event loop, where an exception would only be logged,
    once per chunk; a closed pipe (`py-code-mode run job.py | head`) is not an error of the
    code, so the rest of its output goes to /dev/null and the exit status says SIGPIPE.
    """

    def __init__(self) -> None:
        self.broken = False

    def __call__(self, stream: str, text: str) -> None:
        if self.broken:
            return
        target = sys.stdout if stream == "stdout" else sys.stderr
        try:
            target.write(text)
            target.flush()
        except BrokenPipeError:
            self.broken = True
            os.dup2(os.open(os.devnull, os.O_WRONLY), target.fileno())


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return repr(value)
    return json.dumps(value, indent=2, ensure_ascii=False)
