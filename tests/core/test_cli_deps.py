"""`py-code-mode deps`: a workspace's packages from the terminal, installs streamed.

Installs come from the local wheelhouse through uv's own environment variables, as a
user's private index would.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from py_code_mode._cli._progress import StreamedLines


def deps(workspace: Path, wheelhouse: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = shutil.which("py-code-mode", path=str(Path(sys.executable).parent))
    assert script is not None
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= {"UV_FIND_LINKS": str(wheelhouse), "UV_NO_INDEX": "1"}
    env |= {"PIP_FIND_LINKS": str(wheelhouse), "PIP_NO_INDEX": "1"}
    return subprocess.run(
        [script, *args, "--base", str(workspace)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_add_streams_the_install_and_the_workspace_can_import_it(
    tmp_path: Path, wheelhouse: Path
) -> None:
    done = deps(tmp_path / "ws", wheelhouse, "deps", "add", "tinypkg==1.0", "--init")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "tinypkg==1.0: installed\n"
    # Not a terminal: every line of the install, as it came, on stderr.
    assert "deps.add: installing tinypkg==1.0" in done.stderr
    assert "tinypkg" in done.stderr.split("deps.add: installing", 1)[1].split("\n", 1)[1]
    assert (tmp_path / "ws" / "requirements.txt").read_text().split() == ["tinypkg==1.0"]

    again = deps(tmp_path / "ws", wheelhouse, "deps", "add", "tinypkg==1.0")
    assert again.stdout == "tinypkg==1.0: already installed\n"
    assert "installing" not in again.stderr

    script = tmp_path / "use.py"
    script.write_text("import tinypkg\nprint(tinypkg.VALUE)\n")
    run = deps(tmp_path / "ws", wheelhouse, "run", str(script))
    assert run.returncode == 0, run.stderr
    assert run.stdout == "1\n"


def test_sync_installs_the_list_of_a_copied_workspace(tmp_path: Path, wheelhouse: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "requirements.txt").write_text("tinypkg>=2\ntinyextra\n")
    done = deps(workspace, wheelhouse, "deps", "sync")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "tinypkg>=2: installed\ntinyextra: installed\n"
    assert "deps.sync: installing tinypkg>=2, tinyextra" in done.stderr
    listed = deps(workspace, wheelhouse, "deps", "list")
    assert listed.stdout == "tinypkg>=2\ntinyextra\n"
    assert deps(workspace, wheelhouse, "deps", "sync").stdout == (
        "tinypkg>=2: already installed\ntinyextra: already installed\n"
    )


def test_remove_says_what_it_did(tmp_path: Path, wheelhouse: Path) -> None:
    workspace = tmp_path / "ws"
    assert deps(workspace, wheelhouse, "deps", "add", "tinypkg", "--init").returncode == 0
    done = deps(workspace, wheelhouse, "deps", "remove", "tinypkg", "nothere")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "tinypkg: removed",
        "nothere: was not installed",
        "nothere: was not on the list",
    ]
    assert deps(workspace, wheelhouse, "deps", "list").stdout == ""


def test_a_failed_install_is_exit_1_and_changes_nothing(tmp_path: Path, wheelhouse: Path) -> None:
    workspace = tmp_path / "ws"
    assert deps(workspace, wheelhouse, "deps", "add", "tinypkg", "--init").returncode == 0
    done = deps(workspace, wheelhouse, "deps", "add", "no-such-package-anywhere")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "py-code-mode deps: " in done.stderr and "no-such-package-anywhere" in done.stderr
    assert deps(workspace, wheelhouse, "deps", "list").stdout == "tinypkg\n"


def test_a_requirement_that_is_not_allowed_is_one_line_and_exit_2(
    tmp_path: Path, wheelhouse: Path
) -> None:
    workspace = tmp_path / "ws"
    done = deps(workspace, wheelhouse, "deps", "add", "evil @ https://example.com/x.whl", "--init")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 2  # the new workspace, then the one-line error
    assert done.stderr.splitlines()[1].startswith("py-code-mode deps: error: ")
    assert not (workspace / "requirements.txt").exists()


def test_a_mistyped_base_is_refused(tmp_path: Path, wheelhouse: Path) -> None:
    done = deps(tmp_path / "typo", wheelhouse, "deps", "list")
    assert done.returncode == 2
    assert "no such directory" in done.stderr
    assert not (tmp_path / "typo").exists()


def test_on_a_terminal_the_installer_lines_redraw_one_status_line() -> None:
    stream = io.StringIO()
    lines = StreamedLines(stream, live=True, width=30)
    lines("deps.add: installing pandas\n  Resolved 6 packages in 120ms\n  Prepared 6 packages")
    lines(" in 2.1s\n  Installed 6 packages in a long long long time\n")
    lines.finish()
    shown = stream.getvalue()
    assert shown.startswith("deps.add: installing pandas\n")  # our line stays
    assert shown.count("\r\x1b[K") == 4  # three redraws and the final clear
    assert "Prepared 6 packages in 2.1s"[:27] in shown  # a line split across chunks is whole
    assert all(len(part) <= 29 for part in shown.split("\r\x1b[K")[1:])  # cut to the width
    assert shown.endswith("\r\x1b[K")


def test_elsewhere_every_line_is_printed_as_it_comes() -> None:
    stream = io.StringIO()
    lines = StreamedLines(stream, live=False)
    lines("deps.add: installing x\n  one\n  tw")
    assert stream.getvalue() == "deps.add: installing x\n  one\n"
    lines("o\n")
    lines("  three")
    lines.finish()
    assert stream.getvalue() == "deps.add: installing x\n  one\n  two\n  three\n"
