"""Verification on save: a skill's examples and tests run in the worker before it is kept.

Each failure says which example or test failed and how, and leaves the version saved
before in place. The same happens whether the save comes from agent code, the facade or
an agent tool, because the facade hands a save with examples to the worker.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from py_code_mode import (
    FileStorage,
    InvalidSkillError,
    Session,
    SkillVerificationError,
    SubprocessExecutor,
    Toolkit,
)
from py_code_mode._runtime.verify import same

pytestmark = pytest.mark.anyio

SLUG = '''
def run(text: str, sep: str = "-") -> str:
    """Turn a title into a URL slug."""
    return sep.join(text.lower().split())
'''
BROKEN_SLUG = SLUG.replace("text.lower()", "text")
EXAMPLES = [{"args": {"text": "Hello World"}, "expect": "hello-world"}]


async def current_source(session: Session, name: str) -> str | None:
    found = await session.get_skill(name)
    return None if found is None else str(found["source"])


async def test_examples_and_tests_that_pass_are_kept_with_the_version(session: Session) -> None:
    code = (
        f"skills.create('slugify', {SLUG!r}, examples={EXAMPLES!r}, "
        'tests=\'assert run("A  b") == "a-b"\\n\\ndef test_sep():\\n'
        '    assert run("A b", sep="_") == "a_b"\\n\')'
    )
    result = await session.run(code)
    assert result.error is None, result.error
    assert result.value["name"] == "slugify"

    found = await session.get_skill("slugify")
    assert found is not None
    assert found["verification"]["examples"] == EXAMPLES
    assert "def test_sep" in found["verification"]["tests"]
    assert found["verification"]["test_count"] == 1
    history = await session.skill_history("slugify")
    assert history[-1]["verified"]["examples"] == 1
    assert history[-1]["verified"]["tests"] == 1


async def test_an_example_with_the_wrong_result_keeps_the_version_before(
    session: Session,
) -> None:
    await session.create_skill("slugify", SLUG)
    result = await session.run(f"skills.create('slugify', {BROKEN_SLUG!r}, examples={EXAMPLES!r})")

    assert result.error_type == "SkillVerificationError"
    assert result.error is not None
    assert "example 1, slugify(text='Hello World'), returned 'Hello-World'" in result.error
    assert "expected 'hello-world'" in result.error
    assert await current_source(session, "slugify") == SLUG
    assert len(await session.skill_history("slugify")) == 1


async def test_an_example_that_raises_is_named_with_its_error(session: Session) -> None:
    source = "def run(n: int) -> float:\n    return 1 / n\n"
    result = await session.run(
        f"skills.create('inverse', {source!r}, examples=[{{'args': {{'n': 2}}, 'expect': 0.5}}, "
        "{'args': {'n': 0}}])"
    )
    assert result.error_type == "SkillVerificationError"
    assert "example 2, inverse(n=0), raised ZeroDivisionError: division by zero" in str(
        result.error
    )
    assert await session.get_skill("inverse") is None


async def test_a_failing_test_is_named_with_its_line(session: Session) -> None:
    tests = "def test_spaces():\n    assert run('a  b') == 'a--b'\n"
    with pytest.raises(SkillVerificationError) as caught:
        await session.create_skill("slugify", SLUG, tests=tests)
    message = str(caught.value)
    assert "test test_spaces() failed: AssertionError (line 2: assert run('a  b') == 'a--b')" in (
        message
    )
    assert "was not saved" in message
    assert await session.get_skill("slugify") is None


async def test_tests_that_do_not_parse_or_fail_at_module_level_are_refused(
    session: Session,
) -> None:
    with pytest.raises(SkillVerificationError, match="syntax error on line 1"):
        await session.create_skill("slugify", SLUG, tests="def test_(:\n")
    with pytest.raises(SkillVerificationError, match="at module level: NameError"):
        await session.create_skill("slugify", SLUG, tests="assert undefined_name\n")
    assert await session.get_skill("slugify") is None


async def test_an_agent_tool_save_with_examples_is_verified_too(session: Session) -> None:
    toolkit = Toolkit(session)
    failed = await toolkit.call(
        "create_skill", {"name": "slugify", "source": BROKEN_SLUG, "examples": EXAMPLES}
    )
    assert failed.is_error
    assert "SkillVerificationError" in failed.text and "expected 'hello-world'" in failed.text
    assert await session.get_skill("slugify") is None

    saved = await toolkit.call(
        "create_skill", {"name": "slugify", "source": SLUG, "examples": EXAMPLES}
    )
    assert not saved.is_error, saved.text
    found = await session.get_skill("slugify")
    assert found is not None and found["verification"]["examples"] == EXAMPLES


async def test_examples_can_use_the_namespaces_like_an_invocation(session: Session) -> None:
    await session.save_artifact("greeting", "hello")
    source = "def run() -> str:\n    return artifacts.load('greeting').upper()\n"
    examples = [{"args": {}, "expect": "HELLO"}]
    summary = await session.create_skill("shout", source, examples=examples)
    assert summary["name"] == "shout"


async def test_an_example_that_never_returns_times_out_and_saves_nothing(
    workspace: Path,
) -> None:
    async with Session(
        storage=FileStorage(workspace), executor=SubprocessExecutor(), default_timeout=1
    ) as session:
        with pytest.raises(TimeoutError, match="timeout: .* did not finish within 1 s"):
            await session.create_skill(
                "spin", "def run():\n    while True:\n        pass\n", examples=[{"args": {}}]
            )
        assert await session.get_skill("spin") is None
        after = await session.run("1 + 1")
        assert after.value == 2


@pytest.mark.parametrize(
    ("examples", "message"),
    [
        ({"args": {}}, "examples must be a list of examples, got dict"),
        (["text"], "example 1 must be a dict, got str"),
        ([{"arguments": {}}], "must have 'args'.*not 'arguments'"),
        ([{"args": ["a"]}], "example 1 must have 'args'"),
        ([{"args": {}}] * 51, "at most 50 examples"),
    ],
)
async def test_examples_of_the_wrong_shape_say_what_one_looks_like(
    session: Session, examples: object, message: str
) -> None:
    with pytest.raises(InvalidSkillError, match=message):
        await session.create_skill("slugify", SLUG, examples=examples)  # type: ignore[arg-type]
    result = await session.run(f"skills.create('slugify', {SLUG!r}, examples={examples!r})")
    assert result.error_type == "InvalidSkillError"
    assert await session.get_skill("slugify") is None


async def test_requires_is_written_into_the_source_and_checked_before_examples(
    session: Session,
) -> None:
    source = '"""Count."""\n\ndef run() -> int:\n    return 1\n'
    await session.create_skill("counter", source, requires=["packaging>=20"])
    found = await session.get_skill("counter")
    assert found is not None
    assert "__requires__ = ['packaging>=20']" in found["source"]
    assert found["requires"] == ["packaging>=20"]
    assert found["description"] == "Count."

    with pytest.raises(ModuleNotFoundError, match=r"deps.add\('no-such-dist-xq'\)"):
        await session.create_skill(
            "needs", source, requires=["no-such-dist-xq"], examples=[{"args": {}}]
        )
    assert await session.get_skill("needs") is None

    declared = "__requires__ = ['httpx']\n" + source
    with pytest.raises(InvalidSkillError, match="give the requirements in one place"):
        await session.create_skill("twice", declared, requires=["pandas"])
    with pytest.raises(InvalidSkillError, match="requires must be a list"):
        await session.create_skill("twice", source, requires="pandas")  # type: ignore[arg-type]


async def test_the_input_schema_comes_from_the_annotations(session: Session) -> None:
    source = (
        "from typing import Literal\n\n"
        "def run(text: str, count: int = 2, tags: list[str] | None = None,\n"
        "        mode: Literal['a', 'b'] = 'a', **extra):\n    return text\n"
    )
    await session.create_skill("shaped", source)
    found = await session.get_skill("shaped")
    assert found is not None
    assert found["input_schema"] == {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "count": {"type": "integer", "default": 2},
            "tags": {
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
                "default": None,
            },
            "mode": {"enum": ["a", "b"], "default": "a"},
        },
        "required": ["text"],
        "additionalProperties": True,
    }


async def test_a_rollback_keeps_the_verification_of_the_version(session: Session) -> None:
    await session.create_skill("slugify", SLUG, examples=EXAMPLES)
    await session.create_skill("slugify", BROKEN_SLUG)
    await session.rollback_skill("slugify", 1)
    found = await session.get_skill("slugify")
    assert found is not None
    assert found["source"] == SLUG and found["verification"]["examples"] == EXAMPLES


@pytest.mark.parametrize(
    ("got", "expected", "equal"),
    [
        ((1, 2), [1, 2], True),
        (0.1 + 0.2, 0.3, True),
        (True, 1, False),
        (1, 1.0, True),
        ({"a": [1, (2,)]}, {"a": [1, [2]]}, True),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ("1", 1, False),
        (None, None, True),
    ],
)
def test_an_example_matches_as_data(got: object, expected: object, equal: bool) -> None:
    assert same(got, expected) is equal


async def test_a_ten_megabyte_source_or_tests_are_refused_and_nothing_is_lost(
    session: Session,
) -> None:
    await session.create_skill("slugify", SLUG)
    huge = SLUG + "# " + "x" * 10_000_000 + "\n"
    result = await session.run(
        "skills.create('slugify', 'def run(): pass\\n# ' + 'x' * 10_000_000)"
    )
    assert result.error_type == "InvalidSkillError"
    assert "source is over 256,000 bytes" in str(result.error)  # its source is over ...
    with pytest.raises(InvalidSkillError, match="over 256,000 bytes"):
        await session.create_skill("slugify", huge)
    with pytest.raises(InvalidSkillError, match="tests are over 256,000 bytes"):
        await session.create_skill("slugify", SLUG, tests="assert True\n" * 1_000_000)
    assert await current_source(session, "slugify") == SLUG


async def test_a_skill_importing_a_missing_module_names_the_deps_add(session: Session) -> None:
    source = "import no_such_module_xq.sub\n\ndef run():\n    return 1\n"
    await session.create_skill("needs", source)
    result = await session.run("skills.needs()")
    assert result.error_type == "ModuleNotFoundError"
    assert "Skill 'needs' imports 'no_such_module_xq'" in str(result.error)
    assert "deps.add('no_such_module_xq')" in str(result.error)
    with pytest.raises(ModuleNotFoundError, match=r"deps.add\('no_such_module_xq'\)"):
        await session.create_skill("needs", source, examples=[{"args": {}}])
