"""`py-code-mode store`: a library moved between a directory, Redis and a zip, exactly."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from anyio import to_thread
from py_code_mode import FileStorage, RedisStorage, Session
from py_code_mode._artifacts import ArtifactStore
from py_code_mode._cli import main
from py_code_mode._cli.demo import WC_TOOL
from py_code_mode._skills.library import SkillLibrary
from py_code_mode._storage.base import Storage

from tests._support import require_binary
from tests.storage.conftest import free_port

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

COUNT_WORDS = '''"""Count words with the wc tool."""

def run(text: str) -> int:
    return int(tools.wc.words(input=text))
'''

SHOUT = '''def run(text: str) -> str:
    """Say it louder."""
    return text.upper() + "!"
'''

ARTIFACTS: dict[str, Any] = {
    "blob.bin": b"\x00\xff\x10 raw",
    "note.txt": "héllo\nwörld",
    "doc.json": {"a": [1, None, 2.5], "b": {"c": True}},
    "answer": 42,
    "scans/host1.txt": "port 22 open",
}


async def make_workspace(base: Path) -> Path:
    storage = FileStorage(base)
    skills = SkillLibrary(storage)
    await skills.create("count_words", COUNT_WORDS, description="Count the words of a text")
    await skills.create("shout", SHOUT)  # no explicit description: derived from the docstring
    store = ArtifactStore(storage)
    for name, value in ARTIFACTS.items():
        await store.save(name, value)
    await store.save("scans/host1.txt", "port 22 open", description="scan", metadata={"k": [1]})
    await store.save("fresh.json", {"n": 1}, ttl=3600)
    (base / "tools").mkdir(parents=True, exist_ok=True)
    (base / "tools" / "wc.yaml").write_text(WC_TOOL, encoding="utf-8")
    (base / "requirements.txt").write_text("# pinned\nrequests>=2.31\nrich\n", encoding="utf-8")
    return base


async def snapshot(storage: Storage) -> dict[str, Any]:
    """Everything a storage holds, as a Session would see it (times included)."""
    artifacts = {}
    for info in await storage.list_artifacts():
        loaded, payload = await storage.load_artifact(info.name)
        artifacts[info.name] = (payload, loaded.to_dict())
    return {
        "skills": {s.name: (s.source, s.description) for s in await storage.list_skills()},
        "artifacts": artifacts,
        "deps": sorted(await storage.list_deps()),
        "tools": {data["name"]: data for _, data in await storage.load_tool_definitions()},
    }


async def cli(*argv: str) -> int:
    """Run the command in this process, as the console script does (it owns its loop)."""
    return await to_thread.run_sync(main, list(argv))


def redis_storage(url: str, prefix: str) -> RedisStorage:
    return RedisStorage(url, prefix=prefix)


async def snapshot_redis(url: str, prefix: str) -> dict[str, Any]:
    async with redis_storage(url, prefix) as storage:
        return await snapshot(storage)


async def keys(url: str) -> list[str]:
    client = redis.asyncio.Redis.from_url(url)
    try:
        return sorted([key.decode() async for key in client.scan_iter(match="*")])
    finally:
        await client.aclose()


@pytest.fixture
async def workspace(tmp_path: Path) -> Path:
    return await make_workspace(tmp_path / "ws")


@pytest.fixture
async def pushed(workspace: Path, redis_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    """The workspace bootstrapped into Redis under prefix 'lib'; returns the URL."""
    assert (
        await cli("store", "bootstrap", str(workspace), "--redis", redis_url, "--prefix", "lib")
        == 0
    )
    capsys.readouterr()
    return redis_url


# --- bootstrap: the round trip through a Session ---------------------------------------------


async def test_bootstrap_pushes_a_workspace_that_a_redis_session_uses_in_full(
    workspace: Path,
    redis_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_binary("wc")
    argv = ["store", "bootstrap", str(workspace), "--redis", redis_url, "--prefix", "lib"]
    assert await cli(*argv) == 0
    out = capsys.readouterr().out
    assert "wrote 2 skills, 6 artifacts, 2 deps, 1 tool, removed nothing, 0 unchanged" in out

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    async with Session(storage=RedisStorage(redis_url, prefix="lib")) as session:
        described = {s["name"]: s["description"] for s in await session.list_skills()}
        assert described == {"count_words": "Count the words of a text", "shout": "Say it louder."}
        counted = await session.invoke_skill("count_words", text="one two three")
        assert counted.value == 3, counted.error
        assert (await session.run("skills.shout(text='hi')")).value == "HI!"
        assert (await session.run("tools.wc.words(input='a b c d').strip()")).value == "4"
        for name, value in ARTIFACTS.items():
            assert await session.load_artifact(name) == value
        assert await session.load_artifact("fresh.json") == {"n": 1}
        assert (await session.run("artifacts.load('blob.bin')")).value == ARTIFACTS["blob.bin"]
        assert sorted(await session.list_deps()) == ["requests>=2.31", "rich"]
        [tool] = await session.list_tools()
        assert tool["name"] == "wc"

    # Every record came across exactly: times, descriptions, metadata, expiry.
    assert await snapshot_redis(redis_url, "lib") == await snapshot(FileStorage(workspace))
    # The CLI wrote nothing a RedisStorage does not read: only its own keys, under the prefix.
    assert {key.split(":")[1] for key in await keys(redis_url)} == {
        "skills",
        "artifacts",
        "deps",
        "tools",
    }
    assert all(key.startswith("lib:") for key in await keys(redis_url))
    # Skill records carry their parameters, as the library writes them (upstream reads them).
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        raw = await client.hget("lib:skills:__skills__", "count_words")
    finally:
        await client.aclose()
    assert raw is not None
    record = json.loads(raw)
    assert [p["name"] for p in record["parameters"]] == ["text"]
    assert record["description"] == "Count the words of a text"


async def test_bootstrap_again_changes_nothing_and_keeps_what_only_redis_has(
    workspace: Path, pushed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with redis_storage(pushed, "lib") as storage:
        await SkillLibrary(storage).create("agent_made", SHOUT)
    assert (
        await cli("store", "bootstrap", str(workspace), "--redis", pushed, "--prefix", "lib") == 0
    )
    out = capsys.readouterr().out
    assert "wrote nothing, removed nothing, 11 unchanged; 1 only there kept" in out
    async with redis_storage(pushed, "lib") as storage:
        assert await storage.get_skill("agent_made") is not None


async def test_bootstrap_with_clear_removes_what_the_directory_does_not_have(
    workspace: Path, pushed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "skills" / "shout.py").unlink()
    (workspace / "artifacts" / "answer").unlink()
    (workspace / "requirements.txt").write_text("rich\n")
    (workspace / "tools" / "wc.yaml").unlink()
    argv = ["store", "bootstrap", str(workspace), "--redis", pushed, "--prefix", "lib", "--clear"]
    assert await cli(*argv) == 0
    assert "removed 1 skill, 1 artifact, 1 dep, 1 tool" in capsys.readouterr().out
    after = await snapshot_redis(pushed, "lib")
    assert set(after["skills"]) == {"count_words"}
    assert "answer" not in after["artifacts"]
    assert after["deps"] == ["rich"] and after["tools"] == {}
    assert await cli("store", "diff", str(workspace), "--redis", pushed, "--prefix", "lib") == 0


async def test_bootstrap_refuses_to_overwrite_what_differs_unless_forced(
    workspace: Path, pushed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "skills" / "shout.py").write_text(SHOUT.replace("!", "!!"))
    argv = ["store", "bootstrap", str(workspace), "--redis", pushed, "--prefix", "lib"]
    before = await snapshot_redis(pushed, "lib")
    assert await cli(*argv) == 2
    err = capsys.readouterr().err
    assert "skill shout" in err and "--force" in err and "nothing was written" in err
    assert await snapshot_redis(pushed, "lib") == before
    assert await cli(*argv, "--force") == 0
    async with Session(storage=redis_storage(pushed, "lib")) as session:
        assert (await session.invoke_skill("shout", text="a")).value == "A!!"


async def test_type_limits_the_kinds_and_upstream_spellings_are_accepted(
    workspace: Path, redis_url: str
) -> None:
    argv = ["store", "bootstrap", "--source", str(workspace), "--target", redis_url]
    assert await cli(*argv, "--prefix", "p", "--type", "skills", "--type", "tools") == 0
    pushed = await snapshot_redis(redis_url, "p")
    assert set(pushed["skills"]) == {"count_words", "shout"}
    assert len(pushed["tools"]) == 1
    assert pushed["artifacts"] == {} and pushed["deps"] == []


@pytest.mark.parametrize(
    ("path", "content", "named"),
    [
        ("tools/broken.yaml", "name: broken\nrecipes: [oops\n", "broken.yaml"),
        (
            "tools/dated.yaml",
            WC_TOOL.replace("wc\n", "dated\n", 1) + "since: 2024-01-01\n",
            "dated",
        ),
        ("tools/again.yaml", WC_TOOL, "defined twice"),
        ("requirements.txt", "-r other.txt\n", "-r other.txt"),
    ],
)
async def test_a_workspace_redis_cannot_hold_exactly_is_refused_before_anything_is_written(
    workspace: Path,
    redis_url: str,
    capsys: pytest.CaptureFixture[str],
    path: str,
    content: str,
    named: str,
) -> None:
    (workspace / path).write_text(content)
    assert await cli("store", "bootstrap", str(workspace), "--redis", redis_url) == 2
    err = capsys.readouterr().err
    assert err.startswith("py-code-mode store bootstrap: error: ") and named in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert await keys(redis_url) == []


# --- pull and diff ---------------------------------------------------------------------------


async def test_pull_into_an_empty_directory_gives_back_the_same_library(
    workspace: Path, pushed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pulled = tmp_path / "pulled"
    assert await cli("store", "pull", str(pulled), "--redis", pushed, "--prefix", "lib") == 0
    assert "pulled into" in capsys.readouterr().out
    assert await snapshot(FileStorage(pulled)) == await snapshot(FileStorage(workspace))
    assert (pulled / "tools" / "wc.yaml").is_file()

    assert await cli("store", "diff", str(pulled), "--redis", pushed, "--prefix", "lib") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 11 and all(line.startswith("= ") for line in lines)
    assert "= skill count_words" in lines and "= tool wc" in lines

    (pulled / "skills" / "shout.py").write_text(SHOUT.replace("!", "?"))
    assert await cli("store", "diff", str(pulled), "--redis", pushed, "--prefix", "lib") == 1
    out = capsys.readouterr().out
    assert "~ skill shout" in out and "= skill count_words" in out


async def test_diff_marks_what_only_one_side_has_and_what_differs(
    workspace: Path, pushed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with redis_storage(pushed, "lib") as storage:
        await SkillLibrary(storage).create("remote_only", SHOUT)
        await ArtifactStore(storage).save("answer", 43)
    await SkillLibrary(FileStorage(workspace)).create(
        "count_words", COUNT_WORDS, description="Count the words of any text"
    )
    (workspace / "requirements.txt").write_text("requests>=2.31\nrich\nhttpx\n")
    argv = ["store", "diff", str(workspace), "--redis", pushed, "--prefix", "lib"]
    assert await cli(*argv) == 1
    lines = set(capsys.readouterr().out.splitlines())
    assert {
        "+ skill remote_only",
        "~ skill count_words",
        "= skill shout",
        "~ artifact answer",
        "- dep httpx",
        "= tool wc",
    } <= lines
    assert await cli(*argv, "--json", "--type", "skills") == 1
    changes = json.loads(capsys.readouterr().out)
    assert changes == [
        {"mark": "~", "kind": "skills", "name": "count_words"},
        {"mark": "+", "kind": "skills", "name": "remote_only"},
        {"mark": "=", "kind": "skills", "name": "shout"},
    ]


async def test_pull_refuses_to_overwrite_local_changes_unless_forced(
    pushed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pulled = tmp_path / "pulled"
    argv = ["store", "pull", "--dest", str(pulled), "--target", pushed, "--prefix", "lib"]
    assert await cli(*argv) == 0
    edited = SHOUT.replace("!", "?")
    (pulled / "skills" / "shout.py").write_text(edited)
    (pulled / "skills" / "mine.py").write_text(SHOUT)
    (pulled / "tools" / "mine.yaml").write_text(WC_TOOL.replace("name: wc", "name: mine"))
    capsys.readouterr()
    assert await cli(*argv) == 2
    assert "skill shout" in capsys.readouterr().err
    assert (pulled / "skills" / "shout.py").read_text() == edited
    assert await cli(*argv, "--force") == 0
    assert (pulled / "skills" / "shout.py").read_text() == SHOUT
    assert (pulled / "skills" / "mine.py").exists()
    assert await cli(*argv, "--clear") == 0
    assert not (pulled / "skills" / "mine.py").exists()
    assert sorted(p.name for p in (pulled / "tools").iterdir()) == ["wc.yaml"]


async def test_pulled_tool_replaces_the_file_that_defines_it(pushed: str, tmp_path: Path) -> None:
    pulled = tmp_path / "pulled"
    (pulled / "tools").mkdir(parents=True)
    (pulled / "tools" / "count.yaml").write_text(WC_TOOL.replace("Count lines", "Tally lines"))
    argv = ["store", "pull", str(pulled), "--redis", pushed, "--prefix", "lib", "--force"]
    assert await cli(*argv, "--type", "tools") == 0
    assert sorted(p.name for p in (pulled / "tools").iterdir()) == ["count.yaml"]
    [(_, data)] = await FileStorage(pulled).load_tool_definitions()
    assert data["description"] == "Count lines, words and bytes of text"


# --- list ------------------------------------------------------------------------------------


async def test_list_shows_each_kind_for_people_and_as_json(
    pushed: str, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("store", "list", "--redis", pushed, "--prefix", "lib") == 0
    out = capsys.readouterr().out
    for text in (
        "prefix='lib'",
        "skills (2)",
        "count_words  Count the words of a text",
        "shout        Say it louder.",
        "artifacts (6)",
        "bytes",
        "expires 20",
        "deps (2)",
        "requests>=2.31",
        "tools (1)",
        "wc  Count lines, words and bytes of text",
    ):
        assert text in out, text

    (workspace / "skills" / "zz_broken.py").write_text("def run(:\n")
    assert await cli("store", "list", "--base", str(workspace), "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["store"] == str(workspace.resolve())
    assert listing["skills"][0] == {
        "name": "count_words",
        "description": "Count the words of a text",
        "explicit": True,
        "error": None,
    }
    assert listing["skills"][1]["explicit"] is False
    broken = listing["skills"][2]
    assert broken["name"] == "zz_broken" and broken["description"] is None
    assert "syntax error" in broken["error"]
    blob = next(a for a in listing["artifacts"] if a["name"] == "blob.bin")
    assert (blob["type"], blob["size"]) == ("bytes", len(ARTIFACTS["blob.bin"]))
    assert listing["deps"] == ["requests>=2.31", "rich"]
    assert listing["tools"] == [
        {"name": "wc", "description": "Count lines, words and bytes of text"}
    ]


# --- export and import -----------------------------------------------------------------------


async def test_export_then_import_gives_an_identical_library_in_redis_and_in_a_directory(
    workspace: Path, pushed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "lib.zip"
    assert await cli("store", "export", str(archive), "--redis", pushed, "--prefix", "lib") == 0
    assert "2 skills, 6 artifacts, 2 deps, 1 tool" in capsys.readouterr().out
    with zipfile.ZipFile(archive) as opened:
        assert {"manifest.json", "skills/shout.py", "artifacts/scans/host1.txt"} <= set(
            opened.namelist()
        )
    assert await cli("store", "import", str(archive), "--redis", pushed, "--prefix", "copy") == 0
    assert await snapshot_redis(pushed, "copy") == await snapshot_redis(pushed, "lib")

    fresh = tmp_path / "fresh"
    assert await cli("store", "import", str(archive), "--base", str(fresh)) == 0
    assert await snapshot(FileStorage(fresh)) == await snapshot(FileStorage(workspace))

    # A directory exports too, and an export never replaces a file unless forced.
    again = tmp_path / "again.zip"
    assert await cli("store", "export", str(again), "--base", str(fresh)) == 0
    assert await cli("store", "export", str(again), "--base", str(fresh)) == 2
    assert "--force" in capsys.readouterr().err
    assert await cli("store", "export", str(again), "--base", str(fresh), "--force") == 0


def _rewrite(archive: Path, target: Path, change: dict[str, bytes | None]) -> None:
    """A copy of `archive` with members replaced (bytes), added, or dropped (None)."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(target, "w") as out:
        for name in source.namelist():
            if name not in change:
                out.writestr(name, source.read(name))
        for name, data in change.items():
            if data is not None:
                out.writestr(name, data)


