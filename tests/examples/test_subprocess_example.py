"""examples/subprocess/main.py, run as a user runs it: what each hostile step does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from py_code_mode import SandboxExecutor

from tests._support import missing

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "subprocess" / "main.py"


def test_the_child_process_and_the_sandbox_keep_the_host_safe(tmp_path: Path) -> None:
    reason = SandboxExecutor.unavailable()
    if reason is not None:
        missing(reason)
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        timeout=180,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "a loop that never ends (timeout 1 s): refused -> Execution timeout" in out
    assert "the variable outlived the interrupt: ok -> 'still here'" in out
    assert "limit: refused -> The session's memory limit (256 MiB) was reached" in out
    assert "(variables lost: new worker)" in out
    assert "the next run gets a new worker: ok" in out
    assert "read the host's /etc/shadow: refused -> FileNotFoundError" in out
    assert "see the host's processes: ok -> [1]" in out  # only its own: pid 1 in there
    assert "reach the network: refused -> OSError" in out
    assert "write a file (into its own directory, removed at close): ok -> 2" in out
    assert not list(tmp_path.rglob("note"))  # not in the workspace, nor left behind
