"""A whole library read from one storage, compared with another, and copied into it.

Everything goes through the `Storage` protocol's methods, never through keys or paths of
its own. So a copy can only write what the target storage reads back, whichever way it
goes: directory to Redis, Redis to directory, or directory to directory.

What is compared, per kind:

- skills: source and explicit description (blank counts as none);
- artifacts: bytes, type, description, metadata and expiry time;
- deps: the requirement line, per distribution (PEP 503 name);
- tools: the definition's mapping.

Creation and update times are carried along but do not count as differences.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from py_code_mode._cli._progress import Progress
from py_code_mode._skills.model import Skill
from py_code_mode._storage.base import ArtifactInfo, Storage, StoredSkill
from py_code_mode._tools._spec import read_spec
from py_code_mode.errors import (
    ArtifactNotFoundError,
    InputError,
    ToolDefinitionError,
)

Kind = Literal["skills", "artifacts", "deps", "tools"]
KINDS: tuple[Kind, ...] = ("skills", "artifacts", "deps", "tools")
SINGULAR: dict[Kind, str] = {
    "skills": "skill",
    "artifacts": "artifact",
    "deps": "dep",
    "tools": "tool",
}

Mark = Literal["+", "-", "~", "="]


@dataclass(frozen=True)
class Artifact:
    """An artifact's record and its exact bytes."""

    info: ArtifactInfo
    payload: bytes


@dataclass
class Library:
    """Everything one storage holds (of the kinds that were read), keyed by name."""

    skills: dict[str, StoredSkill] = field(default_factory=dict)
    artifacts: dict[str, Artifact] = field(default_factory=dict)
    deps: dict[str, str] = field(default_factory=dict)
    """Canonical distribution name -> requirement line."""
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Tool name -> the definition's mapping (what a tools/*.yaml file holds)."""

    def items(self, kind: Kind) -> Mapping[str, object]:
        """The items of one kind by name."""
        items: dict[Kind, Mapping[str, object]] = {
            "skills": self.skills,
            "artifacts": self.artifacts,
            "deps": self.deps,
            "tools": self.tools,
        }
        return items[kind]

    def only(self, kinds: Collection[Kind]) -> Library:
        """The same library without the kinds not in `kinds`."""
        return Library(
            skills=self.skills if "skills" in kinds else {},
            artifacts=self.artifacts if "artifacts" in kinds else {},
            deps=self.deps if "deps" in kinds else {},
            tools=self.tools if "tools" in kinds else {},
        )


@dataclass(frozen=True)
class Change:
    """One line of a comparison, like ``~ skill word_stats``.

    ``-`` only in the old store, ``+`` only in the new one, ``~`` in both but different,
    ``=`` the same.
    """

    mark: Mark
    kind: Kind
    name: str

    def __str__(self) -> str:
        return f"{self.mark} {SINGULAR[self.kind]} {self.name}"

    def to_dict(self) -> dict[str, str]:
        """The plain-data form ``--json`` prints."""
        return {"mark": self.mark, "kind": self.kind, "name": self.name}


# --- reading -------------------------------------------------------------------------------


async def read_library(storage: Storage, kinds: Collection[Kind], progress: Progress) -> Library:
    """Read the given kinds from `storage`, artifacts with their bytes.

    Raises:
        StorageError: The storage cannot be read.
        ToolDefinitionError: A tool definition is malformed or two share a name.
        InputError: A deps line is not a requirement.
    """
    library = Library()
    if "skills" in kinds:
        library.skills = {skill.name: skill for skill in await storage.list_skills()}
    if "artifacts" in kinds:
        infos = await storage.list_artifacts()
        for done, listed in enumerate(infos, 1):
            try:
                info, payload = await storage.load_artifact(listed.name)
            except ArtifactNotFoundError:
                continue  # expired or deleted since it was listed
            library.artifacts[info.name] = Artifact(info, payload)
            progress.update("read", "artifacts", done, len(infos))
    if "deps" in kinds:
        library.deps = deps_by_name(await storage.list_deps(), where=repr(storage))
    if "tools" in kinds:
        library.tools = tools_by_name(await storage.load_tool_definitions())
    return library


def deps_by_name(lines: Iterable[str], *, where: str) -> dict[str, str]:
    """Requirement lines by canonical distribution name; later lines replace earlier ones.

    Raises:
        InputError: A line is not a PEP 508 requirement (an option such as ``-r``).
    """
    deps: dict[str, str] = {}
    for line in lines:
        try:
            name = canonicalize_name(Requirement(line).name)
        except InvalidRequirement as exc:
            raise InputError(
                f"{where}: the deps line {line!r} is not a requirement ({exc}); a library's "
                "deps list holds one PEP 508 requirement per line, e.g. 'requests>=2'"
            ) from None
        deps[name] = line.strip()
    return deps


