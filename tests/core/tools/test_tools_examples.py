"""The shipped examples/tools/curl.yaml and jq.yaml, run for real as the README uses them.

`tools.curl.get(url=...)` and `tools.jq.query(filter=".key", input=json_data)` from the
README must work as written. curl only talks to a loopback server started by the test.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from py_code_mode._storage.file import FileStorage
from py_code_mode._tools import ToolRegistry
from py_code_mode.errors import ToolArgumentError, ToolFailedError

from tests._support import require_binary

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "tools"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def examples() -> ToolRegistry:
    """The shipped examples/tools/*.yaml, parsed and loaded."""
    return ToolRegistry.from_definitions(
        (str(path), yaml.safe_load(path.read_text(encoding="utf-8")))
        for path in sorted(EXAMPLES.glob("*.yaml"))
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
    for path in EXAMPLES.glob("*.yaml"):
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
