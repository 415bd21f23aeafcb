"""Skills as Agent Skills folders: export, import, every hostile folder, and the store CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from py_code_mode import FileStorage, InProcessExecutor, Session
from py_code_mode._skills import agent_skills
from py_code_mode._skills.agent_skills import (
    ENTRY_POINT_KEY,
    MAX_FILE_BYTES,
    MAX_FOLDER_ENTRIES,
    SKILL_FILE,
    agent_name,
    export_skill,
    parse_skill_md,
    python_name,
    read_folder,
    write_folder,
)
from py_code_mode.errors import InvalidNameError, InvalidSkillError, UsageError

pytestmark = pytest.mark.anyio

WAIT = 60
SCRIPT = Path(sys.executable).parent / "py-code-mode"

STARS = '''"""Star count of a GitHub repository."""

__requires__ = ["httpx>=0.27"]


def run(owner: str, repo: str, limit: int = 10, sep: str = "|`") -> int:
    return len(owner) + len(repo) + limit
'''
SHOUT = '''async def run(text: str) -> str:
    """Say it louder."""
    return text.upper() + "!"
'''
PLAIN = "def run():\n    return 'no description at all'\n"
GREET = "def run(name: str = 'wörld') -> str:\n    return f'héllo {name}'\n"

SKILLS: dict[str, tuple[str, str | None]] = {
    "fetch_repo_stars": (STARS, None),  # described by its module docstring
    "shout": (SHOUT, None),  # by run's docstring; async
    "plain": (PLAIN, None),  # no description at all
    "greet": (GREET, "Greets: 'yes', \"no\", # not a comment, ümlaut: and a colon"),
    "x2": ("def run(a: int) -> int:\n    return 2 * a\n", "Doubles\nover two lines"),
}

NOTES = """---
name: team-notes
description: >-
  How this team writes commit messages; use when committing.
license: MIT
compatibility: Any agent with git
metadata:
  author: ada
  version: "1.0"
---

# Commit messages