def tools_by_name(definitions: Iterable[tuple[str, Any]]) -> dict[str, dict[str, Any]]:
    """Tool definitions by tool name, each checked as a session's start checks it.

    Raises:
        ToolDefinitionError: A definition is malformed, or two share a name.
    """
    tools: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    for source, data in definitions:
        if isinstance(data, ToolDefinitionError):  # the file could not be parsed
            raise data
        name = read_spec(source, data).name
        if name in tools:
            raise ToolDefinitionError(
                f"Tool name {name!r} is defined twice: in {sources[name]} and in {source}; "
                "rename or remove one of them"
            )
        tools[name], sources[name] = data, source
    return tools


# --- comparing -----------------------------------------------------------------------------


def _description(text: str | None) -> str:
    return (text or "").strip()


def same(kind: Kind, old: object, new: object) -> bool:
    """Whether two items of `kind` count as the same (see the module docstring)."""
    if isinstance(old, StoredSkill) and isinstance(new, StoredSkill):
        return old.source == new.source and _description(old.description) == _description(
            new.description
        )
    if isinstance(old, Artifact) and isinstance(new, Artifact):
        a, b = old.info, new.info
        return old.payload == new.payload and (
            a.data_type,
            a.description,
            a.metadata,
            a.expires_at,
        ) == (b.data_type, b.description, b.metadata, b.expires_at)
    return old == new


def compare(old: Library, new: Library, kinds: Iterable[Kind]) -> list[Change]:
    """What differs between two libraries, by kind, then name."""
    changes: list[Change] = []
    for kind in kinds:
        before, after = old.items(kind), new.items(kind)
        for name in sorted(before.keys() | after.keys()):
            mark: Mark
            if name not in after:
                mark = "-"
            elif name not in before:
                mark = "+"
            else:
                mark = "=" if same(kind, before[name], after[name]) else "~"
            changes.append(Change(mark, kind, name))
    return changes


# --- copying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a copy will do to its target."""

    writes: list[Change]
    """Items to create (``+``) or overwrite (``~``)."""
    deletes: list[Change]
    """Items only the target has, removed with ``--clear``."""
    conflicts: list[Change]
    """Items that differ, refused without ``--force``."""
    kept: int
    """Items only the target has, kept without ``--clear``."""
    unchanged: int


def plan_copy(
    source: Library, target: Library, kinds: Iterable[Kind], *, clear: bool, force: bool
) -> Plan:
    """Decide what copying `source` into `target` writes, deletes and refuses to touch."""
    changes = compare(target, source, kinds)
    return Plan(
        writes=[c for c in changes if c.mark == "+" or (c.mark == "~" and force)],
        deletes=[c for c in changes if c.mark == "-" and clear],
        conflicts=[c for c in changes if c.mark == "~" and not force],
        kept=sum(c.mark == "-" and not clear for c in changes),
        unchanged=sum(c.mark == "=" for c in changes),
    )


def _with_parameters(skill: StoredSkill) -> StoredSkill:
    """The skill with its parameters derived as the library derives them when it saves one."""
    try:
        parsed = Skill.from_source(skill.name, skill.source, skill.description)
    except InputError:
        return skill  # a hand-edited file that does not parse: copied as it is
    return replace(skill, parameters=tuple(p.to_dict() for p in parsed.parameters))


async def _write(target: Storage, source: Library, change: Change) -> None:
    name = change.name
    if change.kind == "skills":
        await target.save_skill(_with_parameters(source.skills[name]))
    elif change.kind == "artifacts":
        artifact = source.artifacts[name]
        await target.save_artifact(artifact.info, artifact.payload)
    elif change.kind == "deps":
        await target.add_dep(source.deps[name])
    else:
        await target.save_tool_definition(source.tools[name])


async def _delete(target: Storage, change: Change) -> None:
    if change.kind == "skills":
        await target.delete_skill(change.name)
    elif change.kind == "artifacts":
        await target.delete_artifact(change.name)
    elif change.kind == "deps":
        await target.remove_dep(change.name)
    else:
        await target.delete_tool_definition(change.name)


async def apply(
    plan: Plan, source: Library, target: Storage, *, verb: str, progress: Progress
) -> None:
    """Carry out a plan: deletions first, then writes, kind by kind.

    Deleting first lets a removed artifact file make room for a folder of the same name.

    Raises:
        StorageError: The target failed part way; what was done before stays done.
    """
    for kind in KINDS:
        deletes = [c for c in plan.deletes if c.kind == kind]
        for done, change in enumerate(deletes, 1):
            await _delete(target, change)
            progress.update("removed", kind, done, len(deletes))
    for kind in KINDS:
        writes = [c for c in plan.writes if c.kind == kind]
        for done, change in enumerate(writes, 1):
            await _write(target, source, change)
            progress.update(verb, kind, done, len(writes))


def count(changes: Iterable[Change]) -> str:
    """``2 skills, 1 artifact`` for a list of changes; ``nothing`` for none."""
    totals = {kind: 0 for kind in KINDS}
    for change in changes:
        totals[change.kind] += 1
    parts = [f"{n} {SINGULAR[kind] if n == 1 else kind}" for kind, n in totals.items() if n]
    return ", ".join(parts) or "nothing"
