"""The storage protocol: what a Session needs to persist, and the records it stores.

A storage keeps bytes and records; it does not interpret skills or artifacts. Names are
validated above it (`py_code_mode._names`) and again by each storage before it touches a
key or a path, so no backend trusts its caller with a hostile name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from py_code_mode.errors import ArtifactNotFoundError

DataType = Literal["bytes", "text", "json"]


def utc_now() -> str:
    """An ISO-8601 UTC timestamp, the form every record uses."""
    return datetime.now(UTC).isoformat()


def utc_after(seconds: float) -> str:
    """The ISO-8601 UTC timestamp `seconds` from now: when an artifact with that TTL expires."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def seconds_until(timestamp: str) -> float:
    """Seconds from now until an ISO-8601 timestamp (negative once it has passed)."""
    return (datetime.fromisoformat(timestamp) - datetime.now(UTC)).total_seconds()


def artifact_not_found(name: str, available: list[str]) -> ArtifactNotFoundError:
    """The error for a missing artifact, naming what there is instead."""
    shown = ", ".join(repr(n) for n in available[:10]) or "none yet"
    more = f" and {len(available) - 10} more" if len(available) > 10 else ""
    return ArtifactNotFoundError(f"Artifact {name!r} not found. Available: {shown}{more}")


@dataclass(frozen=True)
class StoredSkill:
    """A skill as stored: its source, and a description only if one was given explicitly."""

    name: str
    source: str
    description: str | None = None
    created_at: str = field(default_factory=utc_now)
    updated_at: str = field(default_factory=utc_now)
    parameters: tuple[dict[str, Any], ...] = ()
    """Parameters as derived when the skill was saved. Informational: upstream's Redis records
    carry them, so RedisStorage writes them; the library always derives them from `source`."""
    package: str | None = None
    """The capability package it comes from (read-only), or None for the workspace's own."""
    author: str | None = None
    """Who saved this version, if they said."""
    version: int | None = None
    """Its number in the skill's history, when read back; None for one being saved."""
    input_schema: dict[str, Any] | None = None
    """The JSON Schema of `run`'s arguments as derived when it was saved. Informational,
    like `parameters`: for readers of the storage; the library derives it from `source`."""
    verification: dict[str, Any] | None = None
    """The examples and tests this version passed in the worker before it was saved, and
    when (`{"examples": [...], "tests": "...", "checked_at": ...}`); None if it had none."""


@dataclass(frozen=True)
class SkillVersion:
    """One entry of a skill's history: a saved version, or the record of a delete."""

    name: str
    version: int
    created_at: str
    sha256: str | None = None
    """Of the source; None for a delete."""
    description: str | None = None
    author: str | None = None
    deleted: bool = False
    """This entry records that the skill was deleted (it has no source)."""
    verification: dict[str, Any] | None = None
    """What the version passed before it was saved, as `StoredSkill.verification`."""

    def with_source(self, source: str) -> StoredSkill:
        """This version as a skill record, given its source (storages keep it apart)."""
        return StoredSkill(
            name=self.name,
            source=source,
            description=self.description,
            created_at=self.created_at,
            updated_at=self.created_at,
            author=self.author,
            version=self.version,
            verification=self.verification,
        )

    def to_dict(self) -> dict[str, Any]:
        """The plain-data form `skills.history` returns."""
        return {
            "version": self.version,
            "created_at": self.created_at,
            "sha256": self.sha256,
            "description": self.description,
            "author": self.author,
            "deleted": self.deleted,
            "verified": verification_summary(self.verification),
        }