def _manifest_with(archive: Path, **sections: Any) -> bytes:
    with zipfile.ZipFile(archive) as source:
        manifest = json.loads(source.read("manifest.json"))
    manifest.update(sections)
    return json.dumps(manifest).encode()


def _bad_archives(good: Path, folder: Path) -> Iterator[tuple[str, Path]]:
    def made(label: str) -> Path:
        return folder / f"{label}.zip"

    made("garbage").write_bytes(b"this is not a zip file at all")
    yield "not a readable zip archive", made("garbage")
    made("truncated").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    yield "not a readable zip archive", made("truncated")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as foreign:
        foreign.writestr("README.md", "hello")
    made("foreign").write_bytes(buffer.getvalue())
    yield "has no manifest.json", made("foreign")
    _rewrite(good, made("damaged"), {"artifacts/blob.bin": b"\x00\xff\x10 RAW"})
    yield "SHA-256", made("damaged")
    _rewrite(good, made("extra"), {"../evil": b"owned"})
    yield "'../evil'", made("extra")
    with zipfile.ZipFile(good) as source:
        manifest = json.loads(source.read("manifest.json"))
    [entry] = [a for a in manifest["artifacts"] if a["name"] == "answer"]
    evil = {**entry, "name": "../evil"}
    manifest_bytes = _manifest_with(good, artifacts=[*manifest["artifacts"], evil])
    _rewrite(
        good,
        made("traversal"),
        {"manifest.json": manifest_bytes, "artifacts/../evil": source_bytes(good, "answer")},
    )
    yield "'../evil'", made("traversal")
    _rewrite(good, made("newer"), {"manifest.json": _manifest_with(good, version=99)})
    yield "version 99", made("newer")
    odd_tool = {"name": ["wc"], "size": 1, "sha256": "0"}
    _rewrite(good, made("odd"), {"manifest.json": _manifest_with(good, tools=[odd_tool])})
    yield "is not a string", made("odd")