1. Say *why*, not what.
2. Keep ``\"\"\"`` and back\\slashes as they are.
"""


def folder(root: Path, name: str, files: dict[str, str | bytes]) -> Path:
    """A skill folder `root/name` holding `files`."""
    path = root / name
    for relative, content in files.items():
        target = path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    path.mkdir(parents=True, exist_ok=True)
    return path


def skill_md(name: str, description: str = "Does a thing.", extra: str = "", body: str = "") -> str:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\n\n{body}"


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    async with Session(FileStorage(tmp_path / "source"), InProcessExecutor()) as s:
        for name, (source, description) in SKILLS.items():
            await s.create_skill(name, source, description)
        yield s


async def details(session: Session, name: str) -> dict[str, Any]:
    """What `session.get_skill(name)` returns, for a skill that exists."""
    found = await session.get_skill(name)
    assert found is not None
    return found


async def fresh(tmp_path: Path, name: str = "target") -> Session:
    return Session(FileStorage(tmp_path / name), InProcessExecutor())


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("skill", "agent"),
    [("fetch_repo_stars", "fetch-repo-stars"), ("x2", "x2"), ("a1_b2", "a1-b2")],
)
def test_names_swap_underscores_and_hyphens_both_ways(skill: str, agent: str) -> None:
    assert agent_name(skill) == agent
    assert python_name(agent) == skill


@pytest.mark.parametrize("skill", ["fetchRepo", "a__b", "trailing_", "x" * 65])
def test_a_skill_name_that_would_not_come_back_is_refused(skill: str) -> None:
    with pytest.raises(InvalidNameError, match="lowercase"):
        agent_name(skill)


@pytest.mark.parametrize(
    "agent",
    ["Fetch", "a--b", "-a", "a-", "a_b", "", "a" * 65, "3d-render", "class", "list", "ünï"],
)
def test_an_agent_name_that_cannot_name_a_skill_is_refused(agent: str) -> None:
    with pytest.raises(InvalidNameError):
        python_name(agent)


# --- export then import ----------------------------------------------------------------------


async def test_exported_skills_import_into_a_fresh_workspace_unchanged(
    session: Session, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    for name in SKILLS:
        write_folder(export_skill(await details(session, name)), out)
    assert sorted(p.name for p in out.iterdir()) == sorted(n.replace("_", "-") for n in SKILLS)
    async with await fresh(tmp_path) as target:
        for path in sorted(out.iterdir()):
            imported = read_folder(path)
            assert (imported.kind, imported.ignored) == ("python", ())
            await target.create_skill(imported.name, imported.source, imported.description)
        for name in SKILLS:
            before, after = await details(session, name), await details(target, name)
            assert after["source"] == before["source"]
            if before["description"]:
                assert after["description"] == before["description"]
        assert (await target.invoke_skill("fetch_repo_stars", owner="a", repo="bc")).value == 13
        assert (await target.invoke_skill("shout", text="hi")).value == "HI!"
        # Exported once more, the folders are byte for byte the same.
        for name in SKILLS:
            again = export_skill(await details(target, name))
            assert again == export_skill(await details(session, name))


async def test_an_exported_folder_says_how_to_call_the_skill(session: Session) -> None:
    exported = export_skill(await details(session, "fetch_repo_stars"))
    assert list(exported.files) == [SKILL_FILE, "fetch_repo_stars.py"]
    assert exported.files["fetch_repo_stars.py"] == STARS.encode()
    text = exported.files[SKILL_FILE].decode()
    frontmatter, body = parse_skill_md(text)
    assert (
        frontmatter
        == exported.frontmatter
        == {
            "name": "fetch-repo-stars",
            "description": "Star count of a GitHub repository.",
            "metadata": {ENTRY_POINT_KEY: "fetch_repo_stars.py"},
        }
    )
    assert "skills.fetch_repo_stars(owner=..., repo=...)" in body
    assert "def run(owner: str, repo: str, limit: int = 10, sep: str = '|`') -> int" in body
    assert "| `limit` | `integer` | no | `10` |" in body
    assert "httpx>=0.27" in body


async def test_a_skill_without_a_description_gets_one_from_its_signature(
    session: Session,
) -> None:
    exported = export_skill(await details(session, "plain"))
    assert exported.frontmatter["description"] == "The py-code-mode skill plain: def run()"


async def test_a_skill_that_cannot_be_an_agent_skill_says_why(
    session: Session,
) -> None:
    await session.create_skill("fetchRepo", PLAIN)
    with pytest.raises(InvalidNameError, match="fetch_repo_stars becomes fetch-repo-stars"):
        export_skill(await details(session, "fetchRepo"))
    await session.create_skill("wordy", PLAIN, description="x" * 1025)
    with pytest.raises(InvalidSkillError, match="at most 1,024"):
        export_skill(await details(session, "wordy"))


def test_a_folder_is_written_whole_and_replaced_only_when_forced(tmp_path: Path) -> None:
    details = {"name": "shout", "source": SHOUT, "description": "Loud", "parameters": []}
    written = write_folder(export_skill(details), tmp_path)
    (written / "stale.txt").write_text("left from before")
    with pytest.raises(UsageError, match="--force"):
        write_folder(export_skill(details), tmp_path)
    write_folder(export_skill(details), tmp_path, force=True)
    assert sorted(p.name for p in written.iterdir()) == [SKILL_FILE, "shout.py"]
    assert [p.name for p in tmp_path.iterdir()] == ["shout"]  # no staging folders left


# --- instructions ----------------------------------------------------------------------------


async def test_a_folder_without_code_is_kept_as_instructions_and_exports_back(
    tmp_path: Path,
) -> None:
    path = folder(tmp_path, "team-notes", {SKILL_FILE: NOTES, "references/style.md": "# Style"})
    imported = read_folder(path)
    assert (imported.name, imported.kind, imported.entry_point) == (
        "team_notes",
        "instructions",
        None,
    )
    assert imported.description == "How this team writes commit messages; use when committing."
    assert imported.ignored == ("references/style.md",)
    async with await fresh(tmp_path) as target:
        await target.create_skill(imported.name, imported.source, imported.description)
        listed = await target.list_skills()
        found = await target.search_skills("commit messages")
        ran = await target.invoke_skill("team_notes")
        exported = export_skill(await details(target, "team_notes"))
    assert [s["name"] for s in listed] == ["team_notes"]
    assert [s["name"] for s in found] == ["team_notes"]
    original, body = parse_skill_md(NOTES)
    assert ran.value == body
    assert exported.kind == "instructions" and list(exported.files) == [SKILL_FILE]
    assert parse_skill_md(exported.files[SKILL_FILE].decode()) == (
        {**original, "description": imported.description},
        body,
    )
    out = write_folder(exported, tmp_path / "again")
    assert read_folder(out).source == imported.source


def test_instructions_survive_any_text(tmp_path: Path) -> None:
    body = 'Quotes """ and \\ backslashes, a tab\there, emoji 🎉 and a trailing quote"\n'
    path = folder(tmp_path, "odd", {SKILL_FILE: skill_md("odd", body=body)})
    imported = read_folder(path)
    details = {"name": imported.name, "source": imported.source, "description": "Does a thing."}
    assert parse_skill_md(export_skill(details).files[SKILL_FILE].decode())[1] == body


