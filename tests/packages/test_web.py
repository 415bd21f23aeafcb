"""The web capability package, used for real: curl, jq and the `fetch` skill.

`tools.curl.get(url=...)` and `tools.jq.query(filter=".key", input=json_data)` from the
README must work as written. curl only talks to a loopback server started by the test.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from py_code_mode import Session
from py_code_mode._storage.file import FileStorage
from py_code_mode._tools import ToolRegistry
from py_code_mode.errors import ToolArgumentError, ToolFailedError

from tests._support import require_binary, serve_http
from tests.conftest import make_executor

pytestmark = pytest.mark.anyio

WEB = Path(__file__).resolve().parents[2] / "packages" / "web" / "tools"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def examples() -> ToolRegistry:
    """The web package's tools/*.yaml, parsed and loaded."""
    return ToolRegistry.from_definitions(
        (str(path), yaml.safe_load(path.read_text(encoding="utf-8")))
        for path in sorted(WEB.glob("*.yaml"))
    )


@pytest.fixture
def curl(examples: ToolRegistry, http_server: str) -> ToolRegistry:
    require_binary("curl")
    return examples


@pytest.fixture
def jq(examples: ToolRegistry) -> ToolRegistry:
    require_binary("jq")
    return examples


async def test_the_examples_load_from_a_workspaces_tools_directory(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    for path in WEB.glob("*.yaml"):
        shutil.copy(path, tmp_path / "tools" / path.name)

    with anyio.fail_after(30):
        definitions = await FileStorage(tmp_path).load_tool_definitions()
    registry = ToolRegistry.from_definitions(definitions)

    assert registry.names() == ["curl", "jq"]
    assert [c["name"] for c in (await registry.list())[0]["callables"]] == ["get", "post"]
    assert [c["name"] for c in (await registry.list())[1]["callables"]] == ["query", "raw"]


def test_the_examples_advertise_their_parameters_with_schema_types(examples: ToolRegistry) -> None:
    curl, jq = anyio.run(examples.list)

    get = curl["callables"][0]["parameters"]
    assert [(p["name"], p["type"], p["required"]) for p in get] == [
        ("url", "string", True),
        ("header", "array", False),
    ]
    query = jq["callables"][0]["parameters"]
    assert [(p["name"], p["type"], p["required"]) for p in query] == [
        ("filter", "string", True),
        ("raw_output", "boolean", False),
        ("compact", "boolean", False),
    ]


async def test_curl_get_returns_the_response_body(curl: ToolRegistry, http_server: str) -> None:
    with anyio.fail_after(30):
        body = await curl.call("curl", "get", {"url": f"{http_server}/data"})

    assert json.loads(body) == {"key": "value", "stars": 42}


async def test_curl_get_of_a_missing_page_raises_tool_failed(
    curl: ToolRegistry, http_server: str
) -> None:
    with pytest.raises(ToolFailedError, match="exit status 22"), anyio.fail_after(30):
        await curl.call("curl", "get", {"url": f"{http_server}/missing"})


async def test_curl_post_sends_the_body_literally_with_its_headers(
    curl: ToolRegistry, http_server: str
) -> None:
    # A body starting with "@" would make `curl -d` read a local file; --data-raw sends it.
    with anyio.fail_after(30):
        reply = await curl.call(
            "curl",
            "post",
            {
                "url": f"{http_server}/echo",
                "data": "@/etc/passwd",
                "header": ["Content-Type: text/plain"],
            },
        )

    assert json.loads(reply) == {
        "method": "POST",
        "body": "@/etc/passwd",
        "content_type": "text/plain",
    }


async def test_curl_refuses_an_option_smuggled_in_as_the_url(curl: ToolRegistry) -> None:
    with pytest.raises(ToolArgumentError):
        await curl.call("curl", "get", {"url": "-o/tmp/stolen"})


async def test_curl_of_an_unreachable_port_raises_tool_failed(
    curl: ToolRegistry, closed_port: int
) -> None:
    with pytest.raises(ToolFailedError, match="exit status 7"), anyio.fail_after(30):
        await curl.call("curl", "get", {"url": f"http://127.0.0.1:{closed_port}/"})


@pytest.mark.parametrize(
    "json_data",
    ['{"key": "value", "other": 1}', {"key": "value", "other": 1}, b'{"key": "value"}'],
    ids=["json text", "dict", "bytes"],
)
async def test_jq_query_filters_the_json_given_as_input(jq: ToolRegistry, json_data: Any) -> None:
    with anyio.fail_after(30):
        output = await jq.call("jq", "query", {"filter": ".key", "input": json_data})

    assert output == '"value"\n'


async def test_jq_raw_prints_strings_without_quotes(jq: ToolRegistry) -> None:
    data = {"items": [{"name": "a; rm -rf /"}, {"name": "$(b)"}]}

    with anyio.fail_after(30):
        output = await jq.call("jq", "raw", {"filter": ".items[].name", "input": data})

    assert output == "a; rm -rf /\n$(b)\n"


async def test_jq_query_with_compact_output(jq: ToolRegistry) -> None:
    with anyio.fail_after(30):
        output = await jq.call(
            "jq", "query", {"filter": ".", "input": {"a": [1, 2]}, "compact": True}
        )

    assert output == '{"a":[1,2]}\n'


async def test_jq_with_a_bad_filter_raises_tool_failed(jq: ToolRegistry) -> None:
    with pytest.raises(ToolFailedError), anyio.fail_after(30):
        await jq.call("jq", "query", {"filter": ".[", "input": "{}"})


async def test_jq_without_input_reads_an_empty_stdin(jq: ToolRegistry) -> None:
    with anyio.fail_after(30):
        output = await jq.call("jq", "query", {"filter": "."})

    assert output == ""


# --- what a tool may reach ----------------------------------------------------------------


async def test_curl_reaches_only_http_and_https(curl: ToolRegistry, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("host file contents")
    with pytest.raises(ToolFailedError) as excinfo, anyio.fail_after(30):
        await curl.call("curl", "get", {"url": f"file://{secret}"})
    assert "host file contents" not in str(excinfo.value)


@pytest.mark.parametrize("header", ["X-A: 1\r\nInjected: yes", "X-A: 1\nInjected: yes"])
async def test_a_line_break_in_a_curl_header_is_refused_before_curl_runs(
    curl: ToolRegistry, http_server: str, header: str
) -> None:
    with pytest.raises(ToolArgumentError, match="header"), anyio.fail_after(30):
        await curl.call("curl", "get", {"url": f"{http_server}/headers", "header": [header]})
    with anyio.fail_after(30):
        sent = await curl.call(
            "curl", "get", {"url": f"{http_server}/headers", "header": ["X-A: 1"]}
        )
    assert "X-A" in json.loads(sent) and "Injected" not in json.loads(sent)


async def test_jq_does_not_see_the_hosts_environment(
    jq: ToolRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PCM_TEST_SECRET", "s3cr3t-value")
    with anyio.fail_after(30):
        seen = await jq.call("jq", "query", {"filter": "$ENV.PCM_TEST_SECRET", "input": "null"})
    assert seen.strip() == "null"


# --- the package in a session: the fetch skill ----------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><title>Release &amp; notes</title>
<style>body { color: red }</style><script>var secret = "do not show";</script></head>
<body><nav><a href="/">Home</a></nav>
<h1>What&#39;s new</h1>
<p>Faster   startup,
   fewer <b>surprises</b>.</p>
<ul><li>one</li><li>two &lt;3</li></ul>
<pre>def f():
    return 1</pre>
<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>
<noscript>enable javascript</noscript>
</body></html>"""


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/page":
            self._reply(PAGE.encode(), "text/html; charset=utf-8")
        elif self.path == "/long":
            self._reply(("<p>" + "word " * 5000 + "</p>").encode(), "text/html")
        elif self.path == "/json":
            self._reply(b'{"a": [1, 2]}', "application/json")
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def _reply(self, payload: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    with serve_http(_Pages) as url:
        yield url


@pytest.fixture
async def web(tmp_path: Path, executor_kind: str) -> AsyncIterator[Session]:
    require_binary("curl")
    require_binary("jq")
    async with Session.from_base(
        tmp_path / "ws", executor=make_executor(executor_kind), packages=["web"]
    ) as session:
        yield session


async def succeeded(session: Session, code: str) -> Any:
    with anyio.fail_after(60):
        result = await session.run(code)
    assert result.error is None, result.error
    return result.value


async def test_the_package_offers_curl_jq_and_fetch(web: Session) -> None:
    assert {t["name"] for t in await web.list_tools()} >= {"curl", "jq"}
    [fetch] = [s for s in await web.list_skills() if s["name"] == "fetch"]
    assert fetch["package"] == "web" and fetch["params"] == {
        "url": "string",
        "max_chars": "integer",
    }


async def test_fetch_turns_a_page_into_readable_text(web: Session, pages: str) -> None:
    text = await succeeded(web, f"skills.fetch(url={pages + '/page'!r})")

    assert text.startswith("# Release & notes\n")
    assert "# What's new" in text
    assert "Faster startup, fewer surprises." in text
    assert "- one\n- two <3" in text
    assert "def f():\n    return 1" in text  # preformatted text keeps its lines
    assert "| a | b" in text and "| 1 | 2" in text
    for hidden in ("do not show", "color: red", "enable javascript", "<", "&amp;"):
        assert hidden not in text.replace("two <3", ""), hidden


async def test_fetch_cuts_long_pages_and_passes_json_through(web: Session, pages: str) -> None:
    short = await succeeded(web, f"skills.fetch(url={pages + '/long'!r}, max_chars=100)")
    assert short.startswith("word word") and "more characters; raise max_chars" in short
    assert len(short.split("\n\n")[0]) == 100
    data = await succeeded(
        web, f"tools.jq.query(filter='.a | add', input=skills.fetch(url={pages + '/json'!r}))"
    )
    assert data == "3\n"


async def test_fetch_refuses_what_is_not_http_and_reports_http_errors(
    web: Session, pages: str
) -> None:
    for url in ("file:///etc/passwd", "-K/etc/passwd", "gopher://127.0.0.1:6379/"):
        result = await web.run(f"skills.fetch(url={url!r})")
        assert result.error is not None and "http:// or https://" in result.error
    missing_page = await web.run(f"skills.fetch(url={pages + '/nothere'!r})")
    assert missing_page.error is not None and "ToolFailedError" in missing_page.error
    assert "404" in missing_page.error
    assert await succeeded(web, "1 + 1") == 2  # the session keeps working