def source_bytes(archive: Path, artifact: str) -> bytes:
    with zipfile.ZipFile(archive) as source:
        return source.read(f"artifacts/{artifact}")


async def test_a_damaged_or_hostile_archive_is_refused_and_nothing_is_written(
    pushed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.zip"
    assert await cli("store", "export", str(good), "--redis", pushed, "--prefix", "lib") == 0
    before = await keys(pushed)
    for reason, bad in _bad_archives(good, tmp_path):
        capsys.readouterr()
        target = tmp_path / f"into-{bad.stem}"
        assert await cli("store", "import", str(bad), "--base", str(target)) == 2, bad
        assert await cli("store", "import", str(bad), "--redis", pushed, "--prefix", "x") == 2
        err = capsys.readouterr().err
        assert reason in err and str(bad) in err, err
        assert "Traceback" not in err and err.count("\n") == 2
        assert not target.exists()
        assert await keys(pushed) == before
    assert not (tmp_path / "evil").exists() and not (tmp_path.parent / "evil").exists()


# --- errors, progress, help --------------------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://x", "'http://x'"),
        ("redis://:s3cret@127.0.0.1:{closed}/0", "redis://:***@127.0.0.1:{closed}/0"),
        ("redis://127.0.0.1:{closed}/0", "redis://127.0.0.1:{closed}/0"),
        ("redis://127.0.0.1:{closed}/0?password=s3cret", "password=***"),
    ],
)
async def test_a_bad_url_is_one_clear_line_without_the_password(
    url: str, shown: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = free_port()
    url, shown = url.format(closed=closed), shown.format(closed=closed)
    assert await cli("store", "list", "--redis", url) == 2
    err = capsys.readouterr().err
    assert shown in err and "s3cret" not in err and "Traceback" not in err
    assert err.startswith("py-code-mode store list: error: ") and err.count("\n") == 1


async def test_a_server_that_never_answers_fails_within_the_timeout(
    silent_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["store", "pull", str(tmp_path / "d"), "--redis", silent_server, "--timeout", "0.2"]
    assert await cli(*argv) == 2
    assert f"Redis at {silent_server} is unavailable" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


async def test_progress_is_shown_on_stderr_when_asked_and_only_then(
    workspace: Path, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["store", "bootstrap", str(workspace), "--redis", redis_url]
    assert await cli(*argv) == 0
    assert capsys.readouterr().err == ""
    assert await cli(*argv, "--prefix", "other", "--progress") == 0
    err = capsys.readouterr().err.splitlines()
    assert "read 6/6 artifacts" in err
    assert {
        "pushed 1/2 skills",
        "pushed 2/2 skills",
        "pushed 6/6 artifacts",
        "pushed 1/1 tools",
    } <= set(err)


def test_help_names_every_verb_and_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["store", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for verb in ("bootstrap", "pull", "diff", "list", "export", "import"):
        assert verb in out
    with pytest.raises(SystemExit):
        main(["store", "bootstrap", "--help"])
    out = capsys.readouterr().out
    for option in ("--redis URL, --target URL", "--prefix", "--source", "--clear", "--force"):
        assert option in out
    with pytest.raises(SystemExit) as exited:
        main(["store", "bootstrap", "--redis", "redis://x"])
    assert exited.value.code == 2 and "DIR is required" in capsys.readouterr().err


def _script() -> Path:
    script = Path(sys.executable).parent / "py-code-mode"
    assert script.is_file(), "the console script is not installed"
    return script


def test_the_console_script_round_trips_and_reports_a_bad_url(
    redis_url: str, tmp_path: Path
) -> None:
    source = tmp_path / "ws"
    (source / "skills").mkdir(parents=True)
    (source / "skills" / "shout.py").write_text(SHOUT)

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(_script()), "store", *argv], capture_output=True, text=True, timeout=60
        )

    pushed = run("bootstrap", str(source), "--redis", redis_url)
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stderr == ""
    listed = run("list", "--redis", redis_url, "--json")
    assert [s["name"] for s in json.loads(listed.stdout)["skills"]] == ["shout"]
    assert run("diff", str(source), "--redis", redis_url).returncode == 0

    failed = run("list", "--redis", f"redis://:pw@127.0.0.1:{free_port()}/0")
    assert failed.returncode == 2
    assert failed.stderr.startswith("py-code-mode store list: error: Redis at redis://:***@")
    assert "Traceback" not in failed.stderr and ":pw@" not in failed.stderr
    help_text = run("--help")
    assert help_text.returncode == 0 and "bootstrap" in help_text.stdout