def test_crlf_line_ends_and_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    text = "\ufeff" + skill_md("crlf", body="# Title\nline\n").replace("\n", "\r\n")
    imported = read_folder(folder(tmp_path, "crlf", {SKILL_FILE: text}))
    assert (
        parse_skill_md(
            export_skill({"name": "crlf", "source": imported.source}).files[SKILL_FILE].decode()
        )[1]
        == "# Title\nline\n"
    )


# --- entry points ----------------------------------------------------------------------------


def test_the_file_named_after_the_skill_is_preferred(tmp_path: Path) -> None:
    path = folder(
        tmp_path,
        "pick-me",
        {
            SKILL_FILE: skill_md("pick-me", extra="license: MIT\n", body="# Hand-written\n"),
            "pick_me.py": "def run():\n    return 1\n",
            "scripts/other.py": "def run():\n    return 2\n",
            "data.csv": "a,b\n",
        },
    )
    imported = read_folder(path)
    assert (imported.kind, imported.entry_point) == ("python", "pick_me.py")
    assert imported.source == "def run():\n    return 1\n"
    assert imported.description == "Does a thing."
    assert set(imported.ignored) == {
        "data.csv",
        "scripts/other.py",
        f"the instructions in {SKILL_FILE}",
        "license",
    }


def test_the_only_file_defining_run_is_the_entry_point(tmp_path: Path) -> None:
    path = folder(
        tmp_path,
        "solo",
        {
            SKILL_FILE: skill_md("solo"),
            "scripts/main.py": "import helper\n\ndef run(x: int) -> int:\n    return x\n",
            "scripts/helper.py": "VALUE = 1\n",
        },
    )
    assert read_folder(path).entry_point == "scripts/main.py"


def test_the_front_matter_can_name_the_entry_point(tmp_path: Path) -> None:
    extra = f"metadata:\n  {ENTRY_POINT_KEY}: lib/go.py\n"
    path = folder(
        tmp_path,
        "named",
        {
            SKILL_FILE: skill_md("named", extra=extra),
            "lib/go.py": "def run():\n    return 'go'\n",
            "named.py": "def run():\n    return 'not me'\n",
        },
    )
    assert read_folder(path).entry_point == "lib/go.py"


# --- hostile folders -------------------------------------------------------------------------

