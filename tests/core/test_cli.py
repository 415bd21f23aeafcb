"""The `py-code-mode` command, run as a user runs it."""

from __future__ import annotations

import argparse
import os
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
    # The last step runs in a second session, after the first has closed.
    later = done.stdout.split("step 7: A new session on the same workspace")[1]
    assert '"compare_texts"' in later and '"first_report.json"' in later
    assert sorted(p.name for p in (tmp_path / "skills").glob("*.py")) == [
        "compare_texts.py",
        "word_stats.py",
    ]


def test_run_executes_a_file_in_a_workspace(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text("print('hello')\nartifacts.save('out', 5)\n2 + 3\n")
    done = subprocess.run(
        [*_command(), "run", str(script), "--base", str(tmp_path / "ws"), "--init"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello\n5\n"
    assert f"py-code-mode run: new workspace in {tmp_path / 'ws'}" in done.stderr


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


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_command(), *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def test_the_version_is_printed() -> None:
    done = _cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == "py-code-mode 0.1.0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nothere.py"], "nothere.py: no such file; give a .py file, or - to read"),
        (["run", "{dir}"], "is a directory; give a .py file"),
        (["run", "-", "--base", "{file}"], "is a file, not a workspace directory"),
        (["run", "-", "--base", "{dir}/typo"], "no such directory; check the path, or add --init"),
        (["run", "-", "--base", "{bad}"], "workspace.yaml: not valid YAML: while parsing a flow"),
        (["demo", "--base", "{file}"], "is a file, not a workspace directory"),
        (["demo", "--base", "{dir}/typo"], "no such directory"),
    ],
)
def test_a_users_mistake_is_one_line_and_exit_status_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "workspace.yaml").write_text("packages: [nope\n")
    filled = [a.format(dir=tmp_path, file=afile, bad=bad) for a in args]
    done = _cli(*filled, stdin="1 + 1\n")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"py-code-mode {args[0]}: error: ")
    assert message in lines[0]
    assert not (tmp_path / "typo").exists()  # a mistyped --base is not made into a workspace


def test_the_demo_keeps_its_workspace_when_asked(tmp_path: Path) -> None:
    done = subprocess.run(
        [*_command(), "demo", "--keep"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    kept = Path(done.stdout.strip().splitlines()[-1].removeprefix("The workspace is kept: "))
    assert kept.parent == tmp_path
    assert sorted(p.name for p in (kept / "skills").glob("*.py")) == [
        "compare_texts.py",
        "word_stats.py",
    ]
    (tmp_path / "other").mkdir()
    removed = subprocess.run(
        [*_command(), "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(tmp_path / "other")},
    )
    assert "The temporary workspace was removed; --keep keeps it" in removed.stdout


def test_every_option_of_every_command_says_what_it_does() -> None:
    from py_code_mode._cli import build_parser

    def walk(parser: argparse.ArgumentParser, where: str) -> list[str]:
        missing = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    missing += walk(sub, f"{where} {name}")
            elif action.help in (None, "") and action.dest != "help":
                missing.append(f"{where} {'/'.join(action.option_strings) or action.dest}")
        return missing

    assert walk(build_parser(), "py-code-mode") == []


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "big.py", "--base", "."],  # output from the worker, in loop callbacks
        ["store", "list", "--base", ".", "--json"],  # output of the command itself
    ],
)
def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path, argv: list[str]) -> None:
    """`py-code-mode ... | head`: no traceback, no "error", and the status of SIGPIPE."""
    (tmp_path / "big.py").write_text("print('line\\n' * 100_000)\n")
    (tmp_path / "skills").mkdir()
    command = subprocess.Popen(
        [*_command(), *argv], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert command.stdout is not None and command.stderr is not None
    command.stdout.close()  # before the command writes anything
    with command.stderr:
        stderr = command.stderr.read().decode()
    assert command.wait(timeout=60) == 141, stderr
    assert stderr == ""


@pytest.mark.parametrize(
    ("module", "says"), [("py_code_mode", "py-code-mode"), ("py_code_mode_mcp", "py-code-mode-mcp")]
)
def test_python_dash_m_runs_each_command(module: str, says: str) -> None:
    """Where console scripts are not on PATH (a venv not activated, an MCP client's config)."""
    done = subprocess.run(
        [sys.executable, "-m", module, "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{says} ")
