"""examples/minimal/agent.py: run as a user runs it, with its scripted model and with a
real OpenAI-compatible server on loopback (the server plays the model)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests._support import serve_http

AGENT = Path(__file__).resolve().parents[2] / "examples" / "minimal" / "agent.py"


def run_agent(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("OPENAI_BASE_URL", "MODEL")}
    return subprocess.run(
        [sys.executable, str(AGENT), *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_scripted_episode_solves_saves_and_answers(tmp_path: Path) -> None:
    done = run_agent(tmp_path, {})
    assert done.returncode == 0, done.stderr
    assert "a scripted model plays" in done.stdout
    assert "[run_code] 385" in done.stdout
    assert done.stdout.rstrip().endswith("sum_of_squares(n) now computes it.")
    assert (tmp_path / "workspace" / "skills" / "sum_of_squares.py").is_file()


class _Model(BaseHTTPRequestHandler):
    """A chat completions endpoint: one run_code call, then an answer naming its result."""

    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Model.seen.append({"path": self.path, "auth": self.headers["Authorization"], **body})
        tool_results = [m["content"] for m in body["messages"] if m["role"] == "tool"]
        message: dict[str, Any]
        if tool_results:
            message = {"role": "assistant", "content": f"The answer is {tool_results[-1]}."}
        else:
            call = {"name": "run_code", "arguments": json.dumps({"code": "6 * 7"})}
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "call_1", "type": "function", "function": call}],
            }
        data = json.dumps({"choices": [{"index": 0, "message": message}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def test_any_openai_compatible_server_is_the_model(tmp_path: Path) -> None:
    _Model.seen.clear()
    with serve_http(_Model) as url:
        env = {"OPENAI_BASE_URL": f"{url}/v1", "OPENAI_API_KEY": "sk-test", "MODEL": "m"}
        done = run_agent(tmp_path, env, "What is 6 times 7?", "--workspace", "ws")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("The answer is 42.")
    first = _Model.seen[0]
    assert (first["path"], first["auth"], first["model"]) == (
        "/v1/chat/completions",
        "Bearer sk-test",
        "m",
    )
    assert first["messages"] == [{"role": "user", "content": "What is 6 times 7?"}]
    offered = {tool["function"]["name"]: tool["function"] for tool in first["tools"]}
    assert offered["run_code"]["parameters"]["required"] == ["code"]
    assert len(_Model.seen) == 2 and _Model.seen[1]["messages"][-1]["content"] == "42"
