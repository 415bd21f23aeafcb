"""A workspace directory as storage: plain files a person can read, edit and commit.

Layout (compatible with upstream py-code-mode)::

    base/tools/*.yaml, *.yml          tool definitions
    base/skills/<name>.py             one skill per file (files starting with "_" skipped)
    base/skills/.meta/<name>.json     an explicitly given description, timestamps, author,
                                      input schema, what the version passed (verification)
    base/skills/.history/<name>/      every version: NNNNNN.py (source) + NNNNNN.json (record)
    base/artifacts/<name>             artifact bytes; names may hold sub-directories
    base/artifacts/.artifacts.json    artifact records: description, created_at, metadata
                                      (and expires_at for an artifact saved with a TTL)
    base/requirements.txt             the deps list
    base/.py-code-mode/revision       a counter bumped by every skill and tool write
    base/.py-code-mode/stats/         skill usage stats (skills.json); search vectors (search/)

Every write goes to a temporary file first and is moved into place with `os.replace`, under
a file lock, so concurrent processes never lose or tear each other's writes. An artifact
whose TTL has passed is removed lazily, by the next read or listing that meets it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml
from filelock import FileLock
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from py_code_mode import _names
from py_code_mode._storage import _records
from py_code_mode._storage.base import (
    ArtifactInfo,
    SkillStats,
    SkillUse,
    SkillVersion,
    StoredSkill,
    artifact_not_found,
    case_twin,
    checked_verification,
    source_hash,
    utc_now,
)
from py_code_mode._tools._spec import read_spec
from py_code_mode._yamltext import yaml_problem
from py_code_mode.errors import (
    InvalidNameError,
    StorageError,
    ToolDefinitionError,
)

__all__ = ["FileStorage"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
_INDEX = ".artifacts.json"


def _read_counter(path: str) -> str:
    """The revision counter's text: "0" when there is none, "?" when it is not a file.

    Opened without blocking and without following links: the worker runs in the workspace
    and may have put a FIFO there (an open for reading would wait for a writer forever)
    or a link to anything.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except FileNotFoundError:
        return "0"
    except OSError:
        return "?"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "?"
        return os.read(fd, 32).decode("ascii", errors="replace").strip()
    except OSError:
        return "?"
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _folder_named(name: str) -> InvalidNameError:
    """The error for saving an artifact under the name of a folder of artifacts."""
    return InvalidNameError(f"Invalid artifact name {name!r}: a folder of artifacts has that name")


def _file_in_the_way(name: str, parent: str) -> InvalidNameError:
    """The error for saving an artifact inside another artifact, as if it were a folder."""
    return InvalidNameError(
        f"Invalid artifact name {name!r}: the artifact {parent!r} is a file, so it cannot "
        "hold others; choose another folder"
    )


