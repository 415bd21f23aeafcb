"""The `py-code-mode-mcp` command: py-code-mode's tools for any MCP client.

stdio by default (the client starts the command and talks over its stdin/stdout);
streamable HTTP with `--http HOST:PORT`, where every request must carry a bearer token
unless the server is explicitly run without one on a loopback address.

Secrets never go on the command line, which every process on the machine can read: the
token comes from a file or the environment, and so does a Redis URL with a password.
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
from urllib.parse import urlsplit

import anyio
from py_code_mode import (
    FileStorage,
    InProcessExecutor,
    SandboxExecutor,
    Session,
    Storage,
    SubprocessExecutor,
    ToolkitOptions,
)

from py_code_mode_mcp._http import is_loopback, serve_http
from py_code_mode_mcp._server import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_SESSIONS, create_server
from py_code_mode_mcp._stdio import serve_stdio

__all__ = ["REDIS_URL_ENV", "TOKEN_ENV", "build_parser", "main"]

TOKEN_ENV = "PY_CODE_MODE_MCP_TOKEN"
"""The environment variable holding the HTTP bearer token (or give `--token-file`)."""

REDIS_URL_ENV = "PY_CODE_MODE_REDIS_URL"
"""The environment variable `--redis` without a value reads the Redis URL from."""

_MAX_TOKEN_FILE_BYTES = 64 * 1024

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


def _max_calls(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(
            f"expected a whole number of calls, e.g. 1000, or 0 for no limit, got {text!r}"
        )
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, e.g. 16, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="Serve py-code-mode (a persistent Python session with tools, skills, "
        "artifacts and deps) to MCP clients, over stdio or streamable HTTP.",
        epilog=f"HTTP needs a bearer token: --token-file FILE or ${TOKEN_ENV}. Clients send "
        "'Authorization: Bearer TOKEN'; anything else gets HTTP 401.",
    )
    storage = parser.add_argument_group("storage (one is required)")
    where = storage.add_mutually_exclusive_group()
    where.add_argument("--base", metavar="DIR", help="workspace directory (FileStorage)")
    where.add_argument(
        "--redis",
        metavar="URL",
        nargs="?",
        const="",
        help=f"Redis URL (RedisStorage); without a value it is read from ${REDIS_URL_ENV}, "
        "where a URL with a password belongs",
    )
    storage.add_argument("--prefix", metavar="P", help="key prefix in Redis (with --redis)")
    session = parser.add_argument_group("session")
    session.add_argument(
        "--executor",
        choices=("auto", "sandbox", "subprocess", "inprocess"),
        default="auto",
        help="where code runs: a child process in a bubblewrap sandbox (sandbox), a child "
        "process (subprocess), or a thread of this process (inprocess); auto (the default) "
        "is sandbox where bubblewrap works, else subprocess, and says which at start",
    )
    session.add_argument(
        "--timeout", metavar="S", type=_seconds, help="default seconds a run_code call may take"
    )
    session.add_argument(
        "--max-tool-calls",
        metavar="N",
        type=_max_calls,
        default=1000,
        help="tool calls one run_code may make (default 1000; 0 for no limit)",
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
        "--strict-tools",
        action="store_true",
        help="a broken tool definition stops the session from starting (by default it is "
        "listed with its error and the other tools work)",
    )
    session.add_argument(
        "--package",
        dest="packages",
        metavar="NAME",
        action="append",
        default=[],
        help="a capability package to layer beneath the workspace, read-only: web, git, "
        "github, or a package directory's path (repeat for more; a workspace may also list "
        "them in workspace.yaml)",
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
        "--token-file",
        metavar="FILE",
        help=f"read the bearer token for --http from FILE (or set ${TOKEN_ENV})",
    )
    # Refused with an explanation, rather than unknown: a command line is no place for it.
    transport.add_argument("--token", help=argparse.SUPPRESS)
    transport.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="serve --http without a token; only on a loopback host such as 127.0.0.1",
    )
    sessions = parser.add_argument_group(
        "HTTP sessions (each MCP session gets its own Python session; skills, artifacts and "
        "deps are shared through the storage)"
    )
    sessions.add_argument(
        "--shared-session",
        action="store_true",
        help="give every client one shared Python session (a single user with several clients)",
    )
    sessions.add_argument(
        "--max-sessions",
        metavar="N",
        type=_count,
        help=f"the most Python sessions at once, each a worker process (default "
        f"{DEFAULT_MAX_SESSIONS}); more clients get HTTP 503",
    )
    sessions.add_argument(
        "--idle-timeout",
        metavar="S",
        type=_seconds,
        help=f"close a client's session after S seconds without a request (default "
        f"{DEFAULT_IDLE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version('py-code-mode')}"
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
    if args.token is not None:
        parser.error(
            f"--token is not accepted: every process on this machine can read a command line. "
            f"Put the token in a file only you can read and pass --token-file FILE, or set "
            f"${TOKEN_ENV}."
        )
    if args.http is None:
        http_only = ("token_file", "insecure_no_auth", "shared_session")
        if any(getattr(args, name) for name in http_only) or (
            args.max_sessions is not None or args.idle_timeout is not None
        ):
            parser.error(
                "--token-file, --insecure-no-auth, --shared-session, --max-sessions and "
                "--idle-timeout only apply with --http HOST:PORT"
            )
        return None
    token = _read_token(parser, args.token_file) if args.token_file is not None else None
    token = token or os.environ.get(TOKEN_ENV) or None
    host = args.http.host
    if args.insecure_no_auth:
        if token is not None:
            parser.error(
                f"--insecure-no-auth contradicts the token given by --token-file or "
                f"${TOKEN_ENV}; use one or the other"
            )
        if not is_loopback(host):
            parser.error(
                f"--insecure-no-auth is only allowed on a loopback host (127.0.0.1, ::1, "
                f"localhost), not {host!r}: anyone who can reach it could run code here. "
                f"Set a token with --token-file FILE or ${TOKEN_ENV}."
            )
        return None
    if token is None:
        parser.error(
            f"--http needs a bearer token: --token-file FILE or ${TOKEN_ENV}=TOKEN (clients "
            "send 'Authorization: Bearer TOKEN'). For a local test without one, add "
            "--insecure-no-auth on a loopback host."
        )
    return token


def _read_token(parser: argparse.ArgumentParser, path: str) -> str:
    """The token in `path`: its text without surrounding whitespace (`echo` adds a newline)."""
    try:
        with open(path, "rb") as file:
            raw = file.read(_MAX_TOKEN_FILE_BYTES + 1)
    except OSError as exc:
        parser.error(f"cannot read --token-file {path!r}: {exc.strerror or exc}")
    if len(raw) > _MAX_TOKEN_FILE_BYTES:
        parser.error(f"--token-file {path!r} is over {_MAX_TOKEN_FILE_BYTES} bytes; is it a token?")
    try:
        token = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        parser.error(f"--token-file {path!r} is not UTF-8 text")
    if not token:
        parser.error(f"--token-file {path!r} is empty; write the token into it")
    if any(char.isspace() or not char.isprintable() for char in token):
        parser.error(
            f"--token-file {path!r} holds more than one word; a bearer token has no spaces "
            "or line breaks inside it"
        )
    return token


def _redis_url(parser: argparse.ArgumentParser, given: str) -> str:
    """The Redis URL: given on the command line only without a password, else from env."""
    if not given:
        url = os.environ.get(REDIS_URL_ENV, "")
        if not url:
            parser.error(f"--redis without a URL reads it from ${REDIS_URL_ENV}, which is not set")
        return url
    if urlsplit(given).password:
        parser.error(
            f"--redis URL carries a password, which every process on this machine can read "
            f"from the command line; set ${REDIS_URL_ENV} to the URL and pass --redis alone"
        )
    return given


def _storage_factory(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> Callable[[], Storage]:
    """Makes each session's own storage object on the one workspace or Redis prefix.

    One object per session: closing a session closes its storage's connections, which
    must not cut another session's calls. The first is made now, so bad values fail early.
    """
    if args.base is not None:
        base = Path(args.base)
        return lambda: FileStorage(base)
    # RedisStorage is optional (the `redis` extra), so it is looked up only when asked for.
    try:
        redis_storage = importlib.import_module("py_code_mode").RedisStorage
    except (ImportError, AttributeError) as exc:
        parser.exit(
            1,
            f"{_PROG}: --redis needs RedisStorage and the redis client: pip install "
            f"'py-code-mode[redis]' ({type(exc).__name__}: {exc})\n",
        )
    kwargs: dict[str, Any] = {"url": _redis_url(parser, args.redis)}
    if args.prefix is not None:
        kwargs["prefix"] = args.prefix
    try:
        redis_storage(**kwargs)
    except (TypeError, ValueError) as exc:
        where = "--redis" if args.redis else f"${REDIS_URL_ENV}"
        parser.error(f"{where}: {exc}")
    return partial(redis_storage, **kwargs)


def _executor_kind(parser: argparse.ArgumentParser, wanted: str) -> str:
    """The executor to use, with `auto` settled; says on stderr where code will run."""
    if wanted in ("auto", "sandbox"):
        reason = SandboxExecutor.unavailable()
        if reason is None:
            print(f"{_PROG}: agent code runs in a bubblewrap sandbox", file=sys.stderr)
            return "sandbox"
        if wanted == "sandbox":
            parser.exit(1, f"{_PROG}: --executor sandbox: {reason}\n")
        print(
            f"{_PROG}: WARNING: agent code runs WITHOUT a sandbox (as this user, with its "
            f"files and network): {reason}",
            file=sys.stderr,
        )
        return "subprocess"
    if wanted == "inprocess":
        print(
            f"{_PROG}: WARNING: agent code runs inside this server's process "
            "(--executor inprocess isolates nothing)",
            file=sys.stderr,
        )
    return wanted


def _session_factory(
    storage: Callable[[], Storage], executor_kind: str, args: argparse.Namespace
) -> Callable[[], Session]:
    executors: dict[str, Callable[[], SubprocessExecutor | InProcessExecutor]] = {
        "sandbox": SandboxExecutor,
        "subprocess": SubprocessExecutor,
        "inprocess": InProcessExecutor,
    }
    make_executor = executors[executor_kind]

    def make_session() -> Session:
        executor = make_executor()
        return Session(
            storage=storage(),
            executor=executor,
            default_timeout=args.timeout,
            sync_deps=args.sync_deps,
            allow_runtime_deps=not args.no_runtime_deps,
            strict_tools=args.strict_tools,
            max_tool_calls=args.max_tool_calls or None,
            packages=args.packages,
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
    storage = _storage_factory(parser, args)
    make_session = _session_factory(storage, _executor_kind(parser, args.executor), args)
    try:
        make_session()  # nothing starts until the first call: this only checks --package
    except ValueError as exc:
        parser.error(str(exc))
    options = ToolkitOptions.read_only() if args.read_only else None
    server = create_server(
        make_session,
        options,
        shared_session=args.shared_session,
        max_sessions=args.max_sessions or DEFAULT_MAX_SESSIONS,
        idle_timeout=args.idle_timeout or DEFAULT_IDLE_TIMEOUT,
    )
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
