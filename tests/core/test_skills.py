"""Skills from agent code and from the facade: create, find, invoke, compose, reject."""

from __future__ import annotations

import pytest
from py_code_mode import InvalidNameError, InvalidSkillError, Session, SkillNotFoundError

pytestmark = pytest.mark.anyio

DOUBLE = '''"""Double a number."""

def run(n: int, times: int = 2) -> int:
    return n * times
'''

ASYNC_GREETING = '''async def run(name: str) -> str:
    """Greet someone by name."""
    return f"hello {name}"
'''


async def test_a_skill_created_in_agent_code_can_be_invoked_three_ways(session: Session) -> None:
    create = await session.run(f"skills.create(name='double', source={DOUBLE!r})")
    assert create.is_ok, create.error
    result = await session.run(
        "(skills.invoke('double', n=4), skills.double(n=5, times=3),"
        " await skills.invoke('double', n=1))"
    )
    assert result.value == "(8, 15, 2)"


async def test_sync_and_async_skills_both_run_plainly_and_awaited(session: Session) -> None:
    await session.create_skill("greet", ASYNC_GREETING)
    plain = await session.run("skills.greet(name='ada')")
    awaited = await session.run("await skills.greet(name='bob')")
    assert (plain.value, awaited.value) == ("hello ada", "hello bob")


async def test_description_and_parameters_come_from_the_source(session: Session) -> None:
    await session.create_skill("double", DOUBLE)
    listed = await session.list_skills()
    assert listed == [
        {
            "name": "double",
            "description": "Double a number.",
            "params": {"n": "integer", "times": "integer"},
            "signature": "def run(n: int, times: int = 2) -> int",
        }
    ]
    full = await session.get_skill("double")
    assert full is not None and full["source"] == DOUBLE
    assert full["parameters"][1] == {
        "name": "times",
        "type": "integer",
        "description": "",
        "required": False,
        "default": 2,
    }


async def test_an_explicit_description_survives_a_new_session(session: Session) -> None:
    await session.run(
        "skills.create(name='stars', source='def run():\\n    return 1', description='Count stars')"
    )
    async with Session(storage=session.storage) as fresh:
        assert (await fresh.list_skills())[0]["description"] == "Count stars"


async def test_search_finds_skills_by_meaning_of_their_words(session: Session) -> None:
    await session.create_skill(
        "fetch_repo_stars",
        "def run(owner: str, repo: str) -> int:\n    return 0\n",
        "Get GitHub repository star count",
    )
    await session.create_skill("double", DOUBLE)
    await session.create_skill("greet", ASYNC_GREETING)
    found = await session.run("[s['name'] for s in skills.search('github stars of a repository')]")
    assert found.value == ["fetch_repo_stars"]
    assert [s["name"] for s in await session.search_skills("double a number", limit=1)] == [
        "double"
    ]


async def test_skills_compose_with_tools_artifacts_and_other_skills(session: Session) -> None:
    await session.create_skill("double", DOUBLE)
    await session.create_skill(
        "quadruple_and_save",
        "async def run(n: int) -> int:\n"
        "    once = await skills.invoke('double', n=n)\n"
        "    twice = skills.double(n=once)\n"
        "    artifacts.save('last_quadruple', twice)\n"
        "    return twice\n",
    )
    result = await session.run("skills.quadruple_and_save(n=3)")
    assert result.value == 12
    assert await session.load_artifact("last_quadruple") == 12


async def test_a_failing_skill_shows_the_skills_own_line(session: Session) -> None:
    await session.create_skill("broken", "def run():\n    x = 1\n    return x / 0\n")
    result = await session.run("skills.broken()")
    assert not result.is_ok
    assert '<skill broken>", line 3, in run' in (result.error or "")


async def test_deleting_a_skill_removes_it(session: Session) -> None:
    await session.create_skill("double", DOUBLE)
    assert await session.delete_skill("double") is True
    assert await session.delete_skill("double") is False
    result = await session.run("skills.double(n=1)")
    assert "SkillNotFoundError" in (result.error or "") and "Skill not found: 'double'" in (
        result.error or ""
    )
    assert await session.get_skill("double") is None


@pytest.mark.parametrize(
    "name",
    [
        "../malicious",
        "foo/bar",
        "123skill",
        "skill.name",
        "a b",
        "",
        "list",
        "search",
        "get",
        "create",
        "delete",
        "invoke",
        "_private",
        "class",
        "x" * 65,
        None,
        12,
    ],
)
async def test_hostile_skill_names_are_rejected_and_nothing_is_written(
    session: Session, name: object
) -> None:
    with pytest.raises(InvalidNameError):
        await session.create_skill(name, DOUBLE)  # type: ignore[arg-type]
    result = await session.run(f"skills.create(name={name!r}, source={DOUBLE!r})")
    assert "InvalidNameError" in (result.error or "")
    root = session.storage.root
    assert root is not None
    assert [p.name for p in (root / "skills").glob("*.py")] == []
    assert await session.list_skills() == []


@pytest.mark.parametrize(
    "source",
    [
        "def run(:\n  pass",
        "x = 1\n",
        "def helper():\n    def run():\n        pass\n",
        b"def run(): pass",
        42,
    ],
)
async def test_invalid_skill_sources_are_rejected_and_nothing_is_written(
    session: Session, source: object
) -> None:
    with pytest.raises(InvalidSkillError):
        await session.create_skill("ok_name", source)  # type: ignore[arg-type]
    result = await session.run(f"skills.create(name='ok_name', source={source!r})")
    assert "InvalidSkillError" in (result.error or "")
    assert await session.list_skills() == []


async def test_agent_code_can_catch_a_rejection(session: Session) -> None:
    result = await session.run(
        "from py_code_mode.errors import InvalidNameError\n"
        "try:\n    skills.create(name='../x', source='def run(): pass')\n"
        "except InvalidNameError as e:\n    caught = str(e)\ncaught"
    )
    assert "Invalid skill name '../x'" in result.value


async def test_invoking_a_missing_skill_from_the_facade_raises(session: Session) -> None:
    with pytest.raises(SkillNotFoundError):
        await session.invoke_skill("nope")


async def test_invoke_skill_from_the_facade_runs_it_in_the_worker(session: Session) -> None:
    await session.create_skill("double", DOUBLE)
    result = await session.invoke_skill("double", n=21)
    assert result.is_ok and result.value == 42


async def test_a_lone_surrogate_in_a_skill_is_rejected_before_anything_is_written(
    session: Session,
) -> None:
    from py_code_mode.errors import InvalidSkillError

    with pytest.raises(InvalidSkillError, match="lone surrogate"):
        await session.create_skill("bad", "def run():\n    return '\ud800'\n", "d")
    with pytest.raises(InvalidSkillError, match="description is not valid text"):
        await session.create_skill("bad", "def run():\n    return 1\n", "\udc80")
    assert await session.list_skills() == []


async def test_help_on_a_skill_shows_its_signature_and_docstring(session: Session) -> None:
    source = '"""Add two numbers."""\n\ndef run(a: int, b: int = 2) -> int:\n    return a + b\n'
    await session.create_skill("add", source)
    result = await session.run(
        "import inspect, io, contextlib\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    help(skills.add)\n"
        "[str(inspect.signature(skills.add)), skills.add.__doc__, out.getvalue()]"
    )
    assert result.error is None, result.error
    signature, doc, shown = result.value
    assert signature == "(a: int, b: int = 2) -> int"
    assert doc == "Add two numbers."
    assert "add(a: int, b: int = 2) -> int" in shown and "Add two numbers." in shown
