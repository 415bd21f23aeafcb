"""Check a py-code-mode MCP deployment end to end: two replicas over one Redis.

    export PY_CODE_MODE_MCP_TOKEN=...   # the token the servers were started with
    python smoke.py                     # http://127.0.0.1:8001/mcp http://127.0.0.1:8002/mcp
    python smoke.py URL1 URL2 [URL...]  # elsewhere; the same URL twice checks one server

It talks to the replicas the way an agent's MCP client does, with the official MCP SDK
(`pip install 'mcp>=2.3,<3'`, which py-code-mode[mcp] brings), and proves that:

- every replica wants the bearer token (HTTP 401 without it) and accepts this one;
- every replica lists its tools, runs code and keeps a session's variables between calls;
- what replica 1 saves (a skill, an artifact) replica 2 finds, runs and loads: the library
  lives in Redis and is shared;
- variables are not shared: each MCP session has its own Python session.

It prints one line per check. Exit status: 0 when every check passed; 1 when one failed
(the message says which and why; later checks are not run); 2 when the checks could not
run at all (a replica cannot be reached, or no token is set).

Everything it saves has a random name (`smoke_double_<run>`, `smoke/<run>.json`) and is
deleted at the end, also after a failure, so it can be run against a live deployment as
often as you like.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

TOKEN_ENV = "PY_CODE_MODE_MCP_TOKEN"
DEFAULT_URLS = ("http://127.0.0.1:8001/mcp", "http://127.0.0.1:8002/mcp")

# The tools this script calls; a server started with --read-only offers only some.
NEEDED_TOOLS = ("run_code", "create_skill", "search_skills", "list_skills", "delete_skill")

DOUBLE = '''\
def run(a: int) -> int:
    """Double a number."""
    return 2 * a
'''

# Any JSON-RPC request does for the token checks: the server checks the token before it
# reads the request, so a refused token is HTTP 401 whatever the body says.
PING = {"jsonrpc": "2.0", "id": 0, "method": "ping"}


class Failed(Exception):
    """A check did not hold; the message says what was seen instead."""


class Unreachable(Exception):
    """A replica could not be reached at all: the checks cannot run."""


@dataclass(frozen=True)
class Replica:
    number: int
    url: str

    def __str__(self) -> str:
        return f"replica {self.number}"


@asynccontextmanager
async def check(what: str) -> AsyncIterator[None]:
    """Run one check: print `ok   <what>` when its body succeeds, else raise `Failed`.

    Whatever the body raises (a wrong answer, an MCP error, a timeout) becomes one line
    that names the check, so the first failure says exactly what did not work.
    """
    try:
        yield
    except Unreachable:
        raise
    except Failed as exc:
        raise Failed(f"{what}: {exc}") from None
    except Exception as exc:
        raise Failed(f"{what}: {describe(exc)}") from exc
    print(f"ok   {what}", flush=True)


def expect(condition: bool, problem: str) -> None:
    if not condition:
        raise Failed(problem)


def leaves(exc: BaseException) -> Iterator[BaseException]:
    """The exceptions inside `exc`: the MCP client's task groups wrap errors in groups."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from leaves(inner)
    else:
        yield exc


def describe(exc: BaseException) -> str:
    return "; ".join(f"{type(leaf).__name__}: {leaf}" for leaf in leaves(exc))


# --- talking to a replica ----------------------------------------------------------------


