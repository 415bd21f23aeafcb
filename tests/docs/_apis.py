"""Stand-ins for the public APIs and MCP server that docs/tools.md calls, on loopback.

- `http_apis`: api.github.com (a repository, its issues, creating one) and the Swagger
  petstore (its OpenAPI document and three of its operations), on one local HTTP server.
- `docs_mcp`: an MCP server over streamable HTTP, the page's `https://example.com/mcp`,
  with one tool, `search`.

Each yields the page's rewrites and environment, as `_servers.SERVERS` expects.
"""

from __future__ import annotations

import http.server
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests._support import send_json, serve_http, serving_on_a_free_port

__all__ = ["docs_mcp", "http_apis"]

GITHUB_TOKEN = "ghp_docs-stand-in-token"
"""The host's GITHUB_TOKEN on a docs page; the stand-in wants it as the Bearer token."""

PETSTORE_OPENAPI: dict[str, Any] = {
    "openapi": "3.0.4",
    "info": {"title": "Swagger Petstore - OpenAPI 3.0", "version": "1.0.26"},
    "servers": [{"url": "/api/v3"}],
    "paths": {
        "/pet": {
            "post": {
                "summary": "Add a new pet to the store.",
                "operationId": "addPet",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                    },
                },
                "responses": {"200": {"description": "Successful operation"}},
            }
        },
        "/pet/findByStatus": {
            "get": {
                "summary": "Finds Pets by status.",
                "operationId": "findPetsByStatus",
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "default": "available",
                            "enum": ["available", "pending", "sold"],
                        },
                    }
                ],
                "responses": {"200": {"description": "successful operation"}},
            }
        },
        "/pet/{petId}": {
            "get": {
                "summary": "Find pet by ID.",
                "operationId": "getPetById",
                "parameters": [
                    {
                        "name": "petId",
                        "in": "path",
                        "description": "ID of pet to return",
                        "required": True,
                        "schema": {"type": "integer", "format": "int64"},
                    },
                    {"name": "api_key", "in": "header", "schema": {"type": "string"}},
                ],
                "responses": {"200": {"description": "successful operation"}},
            }
        },
    },
    "components": {
        "schemas": {
            "Pet": {
                "type": "object",
                "required": ["name", "photoUrls"],
                "properties": {
                    "id": {"type": "integer", "format": "int64"},
                    "name": {"type": "string"},
                    "photoUrls": {"type": "array", "items": {"type": "string"}},
                    "status": {"type": "string", "enum": ["available", "pending", "sold"]},
                },
            }
        }
    },
}


def _api_handler() -> type[http.server.BaseHTTPRequestHandler]:
    """A handler class with state of its own: issues and pets a page may add to."""
    issues: dict[str, list[dict[str, Any]]] = {}
    pets: dict[int, dict[str, Any]] = {
        1: {"id": 1, "name": "doggie", "photoUrls": [], "status": "available"},
        2: {"id": 2, "name": "kitty", "photoUrls": [], "status": "pending"},
        3: {"id": 3, "name": "rex", "photoUrls": [], "status": "available"},
    }

    def repository_issues(repository: str) -> list[dict[str, Any]]:
        return issues.setdefault(
            repository,
            [
                {"number": 2, "title": "Add a README", "state": "open", "labels": []},
                {"number": 1, "title": "Fix the typo", "state": "closed", "labels": []},
            ],
        )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            parts = url.path.strip("/").split("/")
            if url.path == "/api/v3/openapi.json":
                self._json(200, PETSTORE_OPENAPI)
            elif url.path == "/api/v3/pet/findByStatus":
                self._json(200, [p for p in pets.values() if p["status"] == query.get("status")])
            elif parts[:3] == ["api", "v3", "pet"] and len(parts) == 4 and parts[3].isdigit():
                pet = pets.get(int(parts[3]))
                if pet is None:
                    self._json(404, {"code": 1, "type": "error", "message": "Pet not found"})
                else:
                    self._json(200, pet)
            elif parts[0] == "repos" and len(parts) == 3:
                repository = f"{parts[1]}/{parts[2]}"
                self._json(
                    200,
                    {
                        "full_name": repository,
                        "description": "My first repository on GitHub!",
                        "stargazers_count": 1234,
                        "default_branch": "main",
                    },
                )
            elif parts[0] == "repos" and len(parts) == 4 and parts[3] == "issues":
                state = query.get("state", "open")
                listed = [
                    issue
                    for issue in repository_issues(f"{parts[1]}/{parts[2]}")
                    if state == "all" or issue["state"] == state
                ]
                self._json(200, listed[: int(query.get("per_page", 30))])
            else:
                self._json(404, {"message": "Not Found"})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            parts = url.path.strip("/").split("/")
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if url.path == "/api/v3/pet":
                pet = {"id": max(pets) + 1, "photoUrls": [], **body}
                pets[pet["id"]] = pet
                self._json(200, pet)
            elif parts[0] == "repos" and len(parts) == 4 and parts[3] == "issues":
                if self.headers.get("Authorization") != f"Bearer {GITHUB_TOKEN}":
                    self._json(401, {"message": "Requires authentication"})
                    return
                listed = repository_issues(f"{parts[1]}/{parts[2]}")
                issue = {"number": len(listed) + 1, "state": "open", "labels": [], **body}
                listed.insert(0, issue)
                self._json(201, issue)
            else:
                self._json(404, {"message": "Not Found"})

        def _json(self, status: int, value: Any) -> None:
            send_json(self, status, value)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def http_apis(workdir: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """api.github.com and petstore3.swagger.io, with GITHUB_TOKEN set for the page."""
    with serve_http(_api_handler()) as url:
        rewrites = {"https://api.github.com": url, "https://petstore3.swagger.io": url}
        yield rewrites, {"GITHUB_API_URL": url, "GITHUB_TOKEN": GITHUB_TOKEN}


DOCS_SERVER = '''
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("docs")
PAGES = {
    "Tools": "https://example.com/docs/tools",
    "MCP servers": "https://example.com/docs/tools#mcp-servers",
    "Skills": "https://example.com/docs/skills",
}


@server.tool()
def search(query: str, limit: int = 5) -> list[dict[str, str]]:
    """Pages of the documentation whose title mentions the query."""
    found = [{"title": t, "url": u} for t, u in PAGES.items() if query.lower() in t.lower()]
    return found[:limit]


server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
'''


@contextmanager
def docs_mcp(workdir: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """An MCP server over streamable HTTP in place of https://example.com/mcp."""
    command = lambda port: [sys.executable, "-c", DOCS_SERVER, str(port)]  # noqa: E731
    with serving_on_a_free_port(command, "the docs MCP stand-in") as port:
        yield {"https://example.com/mcp": f"http://127.0.0.1:{port}/mcp"}, {"DOCS_TOKEN": "t0k"}
