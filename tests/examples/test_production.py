"""examples/production/: the compose deployment's processes, run without containers.

No container engine runs here, so the deployment is run as compose.yaml describes it, as
plain processes: a real redis-server with the append-only file on, and two real
`py-code-mode-mcp` replicas over it started with compose.yaml's own command line (only the
Redis URL and the listening address differ: loopback ports the OS picks, announced by each
server once it listens). Then smoke.py runs against them the way an operator runs it.

compose.yaml and the Containerfile are checked against the real command-line parser, and
the files the Containerfile copies are installed the way the image installs them.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
import redis
import yaml
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from py_code_mode_mcp.cli import TOKEN_ENV, build_parser

from tests._support import require_binary, serve_http

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "production"
SMOKE = EXAMPLE / "smoke.py"
COMPOSE = EXAMPLE / "compose.yaml"
CONTAINERFILE = EXAMPLE / "Containerfile"
SCRIPT = Path(sys.executable).parent / "py-code-mode-mcp"
TOKEN = "production-example-test-token"
WAIT = 60
"""Seconds a server may take to start, and a request to be answered."""

SMOKE_CHECKS = (
    "replica 1 refuses a request without the token (HTTP 401)",
    "replica 1 accepts the token",
    "replica 2 refuses a request without the token (HTTP 401)",
    "replica 2 accepts the token",
    "replica 1 answers tools/list",
    "replica 2 answers tools/list",
    "replica 1 runs code and keeps its variables between calls",
    "replica 1 saves a skill (create_skill)",
    "replica 1 saves an artifact (artifacts.save in run_code)",
    "replica 2 finds the skill replica 1 saved",
    "replica 2 runs the skill replica 1 saved",
    "replica 2 loads the artifact replica 1 saved",
    "replica 2's session does not see replica 1's variables",
    "a second session on replica 1 does not see the first one's variables",
    "replica 2 deletes the skill and the artifact",
    "replica 1 sees both gone after replica 2 deleted them",
)


# --- compose.yaml ------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def replicas(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The MCP server services of compose.yaml (every service but Redis)."""
    services: dict[str, dict[str, Any]] = document["services"]
    return {name: service for name, service in services.items() if name != "redis"}


