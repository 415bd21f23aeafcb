"""Local servers a docs page may ask for (`<!-- docs-test-page servers: redis -->`).

Each takes the page's directory and yields two mappings: text to rewrite in the page's
blocks (a public URL to the local one) and environment variables for the page's process.
"""

from __future__ import annotations

import http.server
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

from tests._support import build_wheel, require_binary, serve_http
from tests.docs._apis import docs_mcp, http_apis
from tests.docs._github import GitHubStandIn
from tests.storage.conftest import RedisServer

__all__ = ["SERVERS"]


@contextmanager
def _redis(workdir: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    server = RedisServer(require_binary("redis-server"), workdir / ".redis")
    server.start()
    try:
        local = server.url.removesuffix("/0")
        yield {"redis://localhost:6379": local}, {"PY_CODE_MODE_REDIS_URL": server.url}
    finally:
        server.stop()


@contextmanager
def _github(workdir: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    with serve_http(GitHubStandIn) as url:
        # The stand-in takes any token; the github package's tool needs one to be set.
        yield {"https://api.github.com": url}, {"GITHUB_API_URL": url, "GITHUB_TOKEN": "docs"}


class _PythonDocsPage(http.server.BaseHTTPRequestHandler):
    """docs.python.org's "What's New" index, shortened: the same HTML for every path."""

    BODY = (
        b"<!DOCTYPE html><html><head><title>What's New in Python</title></head><body>"
        b"<h1>What's New in Python</h1>"
        b"<p>The pages below explain what is new in each release of Python.</p>"
        b"<ul><li>What's New In Python 3.14</li><li>What's New In Python 3.13</li></ul>"
        b"</body></html>"
    )

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.BODY)))
        self.end_headers()
        self.wfile.write(self.BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _python_docs(workdir: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """https://docs.python.org, for a page that fetches it with the web package."""
    with serve_http(_PythonDocsPage) as url:
        yield {"https://docs.python.org": url}, {}


@contextmanager
def _wheelhouse(workdir: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """`./wheels`: wheels to install from without a network, as in tests/conftest.py.

    tinypkg 1.0 and 2.0, and tinyextra 1.0 whose extra `fast` needs tinypkg>=2. uv and pip
    get caches of their own and no user configuration.
    """
    wheels = workdir / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "tinypkg", "1.0", {"tinypkg/__init__.py": "VALUE = 1\n"})
    build_wheel(wheels, "tinypkg", "2.0", {"tinypkg/__init__.py": "VALUE = 2\n"})
    build_wheel(
        wheels,
        "tinyextra",
        "1.0",
        {"tinyextra/__init__.py": "EXTRA = True\n"},
        metadata='Provides-Extra: fast\nRequires-Dist: tinypkg>=2; extra == "fast"\n',
    )
    caches = workdir / ".installer-cache"
    isolated = {
        "UV_CACHE_DIR": str(caches / "uv"),
        "UV_NO_CONFIG": "1",
        "PIP_CACHE_DIR": str(caches / "pip"),
        "PIP_CONFIG_FILE": os.devnull,
    }
    yield {}, isolated


@contextmanager
def _deployment(workdir: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """examples/production as processes: Redis and compose.yaml's two replicas, with a token.

    The page's `http://127.0.0.1:8001/mcp` and `:8002` are the replicas' real URLs.
    """
    from tests.examples import test_production as production

    with ExitStack() as stack:
        redis_url = production.start_redis(workdir / ".deployment" / "redis", stack)
        servers = [
            production.start_server(
                production.local(production.flags(service), redis_url),
                workdir / ".deployment" / f"{name}.log",
                stack,
            )
            for name, service in production.replicas(production.compose()).items()
        ]
        urls = {f"http://127.0.0.1:{8001 + i}/mcp": s.url for i, s in enumerate(servers)}
        yield urls, {"PY_CODE_MODE_MCP_TOKEN": production.TOKEN}


Server = Callable[[Path], AbstractContextManager[tuple[dict[str, str], dict[str, str]]]]
SERVERS: dict[str, Server] = {
    "deployment": _deployment,
    "redis": _redis,
    "github": _github,
    "wheelhouse": _wheelhouse,
    "http-apis": http_apis,
    "docs-mcp": docs_mcp,
    "python-docs": _python_docs,
}
"""What a page may ask for: each yields the URLs to rewrite and environment variables."""
