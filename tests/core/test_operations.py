"""The operations table: one entry per namespace method, and everything derived from it."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from py_code_mode import FileStorage, Session, SyncSession
from py_code_mode._host import Host
from py_code_mode._names import RESERVED_SKILL_NAMES, RESERVED_TOOL_NAMES
from py_code_mode._operations import Operations, annotation_text, by_verb, operations
from py_code_mode._reference import render_reference
from py_code_mode._toolkit import TOOL_NAMES, Toolkit
from py_code_mode.errors import InputError

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
CODE_OPERATIONS = [op for op in operations() if op.code]


def test_every_verb_is_in_the_table_once() -> None:
    verbs = [op.verb for op in operations()]
    assert len(verbs) == len(set(verbs)) == len(by_verb())
    assert {"tools.call", "skills.source", "skills.create", "artifacts.save"} <= set(verbs)


def test_each_handler_belongs_to_the_service_of_its_namespace() -> None:
    hints = inspect.get_annotations(Host, eval_str=True)
    for op in operations():
        service = hints[op.namespace]
        assert getattr(service, op.handler.__name__) is op.handler, op.verb


async def test_session_and_sync_session_methods_have_the_handlers_signatures(
    tmp_path: Path,
) -> None:
    session = Session(storage=FileStorage(tmp_path))
    for op in operations():
        for facade in (Session, SyncSession):
            assert getattr(facade, op.facade) is op
        method = getattr(session, op.facade)
        assert inspect.signature(method) == op.signature
        assert method.__doc__ == op.description
        assert inspect.iscoroutinefunction(method)
    await session.close()


def test_sync_session_methods_block_and_return_the_data(tmp_path: Path) -> None:
    with SyncSession(storage=FileStorage(tmp_path)) as session:
        record = session.save_artifact("numbers", [1, 2, 3], ttl=60)
        assert record["name"] == "numbers"
        assert session.load_artifact("numbers") == [1, 2, 3]
        assert session.artifact_exists("numbers") is True
        with pytest.raises(TypeError):
            session.load_artifact()  # type: ignore[call-arg]


async def test_agent_code_methods_have_the_operations_signatures_and_descriptions(
    session: Session,
) -> None:
    result = await session.run(
        "import inspect\n"
        "namespaces = {'tools': tools, 'skills': skills, 'artifacts': artifacts, 'deps': deps}\n"
        "{f'{ns}.{name}': [str(inspect.signature(method)), method.__doc__]\n"
        " for ns, namespace in namespaces.items()\n"
        " for name, method in vars(namespace).items() if name in "
        f"{sorted({op.name for op in CODE_OPERATIONS})!r} and not name.startswith('_')}}"
    )
    assert result.error is None
    expected = {op.verb: [_shown(op.signature), op.description] for op in CODE_OPERATIONS}
    assert result.value == expected


def _shown(signature: inspect.Signature) -> str:
    """The signature as agent code prints it: annotations as text, without quotes."""
    return str(
        signature.replace(
            parameters=[
                p.replace(annotation=_Text(annotation_text(p.annotation)))
                for p in signature.parameters.values()
            ],
            return_annotation=_Text(annotation_text(signature.return_annotation)),
        )
    )


class _Text(str):
    def __repr__(self) -> str:
        return str(self)


async def test_help_in_agent_code_shows_the_signature_and_the_description(
    session: Session,
) -> None:
    result = await session.run("help(skills.create)")
    assert result.error is None
    assert (
        "create(name: str, source: str, description: str | None = None, author: str | None "
        "= None, examples: list[dict[str, Any]] | None = None, tests: str | None = None, "
        "requires: list[str] | None = None) -> dict[str, Any]" in " ".join(result.stdout.split())
    )
    assert Operations.create_skill.description[:40] in result.stdout


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("skills.create('x')", "missing required argument(s): 'source'"),
        ("skills.get('a', 1, 2)", "takes 2 positional argument(s) but 3 were given"),
        ("skills.get(nme='a')", "unexpected keyword argument 'nme'"),
        ("skills.get('a', name='b')", "multiple values for argument 'name'"),
        ("artifacts.save('a', 1, None, None, 5)", "takes 4 positional argument(s)"),
    ],
)
async def test_a_wrong_call_in_agent_code_is_the_type_error_python_gives(
    session: Session, call: str, message: str
) -> None:
    result = await session.run(call)
    assert "TypeError" in (result.error or "")
    assert message in (result.error or "")


@pytest.mark.parametrize(
    ("verb", "args", "message"),
    [
        ("skills.get", {"name": "x", "extra": 1}, "extra: Extra inputs are not permitted"),
        ("skills.search", {"query": "x", "limit": True}, "limit: Input should be a valid integer"),
        ("skills.search", {"query": "x", "limit": 10**6}, "limit: Input should be less than"),
        ("tools.call", {"tool": "x", "recipe": None, "args": []}, "args: Input should be"),
        ("tools.call", {"tool": "x"}, "recipe: Field required"),
        ("nope.nothing", {}, "Unknown request 'nope.nothing'"),
    ],
)
async def test_the_host_validates_what_a_hostile_worker_sends_before_anything_runs(
    session: Session, verb: str, args: dict[str, object], message: str
) -> None:
    # Agent code can reach its channel and send any verb with any arguments: the host's
    # validation, not the proxies', is what stands between it and the handlers.
    result = await session.run(f"skills.list._channel.request({verb!r}, {args!r})")
    assert "InputError" in (result.error or "")
    assert message in (result.error or "")


async def test_a_withheld_grant_refuses_agent_code_even_through_its_raw_channel(
    tmp_path: Path,
) -> None:
    async with Session(storage=FileStorage(tmp_path), allow_runtime_deps=False) as session:
        result = await session.run("skills.list._channel.request('deps.add', {'package': 'x'})")
        assert "RuntimeDepsDisabledError" in (result.error or "")
        assert (await session.run("deps.list()")).value == []


async def test_facade_arguments_are_validated_by_the_same_model(session: Session) -> None:
    with pytest.raises(InputError, match="limit: Input should be greater than or equal to 1"):
        await session.search_skills("x", limit=0)
    with pytest.raises(TypeError):
        await session.get_skill("a", 1, 2)  # type: ignore[call-arg]


def test_reserved_names_cover_every_method_of_their_namespace() -> None:
    skills = {op.name for op in CODE_OPERATIONS if op.namespace == "skills"} | {"invoke"}
    tools = {op.name for op in CODE_OPERATIONS if op.namespace == "tools"}
    assert skills <= RESERVED_SKILL_NAMES
    assert tools <= RESERVED_TOOL_NAMES


def test_the_agent_tools_are_the_agent_operations_of_the_table() -> None:
    assert TOOL_NAMES == ("run_code", *(op.facade for op in operations() if op.agent))


async def test_an_agent_tool_offers_the_operations_model_and_defaults_the_description(
    session: Session,
) -> None:
    toolkit = Toolkit(session)
    create = toolkit.get("create_skill")
    assert create.description.startswith(Operations.create_skill.description)
    # The description comes from the docstring when none is given, for agents as in code.
    assert set(create.json_schema()["required"]) == {"name", "source"}
    assert set(create.json_schema()["properties"]) == {
        "name",
        "source",
        "description",
        "author",
        "examples",
        "tests",
        "requires",
    }
    result = await toolkit.call(
        "create_skill",
        {
            "name": "double",
            "source": '"""Double a number."""\ndef run(n: int) -> int:\n    return 2 * n\n',
        },
    )
    assert not result.is_error, result.text
    assert (await session.get_skill("double") or {})["description"] == "Double a number."


async def test_namespace_reprs_list_their_methods(session: Session) -> None:
    result = await session.run("[repr(artifacts), repr(skills)]")
    artifacts, skills = result.value
    assert "save(name, data, description=None, metadata=None, ttl=None)" in artifacts
    assert "search(query, limit=10)" in skills and "invoke(name, **kwargs)" in skills


def test_the_api_reference_in_the_docs_is_generated_from_the_table() -> None:
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert page == render_reference(), (
        "docs/api.md is out of date: uv run python -m py_code_mode._reference > docs/api.md"
    )
    for op in CODE_OPERATIONS:
        assert f"### `{op.verb}(" in page
