"""`py-code-mode deps list|add|remove|sync`: a workspace's packages, from the terminal.

The same operations agent code calls as `deps.*`, for whoever prepares a workspace before
agents use it (an image build, a deploy step). An install shows the installer's own lines
as they come: a redrawn status line on a terminal, every line elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from typing import Any

from py_code_mode._cli._errors import workspace
from py_code_mode._cli._progress import StreamedLines
from py_code_mode._execution.base import REQUEST_OUTPUT
from py_code_mode._session import Session
from py_code_mode._storage.file import FileStorage
from py_code_mode.errors import DepsInstallError


def add_parser(commands: Any) -> None:
    """Register the sub-command and its actions."""
    parser = commands.add_parser(
        "deps", help="list, add, remove or install a workspace's Python packages"
    )
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the workspace's requirement lines")
    add = actions.add_parser("add", help="install packages and record them")
    add.add_argument("packages", nargs="+", metavar="REQUIREMENT", help="e.g. 'pandas>=2'")
    remove = actions.add_parser("remove", help="uninstall packages and drop them from the list")
    remove.add_argument("packages", nargs="+", metavar="NAME", help="a package name")
    sync = actions.add_parser("sync", help="install whatever on the list is not installed yet")
    for action in (listing, add, remove, sync):
        action.add_argument("--base", default=".", help="workspace directory (default: current)")
        action.add_argument(
            "--init", action="store_true", help="create the --base directory if it does not exist"
        )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Perform the action; exit status 1 if an install failed, 2 for a mistake."""
    args.base = workspace(args.base, init=args.init, command="deps")
    return asyncio.run(_perform(args))


async def _perform(args: argparse.Namespace) -> int:
    live = sys.stderr.isatty()
    display = StreamedLines(sys.stderr, live=live, width=shutil.get_terminal_size().columns)
    REQUEST_OUTPUT.set(display)  # the deps manager streams the installer's lines here
    try:
        async with Session(storage=FileStorage(args.base)) as session:
            try:
                await _act(session, args)
            finally:
                display.finish()  # the status line goes before anything else is printed
    except DepsInstallError as exc:
        print(f"py-code-mode deps: {exc}", file=sys.stderr)
        return 1
    return 0


async def _act(session: Session, args: argparse.Namespace) -> None:
    if args.action == "list":
        for line in await session.list_deps():
            print(line)
    elif args.action == "sync":
        _say(await session.install_deps())
    else:
        for package in args.packages:
            if args.action == "add":
                _say(await session.add_dep(package))
            else:
                _say(await session.remove_dep(package))


def _say(result: dict[str, Any]) -> None:
    """One line per package, in words: what happened to it."""
    words = {
        "installed": "installed",
        "already_present": "already installed",
        "removed": "removed",
        "not_found": "was not installed",
    }
    for key, word in words.items():
        for name in result.get(key, []):
            print(f"{name}: {word}")
    if result.get("removed_from_config") is False:
        print(f"{result['requirement']}: was not on the list")