def flags(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    assert isinstance(command, list) and all(isinstance(arg, str) for arg in command), command
    return command


def with_value(argv: list[str], flag: str, value: str) -> list[str]:
    """`argv` with the value after `flag` replaced."""
    index = argv.index(flag)
    return [*argv[: index + 1], value, *argv[index + 2 :]]


def local(argv: list[str], redis_url: str) -> list[str]:
    """compose.yaml's command line for a replica run here: local Redis, a free loopback port."""
    return with_value(with_value(argv, "--redis", redis_url), "--http", "127.0.0.1:0")


# --- the deployment, as processes --------------------------------------------------------


def free_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


def start_redis(workdir: Path, stack: ExitStack) -> str:
    """redis-server on a free loopback port, persisting as compose.yaml's does; its URL."""
    binary = require_binary("redis-server")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--appendonly", "yes"]
    argv += ["--save", "", "--dir", str(workdir)]
    log = workdir / "redis.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    stack.callback(stop, process)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + WAIT
    with redis.Redis.from_url(url) as client:
        while True:
            try:
                if client.ping():
                    return url
            except redis.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    log: Path
    url: str


def start_server(argv: list[str], log: Path, stack: ExitStack) -> Server:
    """The console script with `argv` and the token in its environment, once it listens.

    It announces its URL on stderr after it has bound and listens, so once the line is
    there it accepts connections.
    """
    env = {k: v for k, v in os.environ.items() if k != "PY_CODE_MODE_REDIS_URL"}
    env[TOKEN_ENV] = TOKEN
    with log.open("wb") as err:
        process = subprocess.Popen(
            [str(SCRIPT), *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
    stack.callback(stop, process)
    deadline = time.monotonic() + WAIT
    while True:
        said = log.read_text(errors="replace")
        found = re.search(r"serving (http://\S+/mcp)", said)
        if found:
            return Server(process, log, found.group(1))
        if process.poll() is not None or time.monotonic() > deadline:
            state = f"exit status {process.returncode}" if process.poll() is not None else "hung"
            pytest.fail(f"py-code-mode-mcp {' '.join(argv)} did not start ({state}):\n{said}")
        time.sleep(0.05)


@dataclass
class Deployment:
    redis_url: str
    servers: list[Server]

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def logs(self) -> str:
        """What the replicas said, for a failure message."""
        return "\n".join(
            f"--- {server.url}:\n{server.log.read_text(errors='replace')}"
            for server in self.servers
        )


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Redis and compose.yaml's replicas, shared by this module's tests (each cleans up)."""
    workdir = tmp_path_factory.mktemp("production")
    with ExitStack() as stack:
        redis_url = start_redis(workdir / "redis", stack)
        servers = [
            start_server(local(flags(service), redis_url), workdir / f"{name}.log", stack)
            for name, service in replicas(compose()).items()
        ]
        yield Deployment(redis_url, servers)


def run_smoke(*urls: str, token: str | None = TOKEN) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    if token is not None:
        env[TOKEN_ENV] = token
    return subprocess.run(
        [sys.executable, str(SMOKE), *urls, "--timeout", "30"],
        capture_output=True,
        text=True,
        timeout=100,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def run_id(done: subprocess.CompletedProcess[str]) -> str:
    found = re.match(r"smoke run (\w+) against", done.stdout)
    assert found, done.stdout
    return found.group(1)


def traces(redis_url: str, run: str) -> list[str]:
    """Every Redis key, hash field or member that names something of smoke run `run`."""
    found = []
    with redis.Redis.from_url(redis_url) as client:
        for key in client.scan_iter():
            name = key.decode()
            kind = client.type(key)
            if kind == b"hash":
                inside = list(client.hkeys(key))
            elif kind == b"set":
                inside = list(client.smembers(key))
            elif kind == b"zset":
                inside = list(client.zrange(key, 0, -1))
            else:
                inside = []
            if run in name:
                found.append(name)
            found += [f"{name} -> {item!r}" for item in inside if run.encode() in item]
    return found


# --- smoke.py against the deployment -----------------------------------------------------


def test_the_smoke_checks_pass_against_two_replicas_over_one_redis(
    deployment: Deployment,
) -> None:
    done = run_smoke(*deployment.urls)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{deployment.logs()}"
    printed = [line.removeprefix("ok   ") for line in done.stdout.splitlines()[1:]]
    assert printed == [*SMOKE_CHECKS, "all checks passed"], done.stdout
    assert done.stderr == ""
    # Run again and again against a live deployment, it leaves nothing behind.
    assert traces(deployment.redis_url, run_id(done)) == []


def test_the_smoke_checks_fail_clearly_with_a_wrong_token(deployment: Deployment) -> None:
    done = run_smoke(*deployment.urls, token="not-the-token")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ok   replica 1 refuses a request without the token (HTTP 401)" in done.stdout
    assert "all checks passed" not in done.stdout
    assert done.stderr.startswith(
        f"FAIL replica 1 accepts the token: HTTP 401: ${TOKEN_ENV} is not the token the "
        "server was started with"
    ), done.stderr


def test_the_smoke_checks_need_a_token() -> None:
    done = run_smoke(token=None)
    assert done.returncode == 2
    assert f"set ${TOKEN_ENV}" in done.stderr
    assert "ok" not in done.stdout


def test_a_replica_that_is_down_is_exit_status_2(deployment: Deployment) -> None:
    down = f"http://127.0.0.1:{free_port()}/mcp"
    done = run_smoke(deployment.urls[0], down)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"FAIL cannot reach replica 2 at {down}"), done.stderr
    assert "Is the deployment up?" in done.stderr and "docker compose up -d" in done.stderr
    assert "ok   replica 1 accepts the token" in done.stdout


def test_a_replica_on_another_prefix_fails_the_sharing_check_and_the_run_cleans_up(
    deployment: Deployment, tmp_path: Path
) -> None:
    argv = local(flags(replicas(compose())["mcp-2"]), deployment.redis_url)
    argv = with_value(argv, "--prefix", "elsewhere")  # a typo in one replica's command
    with ExitStack() as stack:
        stray = start_server(argv, tmp_path / "stray.log", stack)
        done = run_smoke(deployment.urls[0], stray.url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ok   replica 1 saves an artifact (artifacts.save in run_code)" in done.stdout
    assert done.stderr.startswith("FAIL replica 2 finds the skill replica 1 saved: "), done.stderr
    assert "same Redis and --prefix" in done.stderr
    assert traces(deployment.redis_url, run_id(done)) == []


@pytest.mark.anyio
async def test_an_mcp_session_lives_in_the_replica_that_opened_it(
    deployment: Deployment,
) -> None:
    # README.md tells load balancers to be sticky: another replica does not know a session.
    one, two = deployment.urls
    seen: dict[str, str] = {}

    async def record(response: httpx2.Response) -> None:
        seen.update(response.headers)

    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx2.AsyncClient(headers=auth, event_hooks={"response": [record]}) as http:
        async with Client(streamable_http_client(one, http_client=http), mode="legacy") as client:
            await client.call_tool("run_code", {"code": "here = 1"})
            headers = {
                **auth,
                "Mcp-Session-Id": seen["mcp-session-id"],
                "MCP-Protocol-Version": client.protocol_version,
                "Accept": "application/json, text/event-stream",
            }
            listing = {"jsonrpc": "2.0", "id": 7, "method": "tools/list"}
            async with httpx2.AsyncClient(timeout=WAIT) as raw:
                elsewhere = await raw.post(two, json=listing, headers=headers)
                at_home = await raw.post(one, json=listing, headers=headers)
    assert (elsewhere.status_code, at_home.status_code) == (404, 200), elsewhere.text
    assert "Session not found" in elsewhere.text
    assert "run_code" in at_home.text


class _Open(BaseHTTPRequestHandler):
    """Some HTTP server that lets anyone in: not a healthy replica."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_compose_healthcheck_tells_a_serving_replica_from_anything_else(
    deployment: Deployment,
) -> None:
    for service in replicas(compose()).values():
        test = service["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "-c"], test
        code = test[3]
        assert code.count("8000") == 1, code  # the container's port, replaced below

        def health(port: int | None, code: str = code) -> int:
            probe = [sys.executable, "-c", code.replace("8000", str(port))]
            return subprocess.run(probe, capture_output=True, timeout=30).returncode

        assert health(urlsplit(deployment.urls[0]).port) == 0
        assert health(free_port()) != 0  # nothing listens
        with serve_http(_Open) as other:
            assert health(urlsplit(other).port) != 0  # it answers, but wants no token


# --- compose.yaml and the Containerfile, against the real CLI ------------------------------


def parse(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    """`argv` parsed by py-code-mode-mcp's own parser; a flag it refuses fails the test."""
    try:
        return build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"py-code-mode-mcp refuses {argv}: {capsys.readouterr().err}")


def test_both_replicas_run_the_same_valid_command_on_one_redis_and_prefix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = compose()
    servers = replicas(document)
    assert sorted(servers) == ["mcp-1", "mcp-2"]
    commands = [flags(service) for service in servers.values()]
    assert commands[0] == commands[1]
    args = parse(commands[0], capsys)
    assert urlsplit(args.redis).hostname in document["services"], args.redis
    assert args.prefix  # explicit, so that every replica visibly names the same library
    assert (args.http.host, args.http.port) == ("0.0.0.0", 8000)
    assert args.executor == "subprocess"
    assert (args.token, args.token_file, args.insecure_no_auth) == (None, None, False)
    for service in servers.values():
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["restart"] == "unless-stopped"
        assert service["build"]["dockerfile"] == "examples/production/Containerfile"
        assert (EXAMPLE / service["build"]["context"]).resolve() == ROOT


def test_each_replica_has_its_own_loopback_port_and_smoke_py_knows_them() -> None:
    published = []
    for service in replicas(compose()).values():
        (mapping,) = service["ports"]
        host, host_port, container_port = mapping.split(":")
        assert (host, container_port) == ("127.0.0.1", "8000"), mapping
        published.append(int(host_port))
    assert len(set(published)) == len(published)
    defaults = next(
        ast.literal_eval(node.value)
        for node in ast.parse(SMOKE.read_text()).body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "DEFAULT_URLS"
    )
    assert list(defaults) == [f"http://127.0.0.1:{port}/mcp" for port in published]


def test_the_token_is_required_from_the_environment_never_written_down() -> None:
    for service in replicas(compose()).values():
        (name, value), *others = service["environment"].items()
        assert name == TOKEN_ENV and not others
        assert re.fullmatch(r"\$\{PY_CODE_MODE_MCP_TOKEN:\?[^}]+\}", value), value
    for line in CONTAINERFILE.read_text().splitlines():
        assert not (line.startswith(("ENV", "ARG")) and "TOKEN" in line), line


def test_redis_persists_to_a_named_volume_and_is_not_published() -> None:
    document = compose()
    service = document["services"]["redis"]
    assert service["image"].startswith("docker.io/library/redis:")
    assert "--appendonly" in service["command"]
    assert service["command"][service["command"].index("--appendonly") + 1] == "yes"
    (volume,) = service["volumes"]
    name, target = volume.split(":")
    assert target == "/data" and name in document["volumes"]
    assert "ports" not in service
    assert service["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def containerfile() -> list[tuple[str, str]]:
    """The Containerfile's instructions (continuation lines joined), without comments."""
    text = re.sub(r"\\\n\s*", " ", CONTAINERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(" ", 1)[0], line.split(" ", 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_image_runs_the_server_as_a_user_with_flags_it_accepts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    instructions = dict(containerfile())  # the last of each kind
    assert json.loads(instructions["ENTRYPOINT"]) == ["py-code-mode-mcp"]
    assert instructions["USER"].split(":")[0] not in ("root", "0")
    assert "python:${PYTHON}-slim" in instructions["FROM"]
    parse(json.loads(instructions["CMD"]), capsys)
    # compose.yaml's command is appended to that entrypoint.
    for service in replicas(compose()).values():
        assert "entrypoint" not in service


def copied() -> list[str]:
    """What the Containerfile copies from the build context (the repository's root)."""
    sources = []
    for kind, rest in containerfile():
        if kind == "COPY":
            assert not rest.startswith("--"), rest  # nothing from another stage or context
            sources += rest.split()[:-1]
    return sources


def test_the_build_context_keeps_what_the_containerfile_copies() -> None:
    ignore = EXAMPLE / "Containerfile.dockerignore"
    patterns = [
        line.strip()
        for line in ignore.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"  # everything else is left out of the context
    for source in copied():
        assert f"!{source}" in patterns, source
        assert (ROOT / source).exists(), source


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_files_the_containerfile_copies_install_the_server(tmp_path: Path) -> None:
    # What the image's `pip install '.[mcp,redis]'` sees, with uv instead of pip for speed.
    instructions = containerfile()
    assert ("RUN", "pip install '.[mcp,redis]' && cd / && rm -rf /tmp/py-code-mode") in (
        instructions
    )
    uv = require_binary("uv")
    context = tmp_path / "context"
    for source in copied():
        if (ROOT / source).is_dir():
            ignored = shutil.ignore_patterns("__pycache__", "*.pyc", ".*_cache")
            shutil.copytree(ROOT / source, context / source, ignore=ignored)
        else:
            context.mkdir(exist_ok=True)
            shutil.copy2(ROOT / source, context / source)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "--quiet", str(venv)], check=True, timeout=120, env=env)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(python), f"{context}[mcp,redis]"],
        check=True,
        timeout=240,
        env=env,
    )
    shutil.rmtree(context)  # what runs below cannot come from the copy
    done = subprocess.run(
        [str(venv / "bin" / "py-code-mode-mcp"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("py-code-mode-mcp "), done.stdout
    probe = (
        "import pathlib, py_code_mode, py_code_mode_mcp.cli\n"
        "from py_code_mode import RedisStorage\n"
        "print(sorted(p.name for p in (pathlib.Path(py_code_mode.__file__).parent / "
        "'packages').iterdir() if p.is_dir()))"
    )
    imported = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, timeout=60, env=env
    )
    assert imported.stdout.strip() == "['git', 'github', 'web']", imported.stderr