class FileStorage:
    """Skills, artifacts, deps and tools in a workspace directory, created on first use.

    Args:
        base_path: The workspace directory.
    """

    def __init__(self, base_path: str | os.PathLike[str]) -> None:
        if not isinstance(base_path, str | os.PathLike):
            raise TypeError(
                f"FileStorage(base_path=...) takes a directory path, got {type(base_path).__name__}"
            )
        self._base = Path(base_path).expanduser().resolve()
        if self._base.exists() and not self._base.is_dir():
            raise ValueError(
                f"FileStorage base_path {str(self._base)!r} is a file, not a directory"
            )
        self._skill_cache: dict[str, tuple[tuple[int, int], StoredSkill]] = {}
        self._cased: tuple[int, dict[str, str]] | None = None
        """skills/'s modification time, and its skills' names by their lower case."""
        self._revision_paths = tuple(
            str(path) for path in (self._revision_file, self.skills_dir, self.tools_dir)
        )

    def __repr__(self) -> str:
        return f"FileStorage(base_path={str(self._base)!r})"

    @property
    def base_path(self) -> Path:
        """The workspace directory."""
        return self._base

    @property
    def root(self) -> Path:
        """The workspace directory: the worker's working directory."""
        return self._base

    @property
    def tools_dir(self) -> Path:
        """Where tool definitions live."""
        return self._base / "tools"

    @property
    def skills_dir(self) -> Path:
        """Where skills live."""
        return self._base / "skills"

    @property
    def artifacts_dir(self) -> Path:
        """Where artifacts live."""
        return self._base / "artifacts"

    @property
    def requirements_file(self) -> Path:
        """The deps list."""
        return self._base / "requirements.txt"

    def ensure_layout(self) -> None:
        """Create the workspace directories if they are missing."""
        for directory in (self.tools_dir, self.skills_dir, self.artifacts_dir):
            directory.mkdir(parents=True, exist_ok=True)

    async def open(self) -> None:
        """Create the workspace directories if they are missing."""
        await self._io(self.ensure_layout)

    @property
    def _revision_file(self) -> Path:
        return self._base / ".py-code-mode" / "revision"

    async def revision(self) -> str:
        """The write counter, and when skills/ and tools/ last gained or lost a file.

        The counter catches every write made through a FileStorage, even two in the same
        clock tick; the directories' times catch files a person added or removed by hand.
        A file edited in place by hand is not seen until one of those changes too.

        Unlike the other operations this one does not go to a thread: it is a small read
        and two `stat` calls that the toolkit makes after every call that can write, and a
        thread hop costs several times more (bench/adapters.py).
        """
        try:
            return self._revision()
        except OSError as exc:
            raise StorageError(f"{self!r}: {exc}") from exc

    def _revision(self) -> str:
        # os-level calls on prepared strings: this runs on the loop after every toolkit
        # call that can write, where pathlib and text decoding cost more than the syscalls.
        counter, skills, tools = self._revision_paths
        parts = [_read_counter(counter)]
        if parts[0] == "?":  # unreadable: every check must count as a change
            parts.append(str(time.monotonic_ns()))
        for directory in (skills, tools):
            try:
                parts.append(str(os.stat(directory).st_mtime_ns))
            except FileNotFoundError:
                parts.append("-")
        return ".".join(parts)

    def _bump_revision(self) -> None:
        """Count one more write of skills or tools; call it once the write has landed.

        The write itself has succeeded by then, so a counter that cannot be written (agent
        code replaced it with a directory, say) is logged, not raised: listings then count
        as changed on every check, which costs a re-read, never a lost write.
        """
        try:
            with self._lock("revision"):
                count = _read_counter(self._revision_paths[0])
                number = int(count) + 1 if count.isdigit() else 1
                atomic_write(self._revision_file, str(number).encode("ascii"))
        except OSError as exc:
            logger.warning("%r: the revision counter was not updated: %s", self, exc)

    @contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        lock_dir = self._base / ".py-code-mode" / "locks"
        lock_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(lock_dir / f"{name}.lock", timeout=60):
            yield

    async def _io(self, func: Callable[..., T], *args: Any) -> T:
        work = asyncio.ensure_future(asyncio.to_thread(func, *args))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            # A thread cannot be stopped: a write that has begun lands. Say "cancelled"
            # only once it has, so nothing that comes after can be overwritten by it;
            # a second cancellation must not cut this short either.
            while not work.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([work])
            raise
        except OSError as exc:
            raise StorageError(f"{self!r}: {exc}") from exc

    # --- tools -------------------------------------------------------------------------

    async def load_tool_definitions(self) -> list[tuple[str, Any]]:
        """Parsed tools/*.yaml and *.yml files, sorted by file name.

        A file that cannot be read or parsed comes as the `ToolDefinitionError` saying why,
        in place of its mapping, so one broken file does not hide the others.
        """
        return await self._io(self._load_tool_definitions)

    def _definition_files(self) -> list[Path]:
        if not self.tools_dir.is_dir():
            return []
        return sorted(
            path for pattern in ("*.yaml", "*.yml") for path in self.tools_dir.glob(pattern)
        )

    def _load_tool_definitions(self) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        for path in self._definition_files():
            try:
                data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                data = ToolDefinitionError(f"{path}: not valid YAML: {yaml_problem(exc)}")
            except (OSError, UnicodeDecodeError) as exc:
                data = ToolDefinitionError(f"{path}: cannot be read: {exc}")
            found.append((str(path), data))
        return found

    async def save_tool_definition(self, definition: Mapping[str, Any]) -> None:
        """Store a tool definition as YAML, checked first, so that it loads back identically.

        The file that already defines the tool is replaced; otherwise the definition goes to
        ``tools/<name>.yaml`` (or ``tools/<name>-2.yaml`` if that file holds another tool).

        Raises:
            ToolDefinitionError: The definition is malformed, or YAML cannot hold it exactly;
                nothing was written.
        """
        data = dict(definition)
        where = f"{self.tools_dir / str(data.get('name'))}.yaml"
        tool = read_spec(where, data)
        try:
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
            exact = yaml.safe_load(text) == data
        except yaml.YAMLError as exc:
            raise ToolDefinitionError(f"{where}: YAML cannot hold it: {exc}") from exc
        if not exact:
            raise ToolDefinitionError(f"{where}: YAML cannot hold it exactly; use plain data")
        await self._io(self._save_tool_definition, tool.name, text)

    def _save_tool_definition(self, name: str, text: str) -> None:
        with self._lock("tools"):
            defining = self._tool_files(name)
            path = defining[0] if defining else self._free_tool_path(name)
            atomic_write(path, text.encode("utf-8"))
        self._bump_revision()

    async def delete_tool_definition(self, name: str) -> bool:
        """Delete the file(s) defining tool `name`; False if there was none."""
        return await self._io(self._delete_tool_definition, _names.tool_name(name))

    def _delete_tool_definition(self, name: str) -> bool:
        with self._lock("tools"):
            defining = self._tool_files(name)
            for path in defining:
                path.unlink(missing_ok=True)
        if defining:
            self._bump_revision()
        return bool(defining)

    def _tool_files(self, name: str) -> list[Path]:
        """The tools/*.yaml (*.yml) files whose mapping is named `name`; unreadable ones are not."""
        found = []
        for path in self._definition_files():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue
            if isinstance(data, dict) and data.get("name") == name:
                found.append(path)
        return found

    def _free_tool_path(self, name: str) -> Path:
        path, number = self.tools_dir / f"{name}.yaml", 1
        while path.exists():
            number += 1
            path = self.tools_dir / f"{name}-{number}.yaml"
        return path

    # --- skills ------------------------------------------------------------------------

    # --- usage stats: .py-code-mode/stats/skills.json, beside the revision, not in skills/ -

    @property
    def _stats_path(self) -> Path:
        return self._base / ".py-code-mode" / "stats" / "skills.json"

    def _read_stats(self) -> dict[str, Any]:
        try:
            value = json.loads(self._stats_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            logger.warning("%r: the skill usage stats were damaged; counting anew", self)
            return {}
        return value if isinstance(value, dict) else {}

    async def record_skill_uses(self, uses: list[SkillUse]) -> None:
        """Add the uses to the stats file under its lock: hosts sharing the directory add up."""
        await self._io(self._record_skill_uses, uses)

    def _record_skill_uses(self, uses: list[SkillUse]) -> None:
        when = utc_now()
        with self._lock("stats"):
            stored = self._read_stats()
            for use in uses:
                known = SkillStats.from_dict(stored.get(_names.skill_name(use.name)))
                stats = (known or SkillStats()).add(use, when)
                stored[use.name] = dataclasses.asdict(stats)
            self._stats_path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self._stats_path, json.dumps(stored, sort_keys=True).encode("utf-8"))

    async def skill_stats(self) -> dict[str, SkillStats]:
        """Every used skill's stats, from the stats file."""
        return await self._io(self._skill_stats)

    def _skill_stats(self) -> dict[str, SkillStats]:
        found = {}
        for name, value in self._read_stats().items():
            stats = SkillStats.from_dict(value)
            if stats is not None:
                found[name] = stats
        return found

    def _forget_stats(self, name: str) -> None:
        with self._lock("stats"):
            stored = self._read_stats()
            if stored.pop(name, None) is not None:
                atomic_write(self._stats_path, json.dumps(stored, sort_keys=True).encode("utf-8"))

    def _search_index_path(self, name: str) -> Path:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", name):
            raise ValueError(f"search index name {name!r} is not letters, digits and dashes")
        # Under .py-code-mode/, not skills/: writing it must not move the revision.
        return self._base / ".py-code-mode" / "search" / f"{name}.bin"

    async def load_search_index(self, name: str) -> bytes | None:
        """The bytes of .py-code-mode/search/<name>.bin, or None."""
        path = self._search_index_path(name)
        return await self._io(lambda: path.read_bytes() if path.is_file() else None)

    async def save_search_index(self, name: str, data: bytes) -> None:
        """Replace .py-code-mode/search/<name>.bin atomically; it bumps no revision."""
        await self._io(atomic_write, self._search_index_path(name), data)

    def _skill_path(self, name: str) -> Path:
        return self.skills_dir / f"{_names.skill_name(name)}.py"

    def _meta_path(self, name: str) -> Path:
        return self.skills_dir / ".meta" / f"{name}.json"

    async def list_skills(self) -> list[StoredSkill]:
        """Every skill file whose name is a valid skill name, sorted by name."""
        return await self._io(self._list_skills)

    def _list_skills(self) -> list[StoredSkill]:
        if not self.skills_dir.is_dir():
            return []
        skills = []
        for path in sorted(self.skills_dir.glob("*.py")):
            if path.name.startswith("_"):
                continue
            try:
                skill = self._read_skill(path.stem)
            except InvalidNameError:
                continue  # a file a person named freely; it cannot be reached as skills.<name>
            if skill is not None:
                skills.append(skill)
        return skills

    async def get_skill(self, name: str) -> StoredSkill | None:
        """One skill, or None."""
        return await self._io(self._read_skill, name)

    def _read_skill(self, name: str) -> StoredSkill | None:
        path = self._skill_path(name)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        meta_path = self._meta_path(name)
        meta_stat = meta_path.stat().st_mtime_ns if meta_path.exists() else 0
        key = (stat.st_mtime_ns ^ meta_stat, stat.st_size)
        cached = self._skill_cache.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            source = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        meta: dict[str, Any] = {}
        if meta_stat:
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
        modified = utc_now() if not meta else str(meta.get("updated_at", utc_now()))
        version = meta.get("version")
        skill = StoredSkill(
            name=name,
            source=source,
            description=meta.get("description"),
            created_at=str(meta.get("created_at", modified)),
            updated_at=modified,
            author=meta.get("author") if isinstance(meta.get("author"), str) else None,
            version=version if isinstance(version, int) else None,
            input_schema=schema if isinstance(schema := meta.get("input_schema"), dict) else None,
            verification=checked_verification(meta.get("verification")),
        )
        self._skill_cache[name] = (key, skill)
        return skill

    async def save_skill(self, skill: StoredSkill) -> None:
        """Record a new version, then write the metadata and source, under the skills lock."""
        await self._io(self._save_skill, skill)

    def _save_skill(self, skill: StoredSkill) -> None:
        path = self._skill_path(skill.name)
        with self._lock("skills"):
            self._refuse_case_twin(skill.name)
            self._keep_unrecorded(skill.name)
            meta_path = self._meta_path(skill.name)
            created = skill.created_at
            if meta_path.exists():
                try:
                    created = json.loads(meta_path.read_text(encoding="utf-8"))["created_at"]
                except (OSError, ValueError, KeyError):
                    pass
            number = self._record(skill, skill.updated_at)
            meta = {
                "description": skill.description,
                "created_at": created,
                "updated_at": skill.updated_at,
                "author": skill.author,
                "version": number,
                "input_schema": skill.input_schema,
                "verification": skill.verification,
            }
            atomic_write(meta_path, json.dumps(meta, indent=2).encode("utf-8"))
            atomic_write(path, skill.source.encode("utf-8"))
            self._note_name(skill.name, present=True)
        self._bump_revision()

    async def delete_skill(self, name: str) -> bool:
        """Delete a skill's source and metadata; its history stays, with the delete recorded."""
        return await self._io(self._delete_skill, name)

    def _delete_skill(self, name: str) -> bool:
        path = self._skill_path(name)
        with self._lock("skills"):
            existed = path.exists()
            if existed:
                self._keep_unrecorded(name)
                self._record(None, utc_now(), name=name)
            path.unlink(missing_ok=True)
            self._meta_path(name).unlink(missing_ok=True)
            self._note_name(name, present=False)
        self._skill_cache.pop(name, None)
        if existed:
            self._bump_revision()
        return existed

    def _skill_names(self) -> dict[str, str]:
        """The skills' names by lower case, re-listed only when skills/ has changed."""
        mtime = os.stat(self.skills_dir).st_mtime_ns if self.skills_dir.is_dir() else 0
        if self._cased is None or self._cased[0] != mtime:
            names = {
                entry[:-3].lower(): entry[:-3]
                for entry in (os.listdir(self.skills_dir) if mtime else ())
                if entry.endswith(".py") and not entry.startswith("_")
            }
            self._cased = (mtime, names)
        return self._cased[1]

    def _refuse_case_twin(self, name: str) -> None:
        twin = self._skill_names().get(name.lower())
        if twin is not None and twin != name:
            raise InvalidNameError(case_twin(name, twin))

    def _note_name(self, name: str, *, present: bool) -> None:
        """Keep the name listing current after a write of ours (skills/ has a new time)."""
        names = self._skill_names() if self._cased is None else self._cased[1]
        if present:
            names[name.lower()] = name
        else:
            names.pop(name.lower(), None)
        self._cased = (os.stat(self.skills_dir).st_mtime_ns, names)

    async def purge_skill(self, name: str) -> bool:
        """Remove a skill, its metadata and its whole history."""
        return await self._io(self._purge_skill, name)

    def _purge_skill(self, name: str) -> bool:
        path, history = self._skill_path(name), self._history_dir(name)
        with self._lock("skills"):
            existed = path.exists() or history.exists()
            path.unlink(missing_ok=True)
            self._meta_path(name).unlink(missing_ok=True)
            shutil.rmtree(history, ignore_errors=True)
        self._forget_stats(name)
        self._skill_cache.pop(name, None)
        if existed:
            self._bump_revision()
        return existed

    # --- skill history: skills/.history/<name>/<version>.json (+ .py) --------------------

    def _history_dir(self, name: str) -> Path:
        return self.skills_dir / ".history" / _names.skill_name(name)

    async def skill_history(self, name: str) -> list[SkillVersion]:
        """The recorded versions, plus the current file if it was changed by hand since."""
        return await self._io(self._skill_history, name)

    def _skill_history(self, name: str) -> list[SkillVersion]:
        versions = self._versions(name)
        current = self._read_skill(name)
        if current is not None and _unrecorded(current, versions):
            number = versions[-1].version + 1 if versions else 1
            versions.append(_version_of(current, number))
        return versions

    async def get_skill_version(self, name: str, version: int) -> StoredSkill | None:
        """The source and record of one version, or None."""
        return await self._io(self._get_skill_version, name, version)

    def _get_skill_version(self, name: str, version: int) -> StoredSkill | None:
        for entry in self._skill_history(name):
            if entry.version != version or entry.deleted:
                continue
            source_path = self._history_dir(name) / f"{version:06d}.py"
            try:
                source = source_path.read_text(encoding="utf-8")
            except FileNotFoundError:  # the unrecorded current file
                current = self._read_skill(name)
                if current is None:
                    return None
                source = current.source
            return entry.with_source(source)
        return None

    def _versions(self, name: str) -> list[SkillVersion]:
        directory = self._history_dir(name)
        if not directory.is_dir():
            return []
        found = []
        for path in directory.glob("*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                found.append(
                    SkillVersion(
                        name=name,
                        version=int(path.stem),
                        created_at=str(data["created_at"]),
                        sha256=data.get("sha256"),
                        description=data.get("description"),
                        author=data.get("author"),
                        deleted=bool(data.get("deleted", False)),
                        verification=checked_verification(data.get("verification")),
                    )
                )
            except (OSError, ValueError, KeyError, TypeError):
                logger.warning("%r: skipping the damaged history entry %s", self, path)
        return sorted(found, key=lambda entry: entry.version)

    def _record(self, skill: StoredSkill | None, when: str, *, name: str = "") -> int:
        """Append one history entry (a delete when `skill` is None); its number."""
        name = skill.name if skill is not None else name
        versions = self._versions(name)
        number = versions[-1].version + 1 if versions else 1
        directory = self._history_dir(name)
        if skill is not None:
            atomic_write(directory / f"{number:06d}.py", skill.source.encode("utf-8"))
        entry = {
            "created_at": when,
            "sha256": source_hash(skill.source) if skill is not None else None,
            "description": skill.description if skill is not None else None,
            "author": skill.author if skill is not None else None,
            "deleted": skill is None,
            "verification": skill.verification if skill is not None else None,
        }
        atomic_write(directory / f"{number:06d}.json", json.dumps(entry).encode("utf-8"))
        return number

    def _keep_unrecorded(self, name: str) -> None:
        """Record the current file as a version if a person changed it since the last one."""
        current = self._read_skill(name)
        if current is not None and _unrecorded(current, self._versions(name)):
            unrecorded = dataclasses.replace(current, author=None, verification=None)
            self._record(unrecorded, current.updated_at)

    # --- artifacts ---------------------------------------------------------------------

    def _artifact_path(self, name: str) -> Path:
        path = (self.artifacts_dir / _names.artifact_name(name)).resolve()
        if not path.is_relative_to(self.artifacts_dir.resolve()):
            # A symlink inside artifacts/ pointing out of it: refuse rather than follow.
            raise InvalidNameError(f"Invalid artifact name {name!r}: it leaves artifacts/")
        return path

    def _read_index(self) -> dict[str, Any]:
        try:
            index = json.loads((self.artifacts_dir / _INDEX).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise StorageError(f"{self.artifacts_dir / _INDEX} is not valid JSON: {exc}") from exc
        return index if isinstance(index, dict) else {}

    def _write_index(self, index: dict[str, Any]) -> None:
        data = json.dumps(index, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
        atomic_write(self.artifacts_dir / _INDEX, data)

    async def save_artifact(self, info: ArtifactInfo, payload: bytes) -> None:
        """Write the bytes, then the record, under the artifacts lock."""
        await self._io(self._save_artifact, info, payload)

    def _save_artifact(self, info: ArtifactInfo, payload: bytes) -> None:
        path = self._artifact_path(info.name)
        with self._lock("artifacts"):
            index = self._read_index()
            self._clear_lapsed_around(info.name, index)
            if path.is_dir():
                raise _folder_named(info.name)
            for parent in Path(info.name).parents:
                if parent.name and (self.artifacts_dir / parent).is_file():
                    raise _file_in_the_way(info.name, parent.as_posix())
            atomic_write(path, payload)
            index[info.name] = _records.index_entry(info)
            self._write_index(index)

    def _clear_lapsed_around(self, name: str, index: dict[str, Any]) -> None:
        """Remove expired artifacts that would stand in `name`'s way.

        Those are the folders above it and what is inside a folder of that name; the
        caller holds the lock and writes `index`. An expired artifact keeps no name.
        """
        around = [p.as_posix() for p in Path(name).parents if p.name]
        around += [other for other in index if other.startswith(name + "/")]
        for other in around:
            if other in index and _records.is_expired(_records.as_entry(index[other])):
                self._artifact_path(other).unlink(missing_ok=True)
                del index[other]
        folder = self.artifacts_dir / name
        if folder.is_dir():  # folders left empty go, deepest first
            for inner in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                if inner.is_dir():
                    with suppress(OSError):
                        inner.rmdir()
            with suppress(OSError):
                folder.rmdir()

    def _info(self, name: str, entry: dict[str, Any], path: Path) -> ArtifactInfo:
        stat = path.stat()
        data_type = _records.stored_type(entry)
        if data_type is None:  # a file put in artifacts/ by hand: describe what it holds
            data_type = _records.guess_type(path.read_bytes(), name)
        return _records.info_from_entry(
            name,
            entry,
            size=stat.st_size,
            data_type=data_type,
            created_at=datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
        )

    def _live_entry(self, index: dict[str, Any], name: str) -> dict[str, Any] | None:
        """The entry of `name`, or None if it has expired (its files are removed then)."""
        entry = _records.as_entry(index.get(name))
        if _records.is_expired(entry):
            self._remove_expired([name])
            return None
        return entry

    def _remove_expired(self, names: list[str]) -> None:
        # Re-read under the lock: another process may have saved a fresh artifact meanwhile.
        with self._lock("artifacts"):
            index = self._read_index()
            gone = [n for n in names if _records.is_expired(_records.as_entry(index.get(n)))]
            for name in gone:
                # Index keys come from a file a person may edit: never unlink outside artifacts/.
                with suppress(InvalidNameError):
                    self._artifact_path(name).unlink(missing_ok=True)
                del index[name]
            if gone:
                self._write_index(index)

    async def load_artifact(self, name: str) -> tuple[ArtifactInfo, bytes]:
        """The artifact's record and bytes; files put in artifacts/ by hand load too."""
        return await self._io(self._load_artifact, name)

    def _load_artifact(self, name: str) -> tuple[ArtifactInfo, bytes]:
        path = self._artifact_path(name)
        try:
            entry = self._live_entry(self._read_index(), name)
            if entry is None:
                raise FileNotFoundError(path)
            payload = path.read_bytes()
            info = self._info(name, entry, path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise artifact_not_found(name, self._names()) from None
        return info, payload

    async def artifact_exists(self, name: str) -> bool:
        """Whether the artifact's file exists and has not expired."""
        return await self._io(self._artifact_exists, name)

    def _artifact_exists(self, name: str) -> bool:
        path = self._artifact_path(name)
        return path.is_file() and self._live_entry(self._read_index(), name) is not None

    async def list_artifacts(self) -> list[ArtifactInfo]:
        """Records of every artifact file, indexed or put there by hand; expired ones go."""
        return await self._io(self._list_artifacts)

    def _names(self) -> list[str]:
        if not self.artifacts_dir.is_dir():
            return []
        found = []
        for path in self.artifacts_dir.rglob("*"):
            relative = path.relative_to(self.artifacts_dir).as_posix()
            if path.is_file() and not any(p.startswith(".") for p in relative.split("/")):
                found.append(relative)
        return sorted(found)

    def _list_artifacts(self) -> list[ArtifactInfo]:
        index = self._read_index()
        expired = [n for n, e in index.items() if _records.is_expired(_records.as_entry(e))]
        if expired:
            self._remove_expired(expired)
        infos = []
        for name in self._names():
            if name in expired:
                continue
            entry = _records.as_entry(index.get(name))
            try:
                infos.append(self._info(name, entry, self.artifacts_dir / name))
            except FileNotFoundError:
                continue  # deleted by another process while we listed
        return infos

    async def delete_artifact(self, name: str) -> bool:
        """Delete an artifact and its record."""
        return await self._io(self._delete_artifact, name)

    def _delete_artifact(self, name: str) -> bool:
        path = self._artifact_path(name)
        with self._lock("artifacts"):
            index = self._read_index()
            entry = index.pop(name, None)
            existed = path.is_file() and not _records.is_expired(_records.as_entry(entry))
            path.unlink(missing_ok=True)
            if entry is not None:
                self._write_index(index)
        return existed

    async def close(self) -> None:
        """Nothing to release: every operation opens and closes its own files."""

    # --- deps --------------------------------------------------------------------------

    async def list_deps(self) -> list[str]:
        """Requirement lines of requirements.txt, without comments and blank lines."""
        return await self._io(self._list_deps)

    def _read_requirement_lines(self) -> list[str]:
        try:
            return self.requirements_file.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []

    def _list_deps(self) -> list[str]:
        lines = (line.strip() for line in self._read_requirement_lines())
        return [line for line in lines if line and not line.startswith("#")]

    async def add_dep(self, requirement: str) -> None:
        """Add a line, replacing the line for the same distribution; comments are kept."""
        await self._io(self._add_dep, requirement)

    def _add_dep(self, requirement: str) -> None:
        key = canonicalize_name(Requirement(requirement).name)
        with self._lock("deps"):
            lines = self._read_requirement_lines()
            replaced = False
            for i, line in enumerate(lines):
                if _line_name(line) == key:
                    lines[i] = requirement
                    replaced = True
            if not replaced:
                lines.append(requirement)
            atomic_write(self.requirements_file, ("\n".join(lines) + "\n").encode("utf-8"))

    async def remove_dep(self, name: str) -> bool:
        """Remove the line for distribution `name`."""
        return await self._io(self._remove_dep, name)

    def _remove_dep(self, name: str) -> bool:
        key = canonicalize_name(name)
        with self._lock("deps"):
            lines = self._read_requirement_lines()
            kept = [line for line in lines if _line_name(line) != key]
            if len(kept) == len(lines):
                return False
            text = "\n".join(kept) + "\n" if kept else ""
            atomic_write(self.requirements_file, text.encode("utf-8"))
            return True


def _line_name(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    try:
        return canonicalize_name(Requirement(stripped).name)
    except InvalidRequirement:
        return None


def _unrecorded(current: StoredSkill, versions: list[SkillVersion]) -> bool:
    """Whether the current source differs from the last recorded version (or there is none)."""
    last = versions[-1] if versions else None
    return last is None or last.deleted or last.sha256 != source_hash(current.source)


def _version_of(current: StoredSkill, number: int) -> SkillVersion:
    return SkillVersion(
        name=current.name,
        version=number,
        created_at=current.updated_at,
        sha256=source_hash(current.source),
        description=current.description,
        author=current.author,
    )