def verification_summary(verification: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """How many examples and tests a version passed, and when; None if it had none."""
    if not verification:
        return None
    examples = verification.get("examples")
    return {
        "examples": len(examples) if isinstance(examples, list) else 0,
        "tests": verification.get("test_count", 0),
        "checked_at": verification.get("checked_at"),
    }


def checked_verification(value: Any) -> dict[str, Any] | None:
    """A stored verification record if it has the expected shape, else None: not trusted."""
    if not isinstance(value, dict):
        return None
    examples, tests = value.get("examples", []), value.get("tests")
    if not isinstance(examples, list) or not (tests is None or isinstance(tests, str)):
        return None
    return value


@dataclass(frozen=True)
class SkillUse:
    """Invocations of one skill, as a worker reports them after a run."""

    name: str
    calls: int
    failures: int
    seconds: float
    """Their total duration."""


@dataclass(frozen=True)
class SkillStats:
    """How a skill has been used, over every session of the library."""

    calls: int = 0
    failures: int = 0
    total_seconds: float = 0.0
    last_used: str | None = None
    """When a run that invoked it last reported (ISO-8601 UTC)."""

    def add(self, use: SkillUse, when: str) -> SkillStats:
        """These stats with `use` counted, at `when`."""
        return SkillStats(
            calls=self.calls + use.calls,
            failures=self.failures + use.failures,
            total_seconds=self.total_seconds + use.seconds,
            last_used=when,
        )

    @property
    def success_rate(self) -> float:
        """Successes over calls, pulled towards 1/2 while there are few: (s + 1) / (n + 2)."""
        return (self.calls - self.failures + 1) / (self.calls + 2)

    def to_dict(self) -> dict[str, Any]:
        """The plain-data form skill listings carry as `stats`."""
        mean = self.total_seconds / self.calls if self.calls else None
        return {
            "calls": self.calls,
            "failures": self.failures,
            "last_used": self.last_used,
            "mean_seconds": round(mean, 6) if mean is not None else None,
        }

    @classmethod
    def from_dict(cls, value: Any) -> SkillStats | None:
        """Stats as stored, if they have the stored shape; None for anything else."""
        if not isinstance(value, dict):
            return None
        calls, failures = value.get("calls"), value.get("failures")
        seconds, last = value.get("total_seconds"), value.get("last_used")
        if not (isinstance(calls, int) and isinstance(failures, int)):
            return None
        if not isinstance(seconds, int | float) or not (last is None or isinstance(last, str)):
            return None
        return cls(calls, failures, float(seconds), last)


def case_twin(name: str, twin: str) -> str:
    """The error for a skill name that differs from an existing one only in case."""
    return (
        f"Invalid skill name {name!r}: the skill {twin!r} exists, and names may not differ "
        f"only in case (a case-insensitive file system keeps one file for both); use "
        f"{twin!r} to replace it, or another name"
    )


def source_hash(source: str) -> str:
    """The SHA-256 of a skill's source, as history records it."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ArtifactInfo:
    """What is known about an artifact besides its bytes."""

    name: str
    data_type: DataType
    size: int
    created_at: str = field(default_factory=utc_now)
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    expires_at: str | None = None
    """When the artifact stops existing (ISO-8601 UTC), or None to keep it until deleted."""

    def to_dict(self) -> dict[str, Any]:
        """The plain-data form agent code and the facade see."""
        return {
            "name": self.name,
            "description": self.description,
            "type": self.data_type,
            "size": self.size,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "metadata": dict(self.metadata),
        }


class Storage(Protocol):
    """Persistence for one library of skills, artifacts, deps and tool definitions.

    Everything a Session, the store CLI or an integration needs goes through these methods;
    nothing above a storage knows its paths or keys.
    """

    @property
    def root(self) -> Path | None:
        """The workspace directory, if this storage has one (the worker runs there)."""
        ...

    async def open(self) -> None:
        """Make the storage ready for a session: create what is missing, prepare clients.

        Called by `Session.start`; calling it again does no harm.
        """
        ...

    async def revision(self) -> str:
        """A value that changes whenever skills or tool definitions change, by any writer.

        Equal values mean nothing changed in between, so a caller that keeps a listing
        (the `run_code` description, an MCP client's tool list) knows when to read it again.
        Only equality means anything; the value is not ordered.
        """
        ...

    async def load_tool_definitions(self) -> list[tuple[str, Any]]:
        """Tool definitions as (where it came from, parsed mapping), in a stable order.

        A definition that cannot be parsed comes as the `ToolDefinitionError` saying why,
        in place of its mapping: one broken file must not hide the other tools.
        """
        ...

    async def save_tool_definition(self, definition: Mapping[str, Any]) -> None:
        """Store a tool definition (the mapping a tools/*.yaml file holds), checked first.

        Raises:
            ToolDefinitionError: The definition is malformed; nothing was written.
        """
        ...

    async def delete_tool_definition(self, name: str) -> bool:
        """Delete a tool definition; False if there was none."""
        ...

    async def list_skills(self) -> list[StoredSkill]:
        """Every stored skill, sorted by name."""
        ...

    async def get_skill(self, name: str) -> StoredSkill | None:
        """One skill, or None."""
        ...

    async def save_skill(self, skill: StoredSkill) -> None:
        """Create or replace a skill atomically."""
        ...

    async def delete_skill(self, name: str) -> bool:
        """Delete a skill, keeping its history (with the delete recorded); False if none."""
        ...

    async def skill_history(self, name: str) -> list[SkillVersion]:
        """Every version of a skill and every delete, oldest first; [] if it never existed.

        A current skill that was written without going through `save_skill` (a file edited
        by hand) is listed as one more version.
        """
        ...

    async def get_skill_version(self, name: str, version: int) -> StoredSkill | None:
        """One saved version of a skill, or None if the history has no such version."""
        ...

    async def purge_skill(self, name: str) -> bool:
        """Remove a skill and its whole history; False if there was neither."""
        ...

    async def record_skill_uses(self, uses: list[SkillUse]) -> None:
        """Add invocations to the skills' usage stats; it moves no revision.

        Counts from several hosts add up (Redis increments, FileStorage a locked file).
        """
        ...

    async def skill_stats(self) -> dict[str, SkillStats]:
        """The usage stats of every skill that has been used, by name."""
        ...

    async def load_search_index(self, name: str) -> bytes | None:
        """A search index stored by `save_search_index`, or None if there is none.

        The bytes are the caller's own format; a caller must check them, since anything
        that can write the storage can damage them.
        """
        ...

    async def save_search_index(self, name: str, data: bytes) -> None:
        """Store a search index (vectors of skills) under `name`, replacing any before.

        `name` is made by the caller from letters, digits and dashes. Skill search keeps
        its vectors here, beside the skills, so every host of a library shares them.
        """
        ...

    async def save_artifact(self, info: ArtifactInfo, payload: bytes) -> None:
        """Create or replace an artifact and its record atomically.

        An `info.expires_at` makes the artifact expire then: afterwards it is neither
        loaded, listed nor reported to exist, and its bytes and record are removed.
        """
        ...

    async def load_artifact(self, name: str) -> tuple[ArtifactInfo, bytes]:
        """An artifact's record and bytes; raise `ArtifactNotFoundError` if absent."""
        ...

    async def artifact_exists(self, name: str) -> bool:
        """Whether an artifact exists, without reading its bytes."""
        ...

    async def list_artifacts(self) -> list[ArtifactInfo]:
        """Every artifact's record, sorted by name."""
        ...

    async def delete_artifact(self, name: str) -> bool:
        """Delete an artifact; False if there was none."""
        ...

    async def list_deps(self) -> list[str]:
        """The requirement lines of the deps list, in order."""
        ...

    async def add_dep(self, requirement: str) -> None:
        """Add a requirement line, replacing any line for the same distribution."""
        ...

    async def remove_dep(self, name: str) -> bool:
        """Remove the line for distribution `name`; False if there was none."""
        ...

    async def close(self) -> None:
        """Release connections and other resources; the storage reopens them if used again."""
        ...
