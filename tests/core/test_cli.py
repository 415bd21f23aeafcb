"""The `py-code-mode` command, run as a user runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _command() -> list[str]:
    script = shutil.which("py-code-mode", path=str(Path(sys.executable).parent))
    assert script is not None, "the console script is not installed"
    return [script]


def test_demo_walks_through_the_learning_loop(tmp_path: Path) -> None:
    done = subprocess.run(
        [*_command(), "demo", "--base", str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for step in ("save it as a skill", "search the library", "Invoke the skill", "Compose"):
        assert step in done.stdout
    assert "error" not in done.stdout
    assert sorted(p.name for p in (tmp_path / "skills").glob("*.py")) == [
        "compare_texts.py",
        "word_stats.py",
    ]


def test_run_executes_a_file_in_a_workspace(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text("print('hello')\nartifacts.save('out', 5)\n2 + 3\n")
    done = subprocess.run(
        [*_command(), "run", str(script), "--base", str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello\n5\n"


def test_run_reads_stdin_and_fails_with_the_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [*_command(), "run", "-", "--base", str(tmp_path)],
        input="1 / 0\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "ZeroDivisionError" in done.stderr


def test_run_layers_the_packages_it_is_given(tmp_path: Path) -> None:
    code = "sorted(s['name'] for s in skills.list() if s.get('package') == 'git')"
    done = subprocess.run(
        [*_command(), "run", "-", "--base", str(tmp_path), "--package", "git"],
        input=code,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "contributors" in done.stdout and "recent_commits" in done.stdout
    unknown = [*_command(), "run", "-", "--base", str(tmp_path), "--package", "nothere"]
    done = subprocess.run(unknown, input="1", capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no capability package is named 'nothere'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("argv", [[], ["nonsense"], ["run"]])
def test_bad_command_lines_exit_with_usage(argv: list[str]) -> None:
    done = subprocess.run([*_command(), *argv], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "usage:" in done.stderr
