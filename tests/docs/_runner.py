"""Runs one page's blocks in order, in one interpreter: `python _runner.py PLAN RESULTS`.

A child process per page, so pages never share state and a page that hangs is killed
alone. PLAN is JSON from `test_snippets.py`: the steps (host code, agent code, files,
shell commands), the hidden code to run first and the agent session's expression.
RESULTS gets, per step, what it printed and the error it ended with, if any.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import json
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any


class _Tee(io.TextIOBase):
    """Keeps what a step prints and still shows it (pytest shows it when a test fails)."""

    def __init__(self, through: Any) -> None:
        self.kept = io.StringIO()
        self._through = through

    def write(self, text: str) -> int:
        self.kept.write(text)
        self._through.write(text)
        return len(text)

    def flush(self) -> None:
        self._through.flush()


class _Runner:
    def __init__(self, session_expression: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.globals: dict[str, Any] = {"__name__": "__main__"}
        self._session_expression = session_expression
        self._session: Any = None

    def host(self, code: str, where: str) -> None:
        compiled = compile(code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        if compiled.co_flags & inspect.CO_COROUTINE:
            self.loop.run_until_complete(eval(compiled, self.globals))
        else:
            exec(compiled, self.globals)

    def agent(self, code: str, raises: str | None) -> None:
        if self._session is None:
            scope: dict[str, Any] = {}
            exec("from py_code_mode import *", scope)
            self._session = eval(self._session_expression, scope)
            self.loop.run_until_complete(self._session.__aenter__())
        result = self.loop.run_until_complete(self._session.run(code))
        print(result.stdout, end="")
        if result.stderr:
            print(result.stderr, end="", file=sys.stderr)
        if raises is None and result.error is not None:
            raise AssertionError(f"agent code failed:\n{result.error}")
        if raises is not None and (result.error is None or raises not in result.error):
            raise AssertionError(f"agent code should raise {raises}; it ended with {result.error}")

    def close(self) -> None:
        if self._session is not None:
            self.loop.run_until_complete(self._session.__aexit__(None, None, None))
        self.loop.close()


def _write(path: str, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    if target.parent.name == "tools" and target.suffix in (".yaml", ".yml"):
        import yaml
        from py_code_mode._tools.registry import load_tool

        load_tool(str(target), yaml.safe_load(text), target.parent)


def main(plan_path: str, results_path: str) -> None:
    # The repository's examples/ and tests/ packages, for a page's hidden stand-ins (the
    # examples' scripted models); after everything else, so nothing shadows what is installed.
    sys.path.append(str(Path(__file__).resolve().parents[2]))
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    runner = _Runner(plan["session"])
    results: list[dict[str, Any]] = []
    try:
        for code in plan["before"]:
            runner.host(code, "<docs-test-page before>")
        for step in plan["steps"]:
            tee = _Tee(sys.stdout)
            error: str | None = None
            print(f"--- {step['kind']} block at {step['where']}", file=sys.stderr, flush=True)
            try:
                with contextlib.redirect_stdout(tee):
                    _perform(runner, step)
            except BaseException as exc:  # noqa: BLE001 - every failure is reported per block
                if step.get("raises") and type(exc).__name__ == step["raises"]:
                    error = None
                else:
                    error = "".join(traceback.format_exception(exc))
            else:
                if step.get("raises") and step["kind"] == "host":
                    error = f"the block should raise {step['raises']}; it did not"
            results.append({"where": step["where"], "stdout": tee.kept.getvalue(), "error": error})
            if error is not None:
                break
    finally:
        runner.close()
        Path(results_path).write_text(json.dumps(results), encoding="utf-8")


def _perform(runner: _Runner, step: dict[str, Any]) -> None:
    kind = step["kind"]
    if kind == "host":
        runner.host(step["text"], step["where"])
    elif kind == "agent":
        runner.agent(step["text"], step.get("raises"))
    elif kind == "file":
        _write(step["path"], step["text"])
    elif kind == "bash":
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", step["text"]],
            capture_output=True,
            text=True,
            timeout=90,
        )
        print(done.stdout, end="")
        if done.returncode != 0:
            raise AssertionError(f"exit status {done.returncode}:\n{done.stderr}")
    else:
        raise ValueError(f"unknown step {kind}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
