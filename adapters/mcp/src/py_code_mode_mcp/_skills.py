"""The skill library as MCP skills: the Skills extension (`io.modelcontextprotocol/skills`).

SEP-2640 serves Agent Skills over MCP's Resources primitive: every file of a skill folder
is a resource, `skill://<skill-path>/<file-path>`, read with `resources/read`, and two
methods describe the skills: `skills/list` (paginated) and `skills/get` (one skill by the
URI of its `SKILL.md`). Each entry carries the skill's front matter verbatim and every
file's SHA-256 digest and size, so a host can verify what it reads.

The folder of a skill is exactly what `py-code-mode store export-skills` writes
(`py_code_mode._skills.agent_skills.export_skill`, here in memory): `SKILL.md` and, for a
Python skill, `<name>.py`. So a skill is served at `skill://fetch-repo-stars/SKILL.md` and
`skill://fetch-repo-stars/fetch_repo_stars.py`. A skill whose name cannot be an Agent Skills
name (`fetchRepo`) is not served. Everything is read through the session's facade
(`list_skills`, `get_skill`) at each request, so the listing is always current.

URIs are matched literally, never decoded or normalised: a request names a served file
exactly (`skill://<name>/SKILL.md`) or it is refused with -32602 (Invalid params), as the
extension prescribes for unknown skills and resources, naming the skills there are.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, TypeVar

import mcp_types as types
from mcp import MCPError
from py_code_mode import Toolkit
from py_code_mode._skills.agent_skills import (
    MAX_NAME_LENGTH,
    SKILL_FILE,
    SkillFolder,
    agent_name,
    export_skill,
    python_name,
)
from py_code_mode.errors import CodeModeError, InputError

__all__ = ["EXTENSION", "GetSkillParams", "SkillCatalog"]

logger = logging.getLogger(__name__)

EXTENSION: Final = "io.modelcontextprotocol/skills"
"""The extension's identifier, declared under the server's `capabilities.extensions`."""

SCHEME: Final = "skill://"
PAGE_SIZE: Final = 50
"""Skills per page of `skills/list` (and of `resources/list`, whose pages are skills' files)."""
MAX_RESOURCES: Final = 512
MAX_SKILL_BYTES: Final = 16 * 1024 * 1024
"""The extension's per-skill limits: a skill over either is not served (ours never are)."""
TTL_MS: Final = 0
CACHE_SCOPE: Final = "private"
"""Listings go stale at once (agent code writes skills) and belong to this server's users."""

_MIME_TYPES: Final = {".md": "text/markdown", ".py": "text/x-python"}

T = TypeVar("T")


class GetSkillParams(types.RequestParams):
    """The params of `skills/get`: the URI of a skill's `SKILL.md`."""

    uri: str


@dataclass(frozen=True)
class _Served:
    """One skill's folder as the extension serves it."""

    folder: SkillFolder

    @property
    def uri(self) -> str:
        return file_uri(self.folder.name, SKILL_FILE)

    def entry(self) -> dict[str, Any]:
        """The extension's `Skill` entry: uri, front matter, and every file's digest."""
        return {
            "uri": self.uri,
            "frontmatter": self.folder.frontmatter,
            "resources": [
                {"uri": file_uri(self.folder.name, path), "digest": digest(data), "size": len(data)}
                for path, data in self.folder.files.items()
            ],
        }

    def resources(self) -> list[types.Resource]:
        """Each file as an MCP resource; SKILL.md carries the skill's name and description."""
        listed = []
        for path, data in self.folder.files.items():
            is_skill_md = path == SKILL_FILE
            listed.append(
                types.Resource(
                    uri=file_uri(self.folder.name, path),
                    name=self.folder.name if is_skill_md else path,
                    description=self.folder.frontmatter["description"] if is_skill_md else None,
                    mime_type=mime_type(path),
                    size=len(data),
                )
            )
        return listed


def file_uri(name: str, path: str) -> str:
    """`skill://<name>/<path>`: a skill's file, the skill path being its Agent Skills name."""
    return f"{SCHEME}{name}/{path}"


def digest(data: bytes) -> str:
    """The extension's digest of a file: `sha256:` and 64 lowercase hex digits."""
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def mime_type(path: str) -> str:
    """`text/markdown` for SKILL.md, `text/x-python` for code, else `text/plain`."""
    suffix = path[path.rfind(".") :] if "." in path else ""
    return _MIME_TYPES.get(suffix, "text/plain")


def _parse(uri: str) -> tuple[str, str] | None:
    """The skill name and file path of a `skill://` URI, or None; nothing is decoded."""
    if not uri.startswith(SCHEME):
        return None
    name, slash, path = uri[len(SCHEME) :].partition("/")
    if not slash or not path or not 1 <= len(name) <= MAX_NAME_LENGTH:
        return None
    return name, path


def _invalid(message: str) -> MCPError:
    return MCPError(code=types.INVALID_PARAMS, message=message)


class SkillCatalog:
    """The skills of one session, as the Skills extension's entries and resources.

    Args:
        toolkit: The toolkit of the session whose skills are served; its portal reaches
            the session from the server's loop.
    """

    def __init__(self, toolkit: Toolkit) -> None:
        self._toolkit = toolkit

    async def _session(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run a facade call; a library that cannot be read is an internal error."""
        try:
            return await self._toolkit.portal.call(make)
        except CodeModeError as exc:
            raise MCPError(
                code=types.INTERNAL_ERROR, message=f"the skill library cannot be read: {exc}"
            ) from exc

    async def _names(self) -> list[str]:
        """The Agent Skills names of every skill that can be served, sorted."""
        summaries = await self._session(self._toolkit.session.list_skills)
        names = []
        for summary in summaries:
            try:
                names.append(agent_name(str(summary["name"])))
            except InputError:
                continue  # e.g. fetchRepo: not an Agent Skills name, so not served
        return sorted(names)

    async def _skill(self, name: str) -> _Served | None:
        """The served folder of the skill with Agent Skills name `name`, or None."""
        try:
            snake = python_name(name)
        except InputError:
            return None
        details = await self._session(partial(self._toolkit.session.get_skill, snake))
        if details is None:
            return None
        try:
            folder = export_skill(details)
        except InputError as exc:
            logger.warning("skill %r is not served as an Agent Skill: %s", snake, exc)
            return None
        total = sum(len(data) for data in folder.files.values())
        if len(folder.files) > MAX_RESOURCES or total > MAX_SKILL_BYTES:
            logger.warning("skill %r is over the Skills extension's limits; not served", snake)
            return None
        return _Served(folder)

    async def _page(self, cursor: str | None) -> tuple[list[_Served], str | None]:
        """One page of skills after `cursor` (the last name of the page before)."""
        if cursor is not None:
            try:
                python_name(cursor)  # every cursor given is a served skill's name
            except InputError:
                raise _invalid(
                    f"Invalid cursor {cursor!r}: pass back a nextCursor this server gave"
                ) from None
        names = [name for name in await self._names() if cursor is None or name > cursor]
        page, rest = names[:PAGE_SIZE], names[PAGE_SIZE:]
        served = [skill for skill in [await self._skill(name) for name in page] if skill]
        return served, (page[-1] if rest else None)

    async def _unknown(self, what: str) -> MCPError:
        names = await self._names()
        shown = ", ".join(file_uri(name, SKILL_FILE) for name in names[:20]) or "none"
        more = f" and {len(names) - 20} more (skills/list)" if len(names) > 20 else ""
        return _invalid(f"{what}; the skills served are: {shown}{more}")

    # --- the extension's methods -------------------------------------------------------

    async def list_skills(self, cursor: str | None) -> dict[str, Any]:
        """The `skills/list` result: a page of entries, and `nextCursor` if more follow."""
        served, next_cursor = await self._page(cursor)
        result: dict[str, Any] = {
            "resultType": "complete",
            "skills": [skill.entry() for skill in served],
            "ttlMs": TTL_MS,
            "cacheScope": CACHE_SCOPE,
        }
        if next_cursor is not None:
            result["nextCursor"] = next_cursor
        return result

    async def get_skill(self, uri: str) -> dict[str, Any]:
        """The `skills/get` result: the entry of the skill whose `SKILL.md` is at `uri`.

        Raises:
            MCPError: -32602 when `uri` is not the `SKILL.md` of a skill served here.
        """
        parsed = _parse(uri)
        skill = await self._skill(parsed[0]) if parsed and parsed[1] == SKILL_FILE else None
        if skill is None:
            raise await self._unknown(f"No skill is served at {uri!r}")
        return {
            "resultType": "complete",
            "skill": skill.entry(),
            "ttlMs": TTL_MS,
            "cacheScope": CACHE_SCOPE,
        }

    # --- the files as resources --------------------------------------------------------

    async def list_resources(self, cursor: str | None) -> types.ListResourcesResult:
        """Every file of a page of skills, as resources."""
        served, next_cursor = await self._page(cursor)
        resources = [resource for skill in served for resource in skill.resources()]
        return types.ListResourcesResult(resources=resources, next_cursor=next_cursor)

    async def read(self, uri: str) -> types.ReadResourceResult:
        """The content of one skill file: exactly the bytes its digest covers, as text.

        Raises:
            MCPError: -32602 when `uri` is not a file of a skill served here.
        """
        parsed = _parse(uri)
        skill = await self._skill(parsed[0]) if parsed else None
        data = skill.folder.files.get(parsed[1]) if skill and parsed else None
        if data is None:
            files = ", ".join(skill.folder.files) if skill else None
            what = f"No skill file is served at {uri!r}"
            if files:
                raise _invalid(f"{what}; that skill's files are: {files}")
            raise await self._unknown(what)
        return types.ReadResourceResult(
            contents=[
                types.TextResourceContents(uri=uri, mime_type=mime_type(uri), text=data.decode())
            ]
        )
