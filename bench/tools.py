"""What a tool call from agent code costs, against the same call made directly, in one run.

    uv run python bench/tools.py [--rounds N]

- MCP: `tools.math.add(a=1, b=2)` in a run (subprocess worker, stdio server on the
  official SDK)  vs  `Client.call_tool("add", ...)` on an open official client;
- HTTP: `tools.api.get_item(item="1")` in a run  vs  `httpx.AsyncClient.get` on an open
  client, both against one local HTTP server;
- each once per run (the run's own round trip included) and ten calls per run (against
  ten direct calls), which is how code mode is meant to be used;
- ten HTTP calls to an endpoint that takes 10 ms, as real APIs take at least that: the
  fixed cost per call (the channel, validation) against a realistic latency;
- a host function (`Session(tools=[lookup])`): ten calls per run  vs  ten direct awaits of
  the same async function, which is the whole cost of crossing from the worker.

Both sides are sampled alternately (bench/session.py says why). Targets (issue 14): MCP
<= 1.2x, HTTP <= 1.2x; the host function has none (its direct call costs microseconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from py_code_mode import FileStorage, Session, SubprocessExecutor

sys.path.insert(0, str(Path(__file__).resolve().parent))
from session import paired_medians, report  # noqa: E402 - the sibling bench's helpers

SERVER = Path(__file__).resolve().parents[1] / "tests" / "core" / "tools" / "mcp_server.py"


class _Items(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as any real API client uses
    # One write per response: headers and body in separate packets meet Nagle's algorithm
    # and delayed ACKs, and every keep-alive request would wait 40 ms for nothing.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        if self.path.startswith("/slow/"):
            time.sleep(0.01)  # an API that takes 10 ms, as real ones take more
        payload = json.dumps({"item": self.path.rsplit("/", 1)[-1], "ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


async def lookup(item: str) -> dict[str, Any]:
    """A host function: what an app offers its agent without any server."""
    return {"item": item, "ok": True}


def workspace(base: Path, api: str) -> Path:
    tools = base / "tools"
    tools.mkdir(parents=True)
    mcp = {"name": "math", "type": "mcp", "command": sys.executable, "args": [str(SERVER)]}
    http = {
        "name": "api",
        "type": "http",
        "base_url": api,
        "endpoints": {
            "get_item": {"method": "GET", "path": "/items/{item}"},
            "get_slow": {"method": "GET", "path": "/slow/{item}"},
        },
    }
    (tools / "math.yaml").write_text(yaml.safe_dump(mcp))
    (tools / "api.yaml").write_text(yaml.safe_dump(http))
    return base


async def bench(base: Path, rounds: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Items)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{server.server_address[1]}"
    params = StdioServerParameters(command=sys.executable, args=[str(SERVER)])
    storage = FileStorage(workspace(base, api))
    try:
        async with (
            Session(storage=storage, executor=SubprocessExecutor(), tools=[lookup]) as session,
            Client(params) as client,
            httpx.AsyncClient() as http,
        ):
            await session.run("tools.math.add(a=1, b=2); tools.api.get_item(item='1')")

            async def mcp_direct(times: int) -> None:
                for _ in range(times):
                    await client.call_tool("add", {"a": 1, "b": 2})

            async def http_direct(times: int, path: str = "items") -> None:
                for _ in range(times):
                    (await http.get(f"{api}/{path}/1")).json()

            for times in (1, 10):
                mcp_code = f"for _ in range({times}): tools.math.add(a=1, b=2)"
                http_code = f"for _ in range({times}): tools.api.get_item(item='1')"
                ours, baseline = await paired_medians(
                    lambda code=mcp_code: session.run(code),  # type: ignore[misc]
                    lambda n=times: mcp_direct(n),  # type: ignore[misc]
                    rounds,
                )
                report(f"MCP, {times} call(s) per run", ours, baseline, "<= 1.2x")
                ours, baseline = await paired_medians(
                    lambda code=http_code: session.run(code),  # type: ignore[misc]
                    lambda n=times: http_direct(n),  # type: ignore[misc]
                    rounds,
                )
                report(f"HTTP, {times} call(s) per run", ours, baseline, "<= 1.2x")
            slow_code = "for _ in range(10): tools.api.get_slow(item='1')"
            ours, baseline = await paired_medians(
                lambda: session.run(slow_code),
                lambda: http_direct(10, "slow"),
                max(rounds // 10, 5),
            )
            report("HTTP, 10 calls to a 10 ms API", ours, baseline, "<= 1.2x")

            async def direct_lookup() -> None:
                for _ in range(10):
                    await lookup("1")

            ours, baseline = await paired_medians(
                lambda: session.run("for _ in range(10): tools.lookup(item='1')"),
                direct_lookup,
                rounds,
            )
            report("host function, 10 calls per run", ours, baseline, "none")
    finally:
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as base:
        asyncio.run(bench(Path(base) / "ws", rounds))


if __name__ == "__main__":
    main()