RUN = "def run():\n    return 1\n"

HOSTILE: dict[str, tuple[dict[str, str | bytes], type[Exception], str]] = {
    "no SKILL.md": ({"bad.py": RUN}, InvalidSkillError, "there is no SKILL.md"),
    "no front matter": ({SKILL_FILE: "# Just markdown\n"}, InvalidSkillError, "must begin"),
    "unclosed front matter": (
        {SKILL_FILE: "---\nname: bad\ndescription: x\n"},
        InvalidSkillError,
        "never closed",
    ),
    "malformed YAML": (
        {SKILL_FILE: "---\nname: bad\ndescription: [unclosed\n---\n"},
        InvalidSkillError,
        "not valid YAML",
    ),
    "a list, not fields": (
        {SKILL_FILE: "---\n- name\n- description\n---\n"},
        InvalidSkillError,
        "not a mapping",
    ),
    "a python tag": (
        {SKILL_FILE: "---\nname: !!python/object:os.system bad\ndescription: x\n---\n"},
        InvalidSkillError,
        "not valid YAML",
    ),
    "no name": ({SKILL_FILE: "---\ndescription: x\n---\n"}, InvalidSkillError, "no 'name'"),
    "no description": ({SKILL_FILE: "---\nname: bad\n---\n"}, InvalidSkillError, "description"),
    "an empty description": (
        {SKILL_FILE: skill_md("bad", description='""')},
        InvalidSkillError,
        "non-empty",
    ),
    "a description too long": (
        {SKILL_FILE: skill_md("bad", description="x" * 1025)},
        InvalidSkillError,
        "at most 1,024",
    ),
    "a capitalised name": ({SKILL_FILE: skill_md("Bad")}, InvalidNameError, "lowercase"),
    "a name that is a number": (
        {SKILL_FILE: "---\nname: 12\ndescription: x\n---\n"},
        InvalidNameError,
        "must be text",
    ),
    "another folder's name": ({SKILL_FILE: skill_md("other")}, InvalidNameError, "match"),
    "a date": (
        {SKILL_FILE: skill_md("bad", extra="created: 2024-01-01\n")},
        InvalidSkillError,
        "quote it",
    ),
    "a key that is not text": (
        {SKILL_FILE: skill_md("bad", extra="1: one\n")},
        InvalidSkillError,
        "not text",
    ),
    "metadata with a number": (
        {SKILL_FILE: skill_md("bad", extra="metadata:\n  version: 1.0\n")},
        InvalidSkillError,
        "quote numbers",
    ),
    "compatibility too long": (
        {SKILL_FILE: skill_md("bad", extra=f"compatibility: {'x' * 501}\n")},
        InvalidSkillError,
        "compatibility",
    ),
    "an alias bomb": (
        {
            SKILL_FILE: "---\nname: bad\ndescription: x\na: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n"
                for i in range(8)
            )
            + "---\n"
        },
        InvalidSkillError,
        "alias",
    ),
    "deep nesting": (
        {
            SKILL_FILE: "---\nname: bad\ndescription: x\ndeep: "
            + "[" * 5000
            + "]" * 5000
            + "\n---\n"
        },
        InvalidSkillError,
        "front matter",
    ),
    "a huge front matter": (
        {SKILL_FILE: skill_md("bad", extra=f"junk: {'x' * 70_000}\n")},
        InvalidSkillError,
        "over 65,536 bytes",
    ),
    "a huge SKILL.md": (
        {SKILL_FILE: skill_md("bad", body="x" * MAX_FILE_BYTES)},
        InvalidSkillError,
        "at most 256,000 bytes",
    ),
    "a huge entry point": (
        {SKILL_FILE: skill_md("bad"), "bad.py": RUN + "#" * MAX_FILE_BYTES},
        InvalidSkillError,
        "at most 256,000 bytes",
    ),
    "a binary SKILL.md": (
        {SKILL_FILE: skill_md("bad").encode() + b"\x00\x01"},
        InvalidSkillError,
        "binary",
    ),
    "a SKILL.md that is not UTF-8": (
        {SKILL_FILE: skill_md("bad", body="caf\xe9").encode("latin-1")},
        InvalidSkillError,
        "not UTF-8",
    ),
    "code that is not UTF-8": (
        {SKILL_FILE: skill_md("bad"), "bad.py": "# caf\xe9\n".encode("latin-1") + RUN.encode()},
        InvalidSkillError,
        "not UTF-8",
    ),
    "code that does not parse": (
        {SKILL_FILE: skill_md("bad"), "bad.py": "def run(:\n"},
        InvalidSkillError,
        "syntax error",
    ),
    "two entry points": (
        {SKILL_FILE: skill_md("bad"), "a.py": RUN, "b.py": RUN},
        InvalidSkillError,
        "name the entry point bad.py",
    ),
    "an entry point out of the folder": (
        {SKILL_FILE: skill_md("bad", extra=f"metadata:\n  {ENTRY_POINT_KEY}: ../x.py\n")},
        InvalidSkillError,
        "relative path",
    ),
    "an entry point without run": (
        {
            SKILL_FILE: skill_md("bad", extra=f"metadata:\n  {ENTRY_POINT_KEY}: a.py\n"),
            "a.py": "x = 1\n",
        },
        InvalidSkillError,
        "defines no top-level `run`",
    ),
    "neither code nor instructions": (
        {SKILL_FILE: skill_md("bad")},
        InvalidSkillError,
        "nothing to keep",
    ),
    "a skill the library refuses": (
        {SKILL_FILE: skill_md("bad"), "bad.py": "__requires__ = [1]\n" + RUN},
        InvalidSkillError,
        "__requires__",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_folder_is_refused_saying_what_is_wrong(tmp_path: Path, case: str) -> None:
    files, error, said = HOSTILE[case]
    path = folder(tmp_path, "bad", files)
    with pytest.raises(error, match=said.replace("*", r"\*").replace("(", r"\(")):
        read_folder(path)


@pytest.mark.parametrize("agent", ["list", "class"])
def test_a_name_py_code_mode_keeps_for_itself_is_refused(tmp_path: Path, agent: str) -> None:
    path = folder(tmp_path, agent, {SKILL_FILE: skill_md(agent, body="text")})
    with pytest.raises(InvalidNameError, match=agent):
        read_folder(path)


@pytest.mark.parametrize(
    "link", ["secret.md", "scripts/steal.py", SKILL_FILE, "refs"], ids=lambda link: link
)
def test_a_link_out_of_the_folder_is_refused(tmp_path: Path, link: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.md").write_text(skill_md("bad", body="stolen"))
    files: dict[str, str | bytes] = {} if link == SKILL_FILE else {SKILL_FILE: skill_md("bad")}
    path = folder(tmp_path, "bad", files)
    (path / link).parent.mkdir(parents=True, exist_ok=True)
    (path / link).symlink_to(outside if link == "refs" else outside / "target.md")
    with pytest.raises(InvalidSkillError, match="outside the folder"):
        read_folder(path)


def test_a_link_inside_the_folder_is_followed(tmp_path: Path) -> None:
    path = folder(tmp_path, "linked", {SKILL_FILE: skill_md("linked"), "real.py": RUN})
    (path / "linked.py").symlink_to(path / "real.py")
    assert read_folder(path).entry_point == "linked.py"


def test_a_folder_with_too_many_files_is_refused(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {SKILL_FILE: skill_md("bad", body="text")}
    files.update({f"many/{i}.txt": "" for i in range(MAX_FOLDER_ENTRIES)})
    with pytest.raises(InvalidSkillError, match="over 1,000 files"):
        read_folder(folder(tmp_path, "bad", files))


def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    path = folder(tmp_path, "bad", {})
    os.mkfifo(path / SKILL_FILE)
    with pytest.raises(InvalidSkillError, match="no SKILL.md"):  # and no hang on open
        read_folder(path)


def test_hidden_files_are_skipped(tmp_path: Path) -> None:
    path = folder(
        tmp_path,
        "tidy",
        {SKILL_FILE: skill_md("tidy", body="text"), ".git/HEAD": b"\x00binary", ".DS_Store": b""},
    )
    (path / ".escape").symlink_to("/etc/passwd")
    imported = read_folder(path)
    assert (imported.kind, imported.ignored) == ("instructions", ())


def test_the_front_matter_round_trips_through_yaml() -> None:
    frontmatter = {"name": "a", "description": "yes: no # [x] {y} 'q' \"d\" ünï\ttab"}
    text = agent_skills._render(frontmatter, "body\n").decode()
    assert yaml.safe_load(text.split("---\n")[1]) == frontmatter
    assert parse_skill_md(text) == (frontmatter, "body\n")


# --- the store CLI, as a user runs it ----------------------------------------------------


def store(*argv: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.is_file(), "the console script is not installed"
    return subprocess.run(
        [str(SCRIPT), "store", *argv], capture_output=True, text=True, timeout=WAIT
    )


async def make_workspace(base: Path) -> None:
    async with Session(FileStorage(base), InProcessExecutor()) as s:
        for name, (source, description) in SKILLS.items():
            await s.create_skill(name, source, description)


async def stored(base: Path) -> dict[str, Any]:
    storage = FileStorage(base)
    try:
        return {s.name: (s.source, s.description) for s in await storage.list_skills()}
    finally:
        await storage.close()


async def test_export_skills_then_import_skills_moves_a_library(tmp_path: Path) -> None:
    await make_workspace(tmp_path / "ws")
    exported = store("export-skills", str(tmp_path / "out"), "--base", str(tmp_path / "ws"))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith(f"exported 5 skills from {tmp_path / 'ws'}")
    imported = store("import-skills", str(tmp_path / "out"), "--base", str(tmp_path / "ws2"))
    assert imported.returncode == 0, imported.stderr
    assert "wrote 5 skills, 0 unchanged" in imported.stdout
    before, after = await stored(tmp_path / "ws"), await stored(tmp_path / "ws2")
    assert {n: s for n, (s, _) in after.items()} == {n: s for n, (s, _) in before.items()}
    again = store("import-skills", str(tmp_path / "out"), "--base", str(tmp_path / "ws2"))
    assert (again.returncode, "wrote 0 skills, 5 unchanged" in again.stdout) == (0, True)


async def test_export_skills_refuses_to_overwrite_and_reports_each_unusable_skill(
    tmp_path: Path,
) -> None:
    await make_workspace(tmp_path / "ws")
    (tmp_path / "ws" / "skills" / "Broken.py").write_text("def run(:\n")
    out = tmp_path / "out"
    first = store("export-skills", str(out), "--base", str(tmp_path / "ws"))
    assert first.returncode == 1  # the others were exported
    assert "error: skill 'Broken'" in first.stderr and "syntax error" in first.stderr
    assert len(list(out.iterdir())) == 5
    (out / "shout" / SKILL_FILE).write_text("edited")
    second = store("export-skills", str(out), "--base", str(tmp_path / "ws"), "--skill", "shout")
    assert second.returncode == 2 and "--force" in second.stderr
    assert (out / "shout" / SKILL_FILE).read_text() == "edited"
    forced = store(
        "export-skills", str(out), "--base", str(tmp_path / "ws"), "--skill", "shout", "--force"
    )
    assert forced.returncode == 0, forced.stderr
    assert (out / "shout" / SKILL_FILE).read_text().startswith("---\nname: shout\n")
    unknown = store("export-skills", str(out), "--base", str(tmp_path / "ws"), "--skill", "nope")
    assert unknown.returncode == 2 and "has no skill 'nope'" in unknown.stderr


async def test_import_skills_imports_the_good_folders_and_reports_the_bad(tmp_path: Path) -> None:
    source = tmp_path / "folders"
    folder(source, "team-notes", {SKILL_FILE: NOTES})
    folder(source, "doubler", {SKILL_FILE: skill_md("doubler"), "doubler.py": RUN})
    folder(source, "no-front-matter", {SKILL_FILE: "# hi\n"})
    folder(source, "not-utf8", {SKILL_FILE: b"---\nname: not-utf8\n\xff\n---\n"})
    folder(source, ".hidden", {SKILL_FILE: "ignored"})
    (source / "README.md").write_text("not a skill")
    (source / "linked").symlink_to(source / "doubler")
    done = store("import-skills", str(source), "--base", str(tmp_path / "ws"))
    assert done.returncode == 1
    assert "wrote 2 skills, 0 unchanged, 3 failed" in done.stdout
    errors = [line for line in done.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 3
    assert any("no-front-matter: SKILL.md must begin with YAML front matter" in e for e in errors)
    assert any("not-utf8: 'SKILL.md' is not UTF-8 text" in e for e in errors)
    assert any("linked: it is a symbolic link" in e for e in errors)
    assert "Traceback" not in done.stderr
    assert set(await stored(tmp_path / "ws")) == {"team_notes", "doubler"}


async def test_import_skills_replaces_a_different_skill_only_when_forced(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    await make_workspace(ws)
    source = folder(tmp_path, "shout", {SKILL_FILE: skill_md("shout"), "shout.py": RUN})
    refused = store("import-skills", str(source), "--base", str(ws))
    assert refused.returncode == 1 and "exists" in refused.stderr and "--force" in refused.stderr
    assert (await stored(ws))["shout"][0] == SHOUT
    forced = store("import-skills", str(source), "--base", str(ws), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (await stored(ws))["shout"] == (RUN, "Does a thing.")
    async with Session(FileStorage(ws), InProcessExecutor()) as s:
        history = await s.skill_history("shout")
    assert [entry["version"] for entry in history] == [1, 2]  # the old one is kept


def test_import_skills_of_a_folder_without_skills_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = store("import-skills", str(tmp_path / "empty"), "--base", str(tmp_path / "ws"))
    assert done.returncode == 2
    assert done.stderr.startswith("py-code-mode store import-skills: error: ")
    assert "holds no SKILL.md" in done.stderr
    missing = store("import-skills", str(tmp_path / "nowhere"), "--base", str(tmp_path / "ws"))
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
    assert not (tmp_path / "ws").exists() or not any((tmp_path / "ws").rglob("*.py"))


def test_the_store_help_names_the_skill_verbs() -> None:
    shown = store("--help")
    assert "export-skills DIR" in shown.stdout and "import-skills DIR" in shown.stdout
    for verb in ("export-skills", "import-skills"):
        helped = store(verb, "--help")
        assert helped.returncode == 0 and "--base DIR" in helped.stdout


def test_nothing_is_left_behind_when_a_write_fails(tmp_path: Path) -> None:
    details = {"name": "shout", "source": SHOUT, "description": "Loud", "parameters": []}
    exported = export_skill(details)
    # A file where a folder must go: the second write fails after the first succeeded.
    broken = agent_skills.SkillFolder(
        exported.name, exported.frontmatter, {**exported.files, "SKILL.md/x": b""}, "python"
    )
    with pytest.raises(OSError):
        write_folder(broken, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    write_folder(exported, tmp_path / "out")
    (tmp_path / "out" / "shout" / "keep.txt").write_text("the folder that was there")
    with pytest.raises(OSError):
        write_folder(broken, tmp_path / "out", force=True)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["shout"]
    assert (tmp_path / "out" / "shout" / "keep.txt").exists()
