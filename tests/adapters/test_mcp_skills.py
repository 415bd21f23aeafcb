"""The Skills extension (SEP-2640) of the MCP server, driven by the official `mcp` client.

The SDK has no client methods for the extension, so the tests send `skills/list` and
`skills/get` as a host would, with request models of their own, and read the raw results.
Most run in memory (both protocol eras); one goes through the console script over stdio.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import anyio
import mcp_types as types
import pytest
import yaml
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.subscriptions import ResourcesListChanged
from py_code_mode import FileStorage, InProcessExecutor, Session
from py_code_mode._skills.agent_skills import instructions_source, parse_skill_md
from py_code_mode._skills.library import SkillLibrary
from py_code_mode_mcp import create_server
from py_code_mode_mcp._skills import PAGE_SIZE
from pydantic import BaseModel, ConfigDict

pytestmark = pytest.mark.anyio

WAIT = 60
SCRIPT = Path(sys.executable).parent / "py-code-mode-mcp"
EXTENSION = "io.modelcontextprotocol/skills"
DOUBLE = 'def run(a: int) -> int:\n    """Double a number."""\n    return 2 * a\n'
HALVE = 'def run(a: int) -> float:\n    """Halve a number."""\n    return a / 2\n'
NOTES = instructions_source("How we write commit messages", "# Commits\n\nSay why.\n")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class _ListParams(types.PaginatedRequestParams):
    pass


class ListSkills(types.Request[_ListParams, Literal["skills/list"]]):
    method: Literal["skills/list"] = "skills/list"
    params: _ListParams = _ListParams()


class _GetParams(types.RequestParams):
    uri: str


class GetSkill(types.Request[_GetParams, Literal["skills/get"]]):
    method: Literal["skills/get"] = "skills/get"


class Raw(BaseModel):
    """Any result, kept as the server sent it."""

    model_config = ConfigDict(extra="allow")


async def send(client: Client, request: types.Request[Any, Any]) -> dict[str, Any]:
    """The raw result of `request`, exactly as it came over the wire."""
    result = await client.session.send_request(request, Raw)
    return dict(result.model_extra or {})


async def list_skills(client: Client, cursor: str | None = None) -> dict[str, Any]:
    return await send(client, ListSkills(params=_ListParams(cursor=cursor)))


async def get_skill(client: Client, uri: str) -> dict[str, Any]:
    return await send(client, GetSkill(params=_GetParams(uri=uri)))


async def read(client: Client, uri: str) -> bytes:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert isinstance(content, types.TextResourceContents) and content.uri == uri
    return content.text.encode("utf-8")


async def seed(workspace: Path, skills: dict[str, str]) -> None:
    storage = FileStorage(workspace)
    try:
        library = SkillLibrary(storage)
        for name, source in skills.items():
            await library.create(name, source)
    finally:
        await storage.close()


def server_of(workspace: Path) -> Any:
    return create_server(lambda: Session(FileStorage(workspace), InProcessExecutor()))


@asynccontextmanager
async def connected(workspace: Path, **client: Any) -> AsyncIterator[Client]:
    with anyio.fail_after(WAIT):
        async with Client(server_of(workspace), **client) as c:
            yield c


def check_entry(entry: dict[str, Any]) -> None:
    """An entry has exactly the shape the extension defines."""
    assert set(entry) == {"uri", "frontmatter", "resources"}
    name = entry["frontmatter"]["name"]
    assert entry["uri"] == f"skill://{name}/SKILL.md"
    assert isinstance(entry["frontmatter"]["description"], str)
    assert entry["resources"][0]["uri"] == entry["uri"]
    for resource in entry["resources"]:
        assert set(resource) == {"uri", "digest", "size"}
        assert resource["uri"].startswith(f"skill://{name}/")
        assert DIGEST.fullmatch(resource["digest"])


async def verify(client: Client, entry: dict[str, Any]) -> None:
    """Read every file of an entry as a host must: digest, size and front matter match."""
    check_entry(entry)
    for resource in entry["resources"]:
        data = await read(client, resource["uri"])
        assert len(data) == resource["size"]
        assert f"sha256:{hashlib.sha256(data).hexdigest()}" == resource["digest"]
        if resource["uri"] == entry["uri"]:
            assert parse_skill_md(data.decode())[0] == entry["frontmatter"]


# --- the extension's declaration -----------------------------------------------------------


async def test_the_server_declares_the_extension_and_resources(workspace: Path) -> None:
    async with connected(workspace) as client:
        capabilities = client.server_capabilities
        version = client.protocol_version
    assert version == "2026-07-28"
    assert capabilities.extensions == {EXTENSION: {}}
    assert capabilities.resources is not None
    assert capabilities.resources.list_changed and not capabilities.resources.subscribe


async def test_handshake_era_clients_get_resources_and_the_methods(workspace: Path) -> None:
    await seed(workspace, {"double": DOUBLE})
    async with connected(workspace, mode="legacy") as client:
        capabilities = client.server_capabilities
        listed = await list_skills(client)
        await verify(client, listed["skills"][0])
    # 2025-11-25 has no `extensions` in its capabilities: the declaration cannot reach it.
    assert capabilities.resources is not None and capabilities.resources.list_changed
    assert [s["uri"] for s in listed["skills"]] == ["skill://double/SKILL.md"]


# --- skills/list and skills/get ------------------------------------------------------------


async def test_skills_list_gives_complete_verifiable_entries(workspace: Path) -> None:
    await seed(workspace, {"double": DOUBLE, "commit_notes": NOTES})
    async with connected(workspace) as client:
        listed = await list_skills(client)
        for entry in listed["skills"]:
            await verify(client, entry)
    assert listed["resultType"] == "complete"
    assert (listed["ttlMs"], listed["cacheScope"]) == (0, "private")
    assert "nextCursor" not in listed
    by_uri = {entry["uri"]: entry for entry in listed["skills"]}
    assert list(by_uri) == ["skill://commit-notes/SKILL.md", "skill://double/SKILL.md"]
    double = by_uri["skill://double/SKILL.md"]
    assert double["frontmatter"] == {
        "name": "double",
        "description": "Double a number.",
        "metadata": {"py-code-mode-entry-point": "double.py"},
    }
    assert [r["uri"] for r in double["resources"]] == [
        "skill://double/SKILL.md",
        "skill://double/double.py",
    ]
    notes = by_uri["skill://commit-notes/SKILL.md"]
    assert notes["frontmatter"] == {
        "name": "commit-notes",
        "description": "How we write commit messages",
    }
    assert [r["uri"] for r in notes["resources"]] == ["skill://commit-notes/SKILL.md"]


async def test_a_python_skill_file_is_its_exact_source(workspace: Path) -> None:
    await seed(workspace, {"double": DOUBLE})
    async with connected(workspace) as client:
        code = await read(client, "skill://double/double.py")
        found = await client.read_resource("skill://double/double.py")
    assert code == DOUBLE.encode()
    assert found.contents[0].mime_type == "text/x-python"


async def test_skills_get_gives_the_entry_the_listing_gives(workspace: Path) -> None:
    await seed(workspace, {"double": DOUBLE})
    async with connected(workspace) as client:
        listed = (await list_skills(client))["skills"][0]
        got = await get_skill(client, "skill://double/SKILL.md")
    assert got["resultType"] == "complete"
    assert (got["ttlMs"], got["cacheScope"]) == (0, "private")
    assert "nextCursor" not in got
    assert got["skill"] == listed


async def test_skills_list_pages_through_every_skill(workspace: Path) -> None:
    names = [f"s{i:03d}" for i in range(PAGE_SIZE + 3)]
    await seed(workspace, dict.fromkeys(names, DOUBLE))
    async with connected(workspace) as client:
        first = await list_skills(client)
        second = await list_skills(client, first["nextCursor"])
        with pytest.raises(MCPError) as bad:
            await list_skills(client, "not a cursor!")
    assert len(first["skills"]) == PAGE_SIZE and "nextCursor" not in second
    uris = [entry["uri"] for entry in first["skills"] + second["skills"]]
    assert uris == [f"skill://{name}/SKILL.md" for name in names]
    assert bad.value.code == types.INVALID_PARAMS


async def test_a_skill_created_after_the_session_started_appears(workspace: Path) -> None:
    async with connected(workspace) as client:
        assert (await list_skills(client))["skills"] == []
        async with client.listen(resources_list_changed=True) as changes:
            made = await client.call_tool("create_skill", {"name": "halve", "source": HALVE})
            assert not made.is_error
            async for event in changes:
                assert isinstance(event, ResourcesListChanged)
                break
        listed = await list_skills(client)
        resources = await client.list_resources()
        await verify(client, listed["skills"][0])
    assert [entry["uri"] for entry in listed["skills"]] == ["skill://halve/SKILL.md"]
    assert [(r.uri, r.mime_type) for r in resources.resources] == [
        ("skill://halve/SKILL.md", "text/markdown"),
        ("skill://halve/halve.py", "text/x-python"),
    ]
    assert resources.resources[0].description == "Halve a number."


async def test_handshake_era_clients_hear_that_the_resources_changed(workspace: Path) -> None:
    changed = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ResourceListChangedNotification):
            changed.set()

    async with connected(workspace, mode="legacy", message_handler=on_message) as client:
        made = await client.call_tool(
            "run_code", {"code": f"skills.create(name='double', source={DOUBLE!r})"}
        )
        assert not made.is_error
        await changed.wait()
        listed = await list_skills(client)
    assert [entry["uri"] for entry in listed["skills"]] == ["skill://double/SKILL.md"]


async def test_a_skill_whose_name_cannot_cross_is_not_served(workspace: Path) -> None:
    await seed(workspace, {"double": DOUBLE, "doubleIt": DOUBLE})
    async with connected(workspace) as client:
        listed = await list_skills(client)
        with pytest.raises(MCPError) as refused:
            await get_skill(client, "skill://doubleit/SKILL.md")
    assert [entry["uri"] for entry in listed["skills"]] == ["skill://double/SKILL.md"]
    assert refused.value.code == types.INVALID_PARAMS


# --- hostile requests ----------------------------------------------------------------------

HOSTILE_URIS = [
    "skill://../x",
    "skill://double/../SKILL.md",
    "skill://double/../../etc/passwd",
    "skill://dou%62le/SKILL.md",
    "skill://double%2FSKILL.md",
    "skill://double/%2e%2e/SKILL.md",
    "skill://double/SKILL%2Emd",
    "skill://DOUBLE/SKILL.md",
    "skill://double/SKILL.md/",
    "skill://double//SKILL.md",
    "skill://double/SKILL.md?x=1",
    "skill://double/SKILL.md#top",
    "skill://double",
    "skill://",
    "skill:/double/SKILL.md",
    "SKILL://double/SKILL.md",
    "file:///etc/passwd",
    "skill://halve/SKILL.md",
    "skill://double/halve.py",
    "",
]


@pytest.mark.parametrize("uri", HOSTILE_URIS)
async def test_a_uri_that_names_no_served_file_is_invalid_params(workspace: Path, uri: str) -> None:
    await seed(workspace, {"double": DOUBLE})
    async with connected(workspace) as client:
        with pytest.raises(MCPError) as read_refused:
            await client.read_resource(uri)
        with pytest.raises(MCPError) as get_refused:
            await get_skill(client, uri)
    for refused in (read_refused.value, get_refused.value):
        assert refused.code == types.INVALID_PARAMS
        assert "skill://double/SKILL.md" in refused.message or "double.py" in refused.message


async def test_skills_get_wants_the_uri_of_a_skill_md(workspace: Path) -> None:
    await seed(workspace, {"double": DOUBLE})
    async with connected(workspace) as client:
        with pytest.raises(MCPError) as not_skill_md:
            await get_skill(client, "skill://double/double.py")
        with pytest.raises(MCPError) as no_uri:
            await send(client, types.Request(method="skills/get", params=None))
    assert not_skill_md.value.code == types.INVALID_PARAMS
    assert "No skill is served at 'skill://double/double.py'" in not_skill_md.value.message
    assert no_uri.value.code == types.INVALID_PARAMS


# --- a real boundary -----------------------------------------------------------------------


async def test_the_console_script_serves_skills_over_stdio(tmp_path: Path, workspace: Path) -> None:
    await seed(workspace, {"double": DOUBLE})
    params = StdioServerParameters(command=str(SCRIPT), args=["--base", str(workspace)])
    with (tmp_path / "server-stderr.log").open("w") as errlog, anyio.fail_after(WAIT):
        async with Client(stdio_client(params, errlog=errlog)) as client:
            assert client.server_capabilities.extensions == {EXTENSION: {}}
            listed = await list_skills(client)
            for entry in listed["skills"]:
                await verify(client, entry)
            skill_md = await read(client, "skill://double/SKILL.md")
    assert [entry["uri"] for entry in listed["skills"]] == ["skill://double/SKILL.md"]
    frontmatter, body = parse_skill_md(skill_md.decode())
    assert frontmatter["name"] == "double"
    assert "skills.double(a=...)" in body
    assert yaml.safe_load(skill_md.decode().split("---\n")[1]) == frontmatter
