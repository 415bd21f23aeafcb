"""The git capability package, used for real: git on repositories the fixtures make.

One repository is ordinary; the other is hostile: its config and .gitattributes name a
command for every hook git would run (fsmonitor, hooks, pager, external diff, textconv,
clean and smudge filters, gpg), each leaving a marker file when it runs.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from py_code_mode import InProcessExecutor, Session

from tests._support import require_binary

pytestmark = pytest.mark.anyio

AUTHORS = [("Ada", "ada@example.com"), ("Grace", "grace@example.com"), ("Ada", "ada@example.com")]


def git(repo: Path, *args: str, date: str = "2024-05-01T12:00:00+00:00", **env: str) -> str:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(repo.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        **env,
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=60,
    )
    return done.stdout


def make_repo(path: Path) -> Path:
    """Three commits by two authors on main, a tag, a branch."""
    require_binary("git")
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for day, (name, email) in enumerate(AUTHORS, start=1):
        (path / "app.py").write_text("".join(f"line {i}\n" for i in range(1, day + 2)))
        (path / f"note{day}.txt").write_text(f"note {day}: the answer is {40 + day}\n")
        git(path, "add", ".")
        who = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email}
        git(
            path,
            "commit",
            "-q",
            "-m",
            f"change {day}",
            date=f"2024-05-0{day}T12:00:00+00:00",
            **who,
        )
    git(path, "tag", "v1.0", "HEAD~1")
    git(path, "branch", "feature")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    async with Session.from_base(
        tmp_path / "ws", executor=InProcessExecutor(), packages=["git"]
    ) as started:
        yield started


async def value(session: Session, code: str) -> Any:
    with anyio.fail_after(60):
        result = await session.run(code)
    assert result.error is None, result.error
    return result.value


async def test_the_package_brings_its_tool_and_skills(session: Session) -> None:
    tools = {tool["name"]: tool for tool in await session.list_tools()}
    recipes = {c["name"] for c in tools["git"]["callables"]}
    assert recipes == {"log", "show", "diff", "blame", "grep", "files", "branches", "tags"}
    skills = {skill["name"]: skill for skill in await session.list_skills()}
    assert {"recent_commits", "contributors"} <= set(skills)
    assert skills["recent_commits"]["package"] == "git"


async def test_log_show_and_diff_read_the_history(session: Session, repo: Path) -> None:
    log = await value(session, f"tools.git.log(repo={str(repo)!r}, format='%an|%s')")
    assert log.splitlines() == ["Ada|change 3", "Grace|change 2", "Ada|change 1"]

    limited = await value(
        session,
        f"tools.git.log(repo={str(repo)!r}, oneline=True, max_count=1, paths=['note2.txt'])",
    )
    assert limited.strip().endswith("change 2") and len(limited.splitlines()) == 1

    old = await value(session, f"tools.git.show(repo={str(repo)!r}, revision='HEAD~2:app.py')")
    assert old == "line 1\nline 2\n"

    diff = await value(session, f"tools.git.diff(repo={str(repo)!r}, revision='v1.0..main')")
    assert "+line 4" in diff and "note3.txt" in diff and "note1.txt" not in diff


async def test_blame_grep_files_branches_and_tags(session: Session, repo: Path) -> None:
    here = f"repo={str(repo)!r}"
    blame = await value(session, f"tools.git.blame({here}, paths=['app.py'], lines='3,3')")
    assert "Grace" in blame and "line 3" in blame and "line 2" not in blame

    grep = await value(session, f"tools.git.grep({here}, pattern='ANSWER IS 42', ignore_case=True)")
    assert grep.strip() == "HEAD:note2.txt:1:note 2: the answer is 42"

    files = await value(session, f"tools.git.files({here}, revision='v1.0')")
    assert files.split() == ["app.py", "note1.txt", "note2.txt"]

    branches = await value(session, f"tools.git.branches({here})")
    assert "feature" in branches and "* main" in branches
    assert (await value(session, f"tools.git.tags({here})")).split() == ["v1.0"]


async def test_the_skills_give_the_history_as_data(session: Session, repo: Path) -> None:
    commits = await value(session, f"skills.recent_commits(repo={str(repo)!r}, limit=2)")
    assert [c["subject"] for c in commits] == ["change 3", "change 2"]
    assert commits[1]["author"] == "Grace" and commits[1]["date"].startswith("2024-05-02")
    assert commits[0]["sha"] == git(repo, "rev-parse", "HEAD").strip()

    people = await value(session, f"skills.contributors(repo={str(repo)!r})")
    assert people == [
        {"name": "Ada", "email": "ada@example.com", "commits": 2},
        {"name": "Grace", "email": "grace@example.com", "commits": 1},
    ]
    recent = await value(
        session, f"skills.contributors(repo={str(repo)!r}, since='2024-05-02T06:00:00+00:00')"
    )
    assert [p["commits"] for p in recent] == [1, 1]


async def test_nothing_that_writes_or_reads_the_working_tree_is_offered(
    session: Session, repo: Path
) -> None:
    result = await session.run(f"tools.git.status(repo={str(repo)!r})")
    assert result.error is not None and "ToolNotFoundError" in result.error
    result = await session.run(f"tools.git.log(repo={str(repo)!r}, revision='--output=/tmp/x')")
    assert result.error is not None and "would be read as an option" in result.error


# --- a hostile repository -----------------------------------------------------------------


def make_hostile(path: Path, markers: Path) -> Path:
    make_repo(path)
    markers.mkdir()

    def leave(name: str) -> str:
        return f"sh -c 'touch {markers / name}; cat'"

    config = {
        "core.fsmonitor": leave("fsmonitor"),
        "core.pager": leave("pager"),
        "diff.external": leave("extdiff"),
        "diff.evil.command": leave("extdiff"),
        "diff.evil.textconv": leave("textconv"),
        "filter.evil.clean": leave("clean"),
        "filter.evil.smudge": leave("smudge"),
        "filter.evil.required": "true",
        "log.showSignature": "true",
        "gpg.program": leave("gpg"),
        "pager.log": leave("pager"),
        "pager.blame": leave("pager"),
    }
    for key, setting in config.items():
        git(path, "config", key, setting)
    hooks = path / ".git" / "hooks"
    for hook in ("post-checkout", "pre-commit", "reference-transaction", "post-index-change"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {markers / 'hook'}\n")
        (hooks / hook).chmod(0o755)
    (path / ".gitattributes").write_text("* filter=evil diff=evil\n")
    (path / "app.py").write_text("changed in the working tree\n")
    return path


CALLS = [
    ("log", {}),
    ("log", {"patch": True, "stat": True}),
    ("show", {}),
    ("show", {"revision": "HEAD:app.py"}),
    ("diff", {"revision": "HEAD~2..HEAD"}),
    ("diff", {"revision": "app.py"}),
    ("blame", {"paths": ["app.py"]}),
    ("grep", {"pattern": "line"}),
    ("grep", {"pattern": "line", "revision": "app.py"}),
    ("files", {}),
    ("branches", {}),
    ("tags", {}),
]


async def test_a_hostile_repository_runs_no_command_on_the_host(
    session: Session, tmp_path: Path
) -> None:
    markers = tmp_path / "markers"
    hostile = make_hostile(tmp_path / "hostile", markers)
    # The probe works: plain git on this repository does run what its config names.
    subprocess.run(
        ["git", "-C", str(hostile), "log", "-p", "-1"], capture_output=True, timeout=60, check=False
    )
    subprocess.run(
        ["git", "-C", str(hostile), "status"], capture_output=True, timeout=60, check=False
    )
    assert {"textconv", "fsmonitor"} <= {p.name for p in markers.iterdir()}
    for marker in markers.iterdir():
        marker.unlink()

    for recipe, arguments in CALLS:
        with anyio.fail_after(60):
            await session.run(f"tools.git.{recipe}(repo={str(hostile)!r}, **{arguments!r})")
        ran = sorted(p.name for p in markers.iterdir())
        assert ran == [], f"tools.git.{recipe}(**{arguments}) ran the repository's {ran}"