async def http_status(replica: Replica, token: str | None) -> int:
    """The HTTP status a bare request gets, with `token` or with none."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with httpx2.AsyncClient(timeout=10) as http:
        try:
            response = await http.post(replica.url, json=PING, headers=headers)
        except (httpx2.ConnectError, httpx2.ConnectTimeout) as exc:
            raise Unreachable(
                f"cannot reach {replica} at {replica.url} ({exc}). Is the deployment up? "
                "Start it with `docker compose up -d` (or `podman compose up -d`) in "
                "examples/production, and wait for `docker compose ps` to show it healthy."
            ) from None
    return response.status_code


@asynccontextmanager
async def connect(replica: Replica, token: str, timeout: float) -> AsyncIterator[Client]:
    """An MCP client of `replica` with an MCP session of its own.

    `mode="legacy"` asks for the initialize handshake, whose MCP session (the
    `Mcp-Session-Id` header) gets its own Python session on the server, kept between
    calls. The SDK's default, protocol 2026-07-28, has no sessions over HTTP: there every
    call runs in a fresh Python session and only the library (skills, artifacts) lasts.
    """
    headers = {"Authorization": f"Bearer {token}"}
    timeouts = httpx2.Timeout(timeout, read=max(timeout, 300))  # streams stay open a while
    async with httpx2.AsyncClient(headers=headers, timeout=timeouts) as http:
        transport = streamable_http_client(replica.url, http_client=http)
        async with Client(transport, mode="legacy", read_timeout_seconds=timeout) as client:
            yield client


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    """Call a tool and return its text; a tool error is a failed check."""
    result = await client.call_tool(tool, arguments)
    text = "".join(block.text for block in result.content if block.type == "text")
    if result.is_error:
        raise Failed(f"{tool} returned an error: {text}")
    return text


async def run_code(client: Client, code: str) -> str:
    return await call(client, "run_code", {"code": code})


async def name_error(client: Client, code: str) -> bool:
    """Whether running `code` fails with a NameError: the name is not defined there."""
    result = await client.call_tool("run_code", {"code": code})
    text = "".join(block.text for block in result.content if block.type == "text")
    return result.is_error and "NameError" in text


# --- the checks ----------------------------------------------------------------------------


async def check_the_token(replica: Replica, token: str) -> None:
    async with check(f"{replica} refuses a request without the token (HTTP 401)"):
        status = await http_status(replica, None)
        expect(status == 401, f"got HTTP {status}; is {replica.url} the server's /mcp URL?")
    async with check(f"{replica} accepts the token"):
        status = await http_status(replica, token)
        expect(
            status != 401,
            f"HTTP 401: ${TOKEN_ENV} is not the token the server was started with",
        )


@dataclass(frozen=True)
class Run:
    """The names one smoke run saves under: random, so runs never collide."""

    id: str

    @property
    def skill(self) -> str:
        return f"smoke_double_{self.id}"

    @property
    def artifact(self) -> str:
        return f"smoke/{self.id}.json"


async def smoke(urls: Sequence[str], token: str, timeout: float) -> None:
    replicas = [Replica(number, url) for number, url in enumerate(urls, start=1)]
    run = Run(secrets.token_hex(4))
    print(f"smoke run {run.id} against {len(replicas)} replicas", flush=True)

    for replica in replicas:
        await check_the_token(replica, token)

    async with AsyncExitStack() as stack:
        clients = [await open_session(stack, replica, token, timeout) for replica in replicas]
        first, others = clients[0], list(zip(replicas[1:], clients[1:], strict=True))
        try:
            await save_on_replica_1(first, run)
            for replica, client in others:
                await use_on_another_replica(replica, client, run)

            # Variables stay in their MCP session: not on another replica, nor in another
            # session on the same one.
            for replica, client in others:
                async with check(f"{replica}'s session does not see replica 1's variables"):
                    expect(await name_error(client, "smoke_marker"), "smoke_marker is defined")
            async with check(
                "a second session on replica 1 does not see the first one's variables"
            ):
                second = await stack.enter_async_context(connect(replicas[0], token, timeout))
                expect(await name_error(second, "smoke_marker"), "smoke_marker is defined")

            await clean_up(replicas, clients, run)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await clean_up_quietly(clients, run)
            raise


async def open_session(
    stack: AsyncExitStack, replica: Replica, token: str, timeout: float
) -> Client:
    """Connect to `replica` for the rest of the run (`stack` closes it), and list its tools."""
    async with check(f"{replica} answers tools/list"):
        client = await stack.enter_async_context(connect(replica, token, timeout))
        offered = {tool.name for tool in (await client.list_tools()).tools}
        missing = [name for name in NEEDED_TOOLS if name not in offered]
        expect(not missing, f"it does not offer {missing}; was it started with --read-only?")
    return client


async def save_on_replica_1(client: Client, run: Run) -> None:
    """Run code on replica 1, and save a skill and an artifact there."""
    async with check("replica 1 runs code and keeps its variables between calls"):
        await run_code(client, f"smoke_marker = {run.id!r}")
        seen = await run_code(client, "smoke_marker")
        expect(seen == run.id, f"the variable came back as {seen!r}")

    async with check("replica 1 saves a skill (create_skill)"):
        description = f"Double a number (smoke test {run.id})"
        source = {"name": run.skill, "source": DOUBLE, "description": description}
        created = json.loads(await call(client, "create_skill", source))
        expect(created.get("name") == run.skill, f"create_skill answered {created}")

    async with check("replica 1 saves an artifact (artifacts.save in run_code)"):
        data = {"run": run.id, "saved_by": "replica 1"}
        await run_code(client, f"artifacts.save({run.artifact!r}, {data!r})")


async def use_on_another_replica(replica: Replica, client: Client, run: Run) -> None:
    async with check(f"{replica} finds the skill replica 1 saved"):
        query = {"query": f"double a number smoke test {run.id}", "limit": 100}
        found = [skill["name"] for skill in json.loads(await call(client, "search_skills", query))]
        expect(
            run.skill in found,
            f"search_skills found {found}; do all replicas use the same Redis and --prefix?",
        )

    async with check(f"{replica} runs the skill replica 1 saved"):
        result = await run_code(client, f"skills.{run.skill}(a=21)")
        expect(result == "42", f"skills.{run.skill}(a=21) returned {result!r}")

    async with check(f"{replica} loads the artifact replica 1 saved"):
        loaded = json.loads(await run_code(client, f"artifacts.load({run.artifact!r})"))
        expect(loaded == {"run": run.id, "saved_by": "replica 1"}, f"it loaded {loaded}")


async def clean_up(replicas: list[Replica], clients: list[Client], run: Run) -> None:
    """Delete what this run saved, from the last replica, and see it gone on replica 1."""
    last, client = replicas[-1], clients[-1]
    async with check(f"{last} deletes the skill and the artifact"):
        deleted = await call(client, "delete_skill", {"name": run.skill})
        expect(deleted == "true", f"delete_skill answered {deleted}")
        # delete_skill keeps the skill's history (rollback_skill can undo it); purge it too.
        both = f"[skills.purge({run.skill!r}), artifacts.delete({run.artifact!r})]"
        purged = json.loads(await run_code(client, both))
        expect(purged == [True, True], f"{both} returned {purged}")

    async with check(f"replica 1 sees both gone after {last} deleted them"):
        listed = [skill["name"] for skill in json.loads(await call(clients[0], "list_skills", {}))]
        expect(run.skill not in listed, f"list_skills still lists {run.skill}")
        exists = json.loads(await run_code(clients[0], f"artifacts.exists({run.artifact!r})"))
        expect(exists is False, f"artifacts.exists({run.artifact!r}) returned {exists}")


async def clean_up_quietly(clients: list[Client], run: Run) -> None:
    """After a failure: delete what this run saved, through any replica that still answers."""
    code = f"[skills.purge({run.skill!r}), artifacts.delete({run.artifact!r})]"
    problems = []
    for client in clients:
        try:
            with anyio.fail_after(30):
                await run_code(client, code)
        except Exception as exc:  # noqa: BLE001 - this replica may be the trouble: try the next
            problems.append(describe(exc))
        else:
            return
    print(
        f"could not clean up ({'; '.join(problems)}): delete skill {run.skill!r} and "
        f"artifact {run.artifact!r} by hand",
        file=sys.stderr,
    )


# --- the command ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check a py-code-mode MCP deployment: auth, tools, a shared library, "
        "private sessions.",
        epilog=f"The bearer token is read from ${TOKEN_ENV}. Exit status: 0 all checks "
        "passed, 1 a check failed, 2 the checks could not run.",
    )
    parser.add_argument(
        "urls",
        nargs="*",
        metavar="URL",
        default=list(DEFAULT_URLS),
        help=f"the replicas' /mcp URLs, at least two (default: {' '.join(DEFAULT_URLS)})",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds one request may take (default 60)"
    )
    args = parser.parse_args(argv)
    if len(args.urls) < 2:
        parser.error("give at least two replica URLs (the same one twice checks one server)")
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        parser.error(f"set ${TOKEN_ENV} to the token the servers were started with")

    try:
        anyio.run(smoke, args.urls, token, args.timeout)
    except Exception as exc:
        for leaf in leaves(exc):
            if isinstance(leaf, Unreachable):
                print(f"FAIL {leaf}", file=sys.stderr)
                return 2
            if isinstance(leaf, Failed):
                print(f"FAIL {leaf}", file=sys.stderr)
                return 1
        raise
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
