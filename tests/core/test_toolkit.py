"""The agent-facing catalogue: names, subsets, validation, rendering, and the portal."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from py_code_mode import FileStorage, InProcessExecutor, Session
from py_code_mode._toolkit import TOOL_NAMES, Toolkit, ToolkitOptions, cut
from py_code_mode.errors import UsageError

pytestmark = pytest.mark.anyio

ADD = 'def run(a: int, b: int = 2) -> int:\n    """Add two numbers."""\n    return a + b\n'


@pytest.fixture
async def toolkit(session: Session) -> Toolkit:
    return Toolkit(session)


def _session(tmp_path: Path, **kwargs: object) -> Session:
    return Session(storage=FileStorage(tmp_path / "ws"), executor=InProcessExecutor(), **kwargs)  # type: ignore[arg-type]


async def test_the_catalogue_offers_exactly_the_documented_names(toolkit: Toolkit) -> None:
    assert [tool.name for tool in await toolkit.list()] == list(TOOL_NAMES)
    assert TOOL_NAMES == (
        "run_code", "list_tools", "search_tools", "list_skills", "search_skills", "get_skill",
        "skill_history", "rollback_skill", "create_skill", "delete_skill", "list_artifacts",
        "list_deps", "add_dep", "remove_dep",
    )  # fmt: skip
    schemas = {tool.name: tool.json_schema() for tool in toolkit.tools}
    assert schemas["run_code"]["required"] == ["code"]
    assert set(schemas["run_code"]["properties"]) == {"code", "timeout"}
    assert set(schemas["search_skills"]["properties"]) == {"query", "limit"}
    assert set(schemas["create_skill"]["required"]) == {"name", "source"}
    assert set(schemas["add_dep"]["properties"]) == {"package"}
    assert all(schema["additionalProperties"] is False for schema in schemas.values())


async def test_options_choose_the_subset(tmp_path: Path) -> None:
    session = _session(tmp_path)
    read_only = Toolkit(session, ToolkitOptions.read_only())
    assert [t.name for t in read_only.tools] == [
        "list_tools", "search_tools", "list_skills", "search_skills", "get_skill",
        "skill_history", "list_artifacts", "list_deps",
    ]  # fmt: skip
    assert all(t.read_only for t in read_only.tools)
    no_writes = Toolkit(session, ToolkitOptions(skill_writes=False))
    assert "create_skill" not in [t.name for t in no_writes.tools]
    assert "run_code" in [t.name for t in no_writes.tools]
    only = Toolkit(session, ToolkitOptions(include=["run_code", "search_skills"]))
    assert [t.name for t in only.tools] == ["run_code", "search_skills"]
    result = await read_only.call("run_code", {"code": "1"})
    assert result.is_error and "Unknown tool: run_code" in result.text
    await session.close()


async def test_deps_writes_follow_the_session_unless_told(tmp_path: Path) -> None:
    locked = _session(tmp_path, allow_runtime_deps=False)
    assert "add_dep" not in [t.name for t in Toolkit(locked).tools]
    assert "list_deps" in [t.name for t in Toolkit(locked).tools]
    forced = Toolkit(_session(tmp_path), ToolkitOptions(deps_writes=False))
    assert "remove_dep" not in [t.name for t in forced.tools]


def test_bad_options_say_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="unknown tool names in include: nope"):
        ToolkitOptions(include=["nope"])
    with pytest.raises(TypeError, match="not one string"):
        ToolkitOptions(include="run_code")
    with pytest.raises(ValueError, match="max_output_chars must be an integer of at least 100"):
        ToolkitOptions(max_output_chars=5)
    with pytest.raises(TypeError, match="needs a py_code_mode.Session"):
        Toolkit("session")  # type: ignore[arg-type]


async def test_run_code_returns_value_and_output_and_keeps_state(toolkit: Toolkit) -> None:
    first = await toolkit.call("run_code", {"code": "x = 20\nprint('hello')\nx + 1"})
    assert not first.is_error
    assert first.text == "21\n\nStdout:\nhello\n"
    second = await toolkit.call("run_code", {"code": "{'x': x}"})
    assert second.text == '{"x": 20}'
    quiet = await toolkit.call("run_code", {"code": "y = 1"})
    assert quiet.text == "(no output)"


async def test_a_failing_run_is_an_error_output_with_the_agents_line(toolkit: Toolkit) -> None:
    result = await toolkit.call("run_code", {"code": "print('before')\n1/0"})
    assert result.is_error
    assert result.text.startswith("Error: Traceback")
    assert "line 2" in result.text and "ZeroDivisionError" in result.text
    assert "Stdout:\nbefore" in result.text
    assert not (await toolkit.call("run_code", {"code": "1"})).is_error


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("run_code", {"code": 5}, "code: Input should be a valid string"),
        ("run_code", {}, "code: Field required"),
        ("run_code", {"code": "1", "cod": "1"}, "cod: Extra inputs are not permitted"),
        ("run_code", {"code": "1", "timeout": -1}, "timeout: Input should be greater than 0"),
        ("search_skills", {"query": "x", "limit": "many"}, "limit: Input should be a valid"),
        ("search_tools", {"query": "x", "limit": 0}, "limit: Input should be greater"),
        ("get_skill", {"name": "../x"}, "InvalidNameError: Invalid skill name '../x'"),
        ("get_skill", {"name": "missing"}, "SkillNotFoundError: no skill named 'missing'"),
        ("create_skill", {"name": "list", "source": ADD, "description": "d"}, "reserved"),
        ("create_skill", {"name": "x", "source": "def run(:", "description": "d"}, "syntax error"),
        ("add_dep", {"package": "git+https://evil/x"}, "InvalidRequirementError"),
        ("nope", {}, "Unknown tool: nope. Available: run_code, list_tools"),
    ],
)
async def test_bad_arguments_are_error_outputs_that_explain(
    toolkit: Toolkit, name: str, arguments: dict[str, object], expected: str
) -> None:
    result = await toolkit.call(name, arguments)
    assert result.is_error
    assert expected in result.text
    assert not (await toolkit.call("run_code", {"code": "1 + 1"})).is_error
    assert await toolkit.session.list_skills() == []


async def test_arguments_that_are_not_an_object_are_an_error(toolkit: Toolkit) -> None:
    result = await toolkit.call("run_code", ["print(1)"])  # type: ignore[arg-type]
    assert result.is_error and "Invalid arguments for run_code" in result.text


async def test_huge_code_is_refused_before_it_runs(tmp_path: Path) -> None:
    async with _session(tmp_path) as session:
        toolkit = Toolkit(session, ToolkitOptions(max_code_chars=1000))
        result = await toolkit.call("run_code", {"code": "x = 1\n" + "#" * 2000})
        assert result.is_error
        assert "2,006 characters; the limit is 1,000" in result.text
        missing = await toolkit.call("run_code", {"code": "x"})
        assert "NameError" in missing.text


async def test_long_output_is_cut_with_a_note_of_how_much(tmp_path: Path) -> None:
    async with _session(tmp_path) as session:
        toolkit = Toolkit(session, ToolkitOptions(max_output_chars=1000))
        result = await toolkit.call("run_code", {"code": "print('a' * 5000 + 'END')"})
        assert "characters of stdout cut" in result.text
        assert "4,004 of 5,004 characters" in result.text
        assert result.text.rstrip().endswith("END")
        assert len(result.text) < 1300


def test_cut_keeps_short_text_and_bounds_long_text() -> None:
    assert cut("short", 100) == "short"
    long = "x" * 10_000
    assert len(cut(long, 300)) < 300 + 200
    assert "9,700 of 10,000 characters of output cut" in cut(long, 300)


async def test_run_code_description_lists_tools_and_skills(toolkit: Toolkit) -> None:
    created = await toolkit.call(
        "create_skill", {"name": "add", "source": ADD, "description": "Add two numbers."}
    )
    assert not created.is_error and created.data["name"] == "add"
    run_code = (await toolkit.list())[0]
    assert "skills.<name>(**kw)" in run_code.description
    assert "- add(a: int, b: int = 2) -> int — Add two numbers." in run_code.description
    await toolkit.call("run_code", {"code": "skills.delete('add')"})
    assert "- add(" not in (await toolkit.list())[0].description


@pytest.mark.parametrize("skills", [0, 3, 60])
@pytest.mark.parametrize("persistent", [True, False])
async def test_the_run_code_description_stays_within_its_bound(
    tmp_path: Path, skills: int, persistent: bool
) -> None:
    async with _session(tmp_path) as session:
        for i in range(skills):
            await session.create_skill(f"skill_{i:02d}", ADD, "A skill with a description " * 3)
        for limit in (1024, 700, 2000):
            options = ToolkitOptions(description_chars=limit, persistent=persistent)
            toolkit = Toolkit(session, options)
            description = (await toolkit.list())[0].description
            assert len(description) <= limit
            if skills == 60:
                assert "more: skills.search(q)" in description
            if skills == 3 and limit >= 1024:
                assert "- skill_02(a: int, b: int = 2) -> int — A skill" in description


def test_the_description_bound_must_leave_room_for_the_fixed_text() -> None:
    with pytest.raises(ValueError, match="description_chars must be an integer of at least"):
        ToolkitOptions(description_chars=50)
    with pytest.raises(TypeError, match="persistent must be True or False"):
        ToolkitOptions(persistent="no")  # type: ignore[arg-type]


async def test_run_code_says_whether_variables_outlive_a_call(tmp_path: Path) -> None:
    async with _session(tmp_path) as session:
        kept = (await Toolkit(session).list())[0].description
        fresh = (await Toolkit(session, ToolkitOptions(persistent=False)).list())[0].description
    assert "Variables persist between calls" in kept and "fresh Python session" not in kept
    assert "fresh Python session" in fresh and "Variables persist" not in fresh
    assert "keep what must last in artifacts" in fresh


async def test_listings_come_back_as_json_text_and_data(toolkit: Toolkit) -> None:
    await toolkit.session.save_artifact("numbers", [1, 2, 3], description="three numbers")
    result = await toolkit.call("list_artifacts", {})
    assert not result.is_error
    assert result.data[0]["name"] == "numbers"
    assert '"numbers"' in result.text
    assert (await toolkit.call("list_deps")).text == "[]"


async def test_run_code_streams_output_as_it_is_produced(toolkit: Toolkit) -> None:
    chunks: list[tuple[str, str]] = []
    result = await toolkit.call(
        "run_code",
        {"code": "import sys\nprint('one', flush=True)\nprint('two', file=sys.stderr)"},
        on_output=lambda stream, text: chunks.append((stream, text)),
    )
    assert not result.is_error
    assert "".join(text for stream, text in chunks if stream == "stdout") == "one\n"
    assert "".join(text for stream, text in chunks if stream == "stderr") == "two\n"


def test_sync_calls_work_without_a_loop_and_inside_a_running_loop(tmp_path: Path) -> None:
    session = _session(tmp_path)
    toolkit = Toolkit(session)
    assert toolkit.call_sync("run_code", {"code": "x = 41\nx + 1"}).text == "42"

    async def inside_a_loop() -> str:
        # A notebook-style caller: sync call on the thread of a running loop.
        sync_text = toolkit.call_sync("run_code", {"code": "x"}).text
        async_text = (await toolkit.call("run_code", {"code": "x + 1"})).text
        return sync_text + "," + async_text

    assert asyncio.run(inside_a_loop()) == "41,42"
    results: list[str] = []
    thread = threading.Thread(
        target=lambda: results.append(toolkit.call_sync("run_code", {"code": "x"}).text)
    )
    thread.start()
    thread.join()
    assert results == ["41"]
    toolkit.portal.close()
    assert session.loop is not None and session.loop.is_closed()


async def test_a_blocking_call_on_the_sessions_own_loop_is_refused(toolkit: Toolkit) -> None:
    await toolkit.session.start()
    with pytest.raises(UsageError, match="would deadlock: use the async form there"):
        toolkit.call_sync("list_skills")


async def test_listing_sees_skills_made_outside_the_toolkit(toolkit: Toolkit) -> None:
    await toolkit.list()
    assert not toolkit.stale
    await toolkit.session.create_skill("outside", ADD, "Made through the facade.")
    assert "- outside(" in (await toolkit.list())[0].description
    await toolkit.call("run_code", {"code": "x = 1"})
    assert not toolkit.stale  # code that never names skills cannot change them
    await toolkit.call("run_code", {"code": "skills.delete('outside')"})
    assert toolkit.stale


async def test_a_skill_made_by_code_that_never_spells_skills_makes_the_listing_stale(
    toolkit: Toolkit,
) -> None:
    # Staleness comes from the storage's revision, not from reading the code.
    await toolkit.list()
    hidden = (
        "ns = globals()['sk' + 'ills']\n"
        f"getattr(ns, 'cre' + 'ate')(name='hidden', source={ADD!r}, description='Hidden.')"
    )
    changes = toolkit.changes
    assert not (await toolkit.call("run_code", {"code": hidden})).is_error
    assert toolkit.stale and toolkit.changes == changes + 1
    assert "- hidden(" in (await toolkit.list())[0].description
    assert not toolkit.stale
    await toolkit.call("run_code", {"code": "skills.list(); skills.search('x')"})
    assert not toolkit.stale and toolkit.changes == changes + 1  # naming skills is not writing


async def test_a_change_by_another_host_is_noticed_after_a_call_that_can_write(
    tmp_path: Path,
) -> None:
    async with _session(tmp_path) as first, _session(tmp_path) as second:
        toolkit = Toolkit(first)
        await toolkit.list()
        await second.create_skill("elsewhere", ADD, "Made by another host.")
        assert not toolkit.stale  # nothing asked the storage yet
        await toolkit.call("run_code", {"code": "1"})
        assert toolkit.stale


async def test_at_a_thousand_tools_listings_are_compact_lines_in_pages(tmp_path: Path) -> None:
    tools = tmp_path / "ws" / "tools"
    tools.mkdir(parents=True)
    for i in range(1000):
        (tools / f"t{i:04}.yaml").write_text(
            f"name: t{i:04}\ndescription: Tool number {i} fetches record {i} of the archive\n"
            "command: echo\nschema:\n  options:\n    verbose: {type: boolean}\n"
            "  positional:\n    - {name: record, type: string, required: true}\n"
            "recipes:\n  fetch: {}\n  count: {params: {verbose: {}}}\n"
        )
    session = _session(tmp_path)
    async with session:
        toolkit = Toolkit(session)
        limit = toolkit.options.max_output_chars
        first = await toolkit.call("list_tools", {})
        last = await toolkit.call("list_tools", {"offset": 990})
        found = await toolkit.call("search_tools", {"query": "record 417", "limit": 100})
        too_many = await toolkit.call("list_tools", {"limit": 500})
    lines = first.text.splitlines()
    assert not first.is_error and len(first.text) < limit
    assert (
        lines[0] == "- t0000: fetch(record, verbose?), count(verbose?) — Tool number 0 fetches "
        "record 0 of the archive"
    )
    assert lines[-1] == "[1-50 of 1000; the next page: list_tools(offset=50)]"
    assert len(lines) == 51
    assert last.text.splitlines()[-1].startswith("- t0999") and "next page" not in last.text
    assert len(found.text) < limit and found.text.startswith("- t0417:")
    assert too_many.is_error and "limit" in too_many.text
