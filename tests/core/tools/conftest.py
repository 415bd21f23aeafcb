"""Fixtures for the CLI tool tests: real binaries, a loopback HTTP server, registries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import yaml
from py_code_mode._tools import ToolRegistry

from tests._support import require_binary, serve_http

# Prints its arguments as a JSON list: shows exactly which argv a call rendered.
ARGV_SCRIPT = "import json, sys; print(json.dumps(sys.argv[1:]))"


@pytest.fixture
def registry_of() -> Callable[..., ToolRegistry]:
    """Build a registry from YAML texts or mappings, each labelled `<name>.yaml`."""

    def build(*definitions: str | dict[str, Any], cwd: Path | None = None) -> ToolRegistry:
        pairs = []
        for i, definition in enumerate(definitions):
            data = yaml.safe_load(definition) if isinstance(definition, str) else definition
            label = data.get("name", f"tool{i}") if isinstance(data, dict) else f"tool{i}"
            pairs.append((f"/workspace/tools/{label}.yaml", data))
        return ToolRegistry.from_definitions(pairs, cwd=cwd)

    return build


@pytest.fixture
def argv_tool() -> dict[str, Any]:
    """A tool whose command prints its argv as JSON, with every kind of parameter."""
    require_binary("python3")
    definition: dict[str, Any] = yaml.safe_load(
        f"""
        name: argv
        description: print argv
        command: [python3, -c, {json.dumps(ARGV_SCRIPT)}]
        schema:
          options:
            verbose: {{type: boolean, short: v}}
            null_input: {{type: boolean, flag: --null-input}}
            count: {{type: integer}}
            ratio: {{type: number, short: r}}
            name: {{type: string, short: n}}
            header: {{type: array, short: H}}
            mode: {{type: string, required: true, short: m}}
          positional:
            - {{name: first, type: string, required: true}}
            - {{name: second, type: string}}
            - {{name: rest, type: array}}
        recipes:
          run:
            description: with a preset and defaults
            preset: {{verbose: true, mode: slow}}
            params:
              first: {{}}
              count: {{default: 3}}
              verbose: {{}}
          bare:
            description: no params, no preset
        """
    )
    return definition


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/data":
            self._reply(200, json.dumps({"key": "value", "stars": 42}).encode())
        elif self.path == "/headers":  # what reached the server, to catch injected headers
            self._reply(200, json.dumps(sorted(self.headers.keys())).encode())
        else:
            self._reply(404, b"not here")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        echo = {
            "method": "POST",
            "body": body,
            "content_type": self.headers.get("Content-Type"),
        }
        self._reply(200, json.dumps(echo).encode())

    def _reply(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@pytest.fixture
def http_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Base URL of a loopback HTTP server; proxies are cleared so curl talks to it directly."""
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    with serve_http(_Handler) as url:
        yield url
