"""HTTP APIs as tools: endpoints and OpenAPI documents, against a real local HTTP server.

The server records the raw request lines it gets, so the tests see exactly what reached it:
an encoded path segment, a query, a header.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import pytest
import yaml
from py_code_mode import FileStorage, Session
from py_code_mode._tools import ToolRegistry
from py_code_mode.errors import ToolArgumentError, ToolDefinitionError, ToolFailedError

from tests.conftest import make_executor

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
BIG = 50 * 1024 * 1024


def openapi_document(server: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Stand-in GitHub", "version": "1"},
        "servers": [{"url": server}],
        "paths": {
            "/repos/{owner}/{repo}": {
                "parameters": [
                    {"name": "owner", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"$ref": "#/components/parameters/repo"},
                ],
                "get": {"operationId": "reposGet", "summary": "Repository metadata"},
            },
            "/repos/{owner}/{repo}/issues": {
                "get": {
                    "operationId": "issues/list-for-repo",
                    "summary": "List issues",
                    "parameters": [
                        {"name": "owner", "in": "path", "required": True},
                        {"name": "repo", "in": "path", "required": True},
                        {"name": "state", "in": "query", "schema": {"type": "string"}},
                        {"name": "per_page", "in": "query", "schema": {"type": "integer"}},
                        {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                    ],
                },
                "post": {
                    "operationId": "issuesCreate",
                    "parameters": [
                        {"name": "owner", "in": "path", "required": True},
                        {"name": "repo", "in": "path", "required": True},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Issue"}}
                        },
                    },
                },
            },
        },
        "components": {
            "parameters": {
                "repo": {
                    "name": "repo",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
            "schemas": {
                "Issue": {
                    "type": "object",
                    "properties": {"title": {"type": "string"}},
                    "required": ["title"],
                }
            },
        },
    }


class _API(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.seen.append(self.requestline)
        url = urlsplit(self.path)
        parts = url.path.split("/")
        if url.path == "/openapi.json":
            host, port = self.server.server_address[:2]
            self._json(200, openapi_document(f"http://{host!s}:{port}"))
        elif url.path == "/headers":
            self._json(200, {k.lower(): v for k, v in self.headers.items()})
        elif url.path == "/status/500":
            self._reply(500, b"database on fire " * 500, "text/plain")
        elif url.path == "/html":
            self._reply(200, b"<html><body>hello</body></html>", "text/html; charset=utf-8")
        elif url.path == "/fake-json":
            self._reply(200, b"<html>not json</html>", "application/json")
        elif url.path == "/png":
            self._reply(200, PNG, "image/png")
        elif url.path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(BIG))
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(BIG // len(chunk)):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif url.path == "/redirect/same":
            self._redirect("/repos/moved/here")
        elif url.path == "/redirect/other":
            self._redirect(f"http://localhost:{self.server.server_address[1]}/repos/a/b")
        elif url.path == "/empty":
            self.send_response(204)
            self.end_headers()
        elif len(parts) == 4 and parts[1] == "repos":
            self._json(200, {"full_name": f"{parts[2]}/{parts[3]}", "path": url.path})
        elif len(parts) == 5 and parts[4] == "issues":
            self._json(200, {"query": parse_qs(url.query)})
        else:
            self._reply(404, b"not here", "text/plain")

    def do_POST(self) -> None:
        self.server.seen.append(self.requestline)
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"null")
        self._json(201, {"created": body, "type": self.headers.get("Content-Type")})

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _json(self, status: int, data: Any) -> None:
        self._reply(status, json.dumps(data).encode(), "application/json")

    def _reply(self, status: int, payload: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    seen: list[str]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    server = _Server(("127.0.0.1", 0), _API)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def base(server: _Server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def github(server: _Server, **extra: Any) -> dict[str, Any]:
    return {
        "name": "github",
        "type": "http",
        "description": "A stand-in GitHub",
        "base_url": base(server),
        "headers": {"Authorization": "Bearer ${PCM_TEST_TOKEN}"},
        "timeout": 10,
        "endpoints": {
            "get_repo": {"method": "GET", "path": "/repos/{owner}/{repo}",
                         "description": "Repository metadata"},
            "list_issues": {"method": "GET", "path": "/repos/{owner}/{repo}/issues",
                            "query": ["state", "labels"]},
            "create_issue": {"method": "post", "path": "/repos/{owner}/{repo}/issues",
                             "body": True},
            "headers": {"method": "GET", "path": "/headers"},
            "fail": {"method": "GET", "path": "/status/500"},
            "html": {"method": "GET", "path": "/html"},
            "fake_json": {"method": "GET", "path": "/fake-json"},
            "png": {"method": "GET", "path": "/png"},
            "big": {"method": "GET", "path": "/big"},
            "same_host": {"method": "GET", "path": "/redirect/same"},
            "other_host": {"method": "GET", "path": "/redirect/other"},
            "empty": {"method": "GET", "path": "/empty"},
        },
        **extra,
    }  # fmt: skip


@asynccontextmanager
async def registry(
    *definitions: dict[str, Any], source: str = "/workspace/tools"
) -> AsyncIterator[ToolRegistry]:
    built = ToolRegistry.from_definitions([(f"{source}/{d['name']}.yaml", d) for d in definitions])
    try:
        with anyio.fail_after(60):
            yield built
    finally:
        await built.aclose()


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCM_TEST_TOKEN", "tok-abcdef123")


# --- the definition --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"endpoints": {}}, "give `endpoints`"),
        ({"base_url": None}, "`base_url` is missing"),
        ({"base_url": "file:///etc"}, "is not an http:// or https:// URL"),
        ({"openapi": "x.json"}, "give `endpoints` or `openapi`, not both"),
        ({"endpoints": {"x": {"method": "GET", "path": "repos"}}}, "must start with '/'"),
        ({"endpoints": {"x": {"method": "GET", "path": "/a?b=1"}}}, "holds a query"),
        ({"endpoints": {"x": {"method": "GET", "path": "/{a}/{a}"}}}, "names a parameter twice"),
        ({"endpoints": {"x": {"method": "GET", "path": "/{a-b}"}}}, "is not allowed"),
        ({"endpoints": {"x": {"method": "GET", "path": "/{body}"}}}, "not named body"),
        ({"endpoints": {"x": {"method": "GET", "path": "/{a}", "query": ["a"]}}}, "once"),
        ({"endpoints": {"x": {"method": "GET", "path": "/", "body": True}}}, "has no body"),
        ({"endpoints": {"x": {"method": "FETCH", "path": "/"}}}, "Input should be 'GET'"),
        ({"headers": {"X": "a\nb"}}, "line break"),
        ({"base_url": "${UNCLOSED"}, "starts no variable"),
    ],
)
def test_a_malformed_api_definition_says_what_is_wrong(
    api: _Server, change: dict[str, Any], expected: str
) -> None:
    data = {**github(api), **change}
    data = {key: value for key, value in data.items() if value is not None}
    with pytest.raises(ToolDefinitionError) as excinfo:
        ToolRegistry.from_definitions([("/w/tools/github.yaml", data)])
    assert expected in str(excinfo.value)


# --- calls -----------------------------------------------------------------------------


async def test_endpoints_are_listed_with_their_parameters(api: _Server) -> None:
    async with registry(github(api)) as tools:
        [listed] = await tools.list()
        described = await tools.describe("github")
    calls = {c["name"]: c for c in listed["callables"]}
    assert calls["get_repo"]["description"] == "Repository metadata"
    assert [(p["name"], p["required"]) for p in calls["get_repo"]["parameters"]] == [
        ("owner", True), ("repo", True), ("query_params", False),
    ]  # fmt: skip
    assert "body" in [p["name"] for p in calls["create_issue"]["parameters"]]
    schema = next(c for c in described["callables"] if c["name"] == "list_issues")["input_schema"]
    assert schema["additionalProperties"] is False and set(schema["required"]) == {"owner", "repo"}


async def test_json_comes_back_parsed_and_text_and_bytes_as_they_are(api: _Server) -> None:
    async with registry(github(api)) as tools:
        repo = await tools.call("github", "get_repo", {"owner": "octo", "repo": "cat"})
        html = await tools.call("github", "html", {})
        png = await tools.call("github", "png", {})
        empty = await tools.call("github", "empty", {})
    assert repo == {"full_name": "octo/cat", "path": "/repos/octo/cat"}
    assert html == "<html><body>hello</body></html>"
    assert png == PNG
    assert empty is None


async def test_query_values_and_a_json_body_are_sent_as_such(api: _Server) -> None:
    async with registry(github(api)) as tools:
        listed = await tools.call(
            "github", "list_issues",
            {"owner": "o", "repo": "r", "state": "open", "labels": ["bug", "ui"],
             "query_params": {"per_page": 5, "draft": False}},
        )  # fmt: skip
        created = await tools.call(
            "github", "create_issue", {"owner": "o", "repo": "r", "body": {"title": "Hi"}}
        )
    assert listed == {
        "query": {"per_page": ["5"], "draft": ["false"], "state": ["open"], "labels": ["bug", "ui"]}
    }
    assert created == {"created": {"title": "Hi"}, "type": "application/json"}


async def test_the_hosts_token_goes_in_the_header_and_never_back(api: _Server) -> None:
    async with registry(github(api)) as tools:
        headers = await tools.call("github", "headers", {})
        with pytest.raises(ToolFailedError) as failed:
            await tools.call("github", "fail", {})
    assert headers["authorization"] == "Bearer tok-abcdef123"
    assert "tok-abcdef123" not in str(failed.value)


async def test_a_base_url_may_name_a_host_variable_with_a_public_fallback(
    api: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = github(api, base_url="${PCM_TEST_API:-https://api.invalid}")
    monkeypatch.setenv("PCM_TEST_API", base(api))
    async with registry(definition) as tools:
        repo = await tools.call("github", "get_repo", {"owner": "a", "repo": "b"})
        # The base URL is not a secret: responses that repeat it are not redacted.
        assert repo == {"full_name": "a/b", "path": "/repos/a/b"}

        monkeypatch.delenv("PCM_TEST_API")
        with pytest.raises(ToolFailedError, match="api.invalid"):
            await tools.call("github", "get_repo", {"owner": "a", "repo": "b"})

        monkeypatch.setenv("PCM_TEST_API", "file:///etc")
        with pytest.raises(ToolFailedError, match="not an http:// or https:// URL"):
            await tools.call("github", "get_repo", {"owner": "a", "repo": "b"})


async def test_path_values_cannot_add_segments_or_reach_another_host(api: _Server) -> None:
    async with registry(github(api)) as tools:
        traversal = await tools.call("github", "get_repo", {"owner": "../../admin", "repo": "x"})
        elsewhere = await tools.call(
            "github", "get_repo", {"owner": "@evil.example", "repo": "a?b=c#d"}
        )
        with pytest.raises(ToolArgumentError, match="would change the path"):
            await tools.call("github", "get_repo", {"owner": "..", "repo": "x"})
        with pytest.raises(ToolArgumentError, match="would change the path"):
            await tools.call("github", "get_repo", {"owner": "", "repo": "x"})
    assert traversal["full_name"] == "..%2F..%2Fadmin/x"  # one segment, as the server saw it
    assert elsewhere["full_name"] == "%40evil.example/a%3Fb%3Dc%23d"
    assert all(line.startswith(("GET /repos/", "GET /")) for line in api.seen)


async def test_bad_arguments_are_refused_before_any_request(api: _Server) -> None:
    async with registry(github(api)) as tools:
        with pytest.raises(ToolArgumentError, match="missing required argument 'repo'"):
            await tools.call("github", "get_repo", {"owner": "o"})
        with pytest.raises(ToolArgumentError, match="unexpected argument 'Authorization'"):
            await tools.call("github", "headers", {"Authorization": "Bearer mine"})
        with pytest.raises(ToolArgumentError, match="argument 'state'"):
            await tools.call("github", "list_issues", {"owner": "o", "repo": "r", "state": {}})
    assert api.seen == []


async def test_failures_say_what_happened_and_the_tool_keeps_working(api: _Server) -> None:
    async with registry(github(api)) as tools:
        with pytest.raises(ToolFailedError) as server_error:
            await tools.call("github", "fail", {})
        with pytest.raises(ToolFailedError, match="declared as JSON that is not JSON"):
            await tools.call("github", "fake_json", {})
        with pytest.raises(ToolFailedError, match="larger than 10485760 bytes"):
            await tools.call("github", "big", {})
        again = await tools.call("github", "get_repo", {"owner": "a", "repo": "b"})
    message = str(server_error.value)
    assert message.startswith("github.fail() got HTTP 500 Internal Server Error from GET /status")
    assert "database on fire" in message and len(message) < 2200  # a bounded excerpt
    assert again["full_name"] == "a/b"


async def test_redirects_are_followed_on_the_same_host_only(api: _Server) -> None:
    async with registry(github(api)) as tools:
        moved = await tools.call("github", "same_host", {})
        with pytest.raises(ToolFailedError, match="redirected to http://localhost, another host"):
            await tools.call("github", "other_host", {})
    assert moved["full_name"] == "moved/here"


async def test_an_api_that_is_not_there_is_a_tool_failure(api: _Server) -> None:
    definition = github(api, base_url="http://127.0.0.1:9", timeout=5)
    async with registry(definition) as tools:
        with pytest.raises(ToolFailedError, match="could not reach 127.0.0.1"):
            await tools.call("github", "get_repo", {"owner": "a", "repo": "b"})


# --- OpenAPI ---------------------------------------------------------------------------


async def test_an_openapi_document_by_url_becomes_snake_case_callables(api: _Server) -> None:
    definition = {"name": "gh", "type": "http", "openapi": f"{base(api)}/openapi.json"}
    async with registry(definition) as tools:
        [listed] = await tools.list()
        repo = await tools.call("gh", "repos_get", {"owner": "octo", "repo": "cat"})
        issues = await tools.call(
            "gh", "issues_list_for_repo", {"owner": "o", "repo": "r", "per_page": 2}
        )
        created = await tools.call("gh", "issues_create", {"owner": "o", "repo": "r",
                                                         "body": {"title": "Hi"}})  # fmt: skip
        with pytest.raises(ToolArgumentError, match="argument 'per_page'"):
            await tools.call("gh", "issues_list_for_repo", {"owner": "o", "repo": "r",
                                                            "per_page": "two"})  # fmt: skip
        with pytest.raises(ToolArgumentError, match="unexpected argument 'X_Trace'"):
            await tools.call("gh", "issues_list_for_repo", {"owner": "o", "repo": "r",
                                                            "X_Trace": "1"})  # fmt: skip
        described = await tools.describe("gh")
    names = [c["name"] for c in listed["callables"]]
    assert names == ["repos_get", "issues_list_for_repo", "issues_create"]
    assert repo["full_name"] == "octo/cat"
    assert issues == {"query": {"per_page": ["2"]}}
    assert created["created"] == {"title": "Hi"}
    create = next(c for c in described["callables"] if c["name"] == "issues_create")
    assert create["input_schema"]["properties"]["body"]["required"] == ["title"]  # $ref inlined


async def test_an_openapi_document_beside_the_definition(api: _Server, tmp_path: Path) -> None:
    (tmp_path / "gh.json").write_text(json.dumps(openapi_document(base(api))))
    definition = {"name": "gh", "type": "http", "openapi": "gh.json"}
    async with registry(definition, source=str(tmp_path)) as tools:
        repo = await tools.call("gh", "repos_get", {"owner": "a", "repo": "b"})
    assert repo["full_name"] == "a/b"


async def test_a_document_that_is_not_openapi_is_listed_with_its_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps({"swagger": "2.0", "paths": {}}))
    missing = {"name": "gone", "type": "http", "openapi": "nowhere.json"}
    wrong = {"name": "old", "type": "http", "openapi": "bad.json"}
    async with registry(missing, wrong, source=str(tmp_path)) as tools:
        gone, old = await tools.list()
        with pytest.raises(ToolFailedError, match="is not an OpenAPI 3 document"):
            await tools.call("old", "anything", {})
    assert "cannot be read" in gone["error"]
    assert "is not an OpenAPI 3 document" in old["error"]


# --- from agent code -------------------------------------------------------------------


async def test_agent_code_calls_the_api_from_every_executor(
    api: _Server, workspace: Path, executor_kind: str
) -> None:
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "github.yaml").write_text(yaml.safe_dump(github(api)))
    executor = make_executor(executor_kind)
    async with Session(storage=FileStorage(workspace), executor=executor) as session:
        result = await session.run(
            "repo = tools.github.get_repo(owner='octo', repo='cat')\n"
            "[repo['full_name'], tools.github.png()[:4]]"
        )
    assert result.error is None, result.error
    assert result.value == ["octo/cat", PNG[:4]]


async def test_a_line_break_in_a_query_value_stays_in_the_query(api: _Server) -> None:
    async with registry(github(api)) as tools:
        listed = await tools.call(
            "github", "list_issues", {"owner": "o", "repo": "r", "state": "open\r\nX-Evil: 1"}
        )
        headers = await tools.call("github", "headers", {})
    assert listed == {"query": {"state": ["open\r\nX-Evil: 1"]}}  # encoded, then decoded
    assert "x-evil" not in headers
    [request_line] = [line for line in api.seen if "/issues" in line]
    assert "open%0D%0AX-Evil%3A+1" in request_line and "\r" not in request_line


async def test_openapi_parameters_that_are_not_identifiers_become_keywords(
    api: _Server, tmp_path: Path
) -> None:
    """`{repo-name}`, `page-size` and a query parameter called `body`: each gets a Python
    keyword, and the request still says the API's own names."""
    document = openapi_document(base(api))
    document["paths"]["/repos/{owner}/{repo-name}/issues"] = {
        "get": {
            "operationId": "listIssues",
            "parameters": [
                {"name": "owner", "in": "path", "required": True},
                {"name": "repo-name", "in": "path", "required": True},
                {"name": "page-size", "in": "query", "schema": {"type": "integer"}},
                {"name": "body", "in": "query", "schema": {"type": "string"}},
                {"name": "class", "in": "query", "schema": {"type": "string"}},
            ],
        }
    }
    (tmp_path / "gh.json").write_text(json.dumps(document))
    definition = {"name": "gh", "type": "http", "openapi": "gh.json"}
    async with registry(definition, source=str(tmp_path)) as tools:
        arguments = {"owner": "o", "repo_name": "r", "page_size": 5, "body_": "x", "class_": "c"}
        answer = await tools.call("gh", "list_issues", arguments)
        stub = await tools.stubs("gh.list_issues")
        described = await tools.describe("gh")
    assert api.seen[-1].startswith("GET /repos/o/r/issues?")
    assert answer == {"query": {"page-size": ["5"], "body": ["x"], "class": ["c"]}}
    listed = next(c for c in described["callables"] if c["name"] == "list_issues")
    keywords = set(listed["input_schema"]["properties"])
    assert {"owner", "repo_name", "page_size", "body_", "class_"} <= keywords
    assert "(sent as page-size)" in listed["input_schema"]["properties"]["page_size"].get(
        "description", ""
    )
    compile(stub, "<stub>", "exec")  # the stub is Python: no `page-size: int` in it
    assert "repo_name: str | int" in stub and "page_size: int | None" in stub
