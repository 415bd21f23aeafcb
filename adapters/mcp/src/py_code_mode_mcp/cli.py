"""The `py-code-mode-mcp` command: py-code-mode's tools for any MCP client.

stdio by default (the client starts the command and talks over its stdin/stdout);
streamable HTTP with `--http HOST:PORT`, where every request must carry a bearer token
unless the server is explicitly run without one on a loopback address.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import anyio
from py_code_mode import (
    FileStorage,
    InProcessExecutor,
    Session,
    Storage,
    SubprocessExecutor,
    ToolkitOptions,
)

from py_code_mode_mcp._http import is_loopback, serve_http
from py_code_mode_mcp._server import create_server
from py_code_mode_mcp._stdio import serve_stdio

__all__ = ["TOKEN_ENV", "build_parser", "main"]

TOKEN_ENV = "PY_CODE_MODE_MCP_TOKEN"
"""The environment variable holding the HTTP bearer token (safer than `--token`, which
other users of the machine can see in the process list)."""

_PROG = "py-code-mode-mcp"


@dataclass(frozen=True)
class _Address:
    host: str
    port: int


def _address(text: str) -> _Address:
    host, sep, port_text = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise argparse.ArgumentTypeError(
            f"expected HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8000 or "
            f"[::1]:8000 (0 picks a free port), got {text!r}"
        )
    return _Address(host, int(port_text))


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"expected a positive number of seconds, e.g. 30 or 2.5, got {text!r}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="Serve py-code-mode (a persistent Python session with tools, skills, "
        "artifacts and deps) to MCP clients, over stdio or streamable HTTP.",
        epilog=f"HTTP needs a bearer token: --token TOKEN or ${TOKEN_ENV}. Clients send "
        "'Authorization: Bearer TOKEN'; anything else gets HTTP 401.",
    )
    storage = parser.add_argument_group("storage (one is required)")
    where = storage.add_mutually_exclusive_group()
    where.add_argument("--base", metavar="DIR", help="workspace directory (FileStorage)")
    where.add_argument("--redis", metavar="URL", help="Redis URL (RedisStorage)")
    storage.add_argument("--prefix", metavar="P", help="key prefix in Redis (with --redis)")
    session = parser.add_argument_group("session")
    session.add_argument(
        "--executor",
        choices=("subprocess", "inprocess"),
        default="subprocess",
        help="where code runs: a child process (default) or a thread of this process",
    )
    session.add_argument(
        "--timeout", metavar="S", type=_seconds, help="default seconds a run_code call may take"
    )
    session.add_argument(
        "--no-runtime-deps",
        action="store_true",
        help="agent code may not add or remove packages (add_dep and remove_dep are not "
        "offered; deps.add() in code is refused)",
    )
    session.add_argument(
        "--sync-deps",
        action="store_true",
        help="install the workspace's deps list when a session starts",
    )
    session.add_argument(
        "--read-only",
        action="store_true",
        help="offer only the tools that look (listings, searches, get_skill): no code, no writes",
    )
    transport = parser.add_argument_group("transport (default: stdio)")
    transport.add_argument(
        "--http",
        metavar="HOST:PORT",
        type=_address,
        help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio",
    )
    transport.add_argument(
        "--token", metavar="TOKEN", help=f"the bearer token for --http (or set ${TOKEN_ENV})"
    )
    transport.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="serve --http without a token; only on a loopback host such as 127.0.0.1",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version('py-code-mode-mcp')}"
    )
    return parser


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """Refuse contradictory or unsafe command lines; return the HTTP token, if any."""
    if args.base is None and args.redis is None:
        parser.error("--base DIR or --redis URL is required")
    if args.prefix is not None and args.redis is None:
        parser.error("--prefix only applies with --redis URL")
    if args.base is not None and Path(args.base).exists() and not Path(args.base).is_dir():
        parser.error(f"--base {args.base!r} is a file; give a workspace directory")
    if args.token is not None and not args.token:
        parser.error("--token must not be empty")
    if args.http is None:
        if args.token is not None or args.insecure_no_auth:
            parser.error("--token and --insecure-no-auth only apply with --http HOST:PORT")
        return None
    token: str | None = args.token or os.environ.get(TOKEN_ENV) or None
    host = args.http.host
    if args.insecure_no_auth:
        if token is not None:
            parser.error(
                f"--insecure-no-auth contradicts the token given by --token or ${TOKEN_ENV}; "
                "use one or the other"
            )
        if not is_loopback(host):
            parser.error(
                f"--insecure-no-auth is only allowed on a loopback host (127.0.0.1, ::1, "
                f"localhost), not {host!r}: anyone who can reach it could run code here. "
                f"Set a token with --token or ${TOKEN_ENV}."
            )
        return None
    if token is None:
        parser.error(
            f"--http needs a bearer token: --token TOKEN or ${TOKEN_ENV}=TOKEN (clients send "
            "'Authorization: Bearer TOKEN'). For a local test without one, add "
            "--insecure-no-auth on a loopback host."
        )
    return token


def _storage(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Storage:
    """The storage every session of this server uses, built now so bad values fail early."""
    if args.base is not None:
        return FileStorage(Path(args.base))
    # RedisStorage is optional (the `redis` extra), so it is looked up only when asked for.
    try:
        redis_storage = importlib.import_module("py_code_mode").RedisStorage
    except (ImportError, AttributeError) as exc:
        parser.exit(
            1,
            f"{_PROG}: --redis needs RedisStorage and the redis client: pip install "
            f"'py-code-mode[redis]' ({type(exc).__name__}: {exc})\n",
        )
    kwargs: dict[str, Any] = {"url": args.redis}
    if args.prefix is not None:
        kwargs["prefix"] = args.prefix
    try:
        storage: Storage = redis_storage(**kwargs)
    except (TypeError, ValueError) as exc:
        parser.error(f"--redis {args.redis!r}: {exc}")
    return storage


def _session_factory(storage: Storage, args: argparse.Namespace) -> Callable[[], Session]:
    def make_session() -> Session:
        executor: InProcessExecutor | SubprocessExecutor = (
            InProcessExecutor() if args.executor == "inprocess" else SubprocessExecutor()
        )
        return Session(
            storage=storage,
            executor=executor,
            default_timeout=args.timeout,
            sync_deps=args.sync_deps,
            allow_runtime_deps=not args.no_runtime_deps,
        )

    return make_session


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    token = _check(parser, args)
    # stdout may be the protocol stream: every diagnostic goes to stderr.
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        format=f"{_PROG}: %(levelname)s %(name)s: %(message)s",
    )
    make_session = _session_factory(_storage(parser, args), args)
    options = ToolkitOptions.read_only() if args.read_only else None
    server = create_server(make_session, options)
    try:
        if args.http is None:
            anyio.run(serve_stdio, server)
        else:
            host, port = args.http.host, args.http.port
            anyio.run(partial(serve_http, server, host=host, port=port, token=token))
    except OSError as exc:
        print(f"{_PROG}: cannot serve: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
