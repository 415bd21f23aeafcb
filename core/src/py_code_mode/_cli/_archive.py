"""A whole library as one zip file: written atomically, read back only once fully checked.

Layout (members mirror a workspace directory)::

    manifest.json          {"format": "py-code-mode-library", "version": 1, "exported_at",
                            "skills": [{name, description, created_at, updated_at, size, sha256}],
                            "artifacts": [{name, type, description, metadata, created_at,
                                           expires_at, size, sha256}],
                            "deps": ["requests>=2", ...],
                            "tools": [{name, size, sha256}]}
    skills/<name>.py       a skill's source (UTF-8)
    artifacts/<name>       an artifact's exact bytes
    tools/<name>.yaml      a tool definition

The archive is never extracted: every member is read into memory and must be exactly the
one the manifest names (names checked by `py_code_mode._names`, size and SHA-256 matching).
Any other member (``../evil``), a missing or damaged one, or a manifest of another shape
rejects the whole archive (`InputError`) before anything is written anywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import yaml

from py_code_mode import _names
from py_code_mode._artifacts import decode
from py_code_mode._cli._library import Artifact, Library, deps_by_name, tools_by_name
from py_code_mode._cli._progress import Progress
from py_code_mode._storage.base import ArtifactInfo, StoredSkill, seconds_until, utc_now
from py_code_mode.errors import CodeModeError, InputError, UsageError

FORMAT = "py-code-mode-library"
VERSION = 1
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_DATA_TYPES = ("bytes", "text", "json")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _skill_member(name: str) -> str:
    return f"skills/{name}.py"


def _artifact_member(name: str) -> str:
    return f"artifacts/{name}"


def _tool_member(name: str) -> str:
    return f"tools/{name}.yaml"


# --- writing -------------------------------------------------------------------------------


def _members(library: Library) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and the other members' bytes, by member name."""
    members: dict[str, bytes] = {}
    skills, artifacts, tools = [], [], []
    for name, skill in sorted(library.skills.items()):
        data = members[_skill_member(name)] = skill.source.encode("utf-8")
        skills.append(
            {
                "name": name,
                "description": skill.description,
                "created_at": skill.created_at,
                "updated_at": skill.updated_at,
                "size": len(data),
                "sha256": _sha256(data),
            }
        )
    for name, artifact in sorted(library.artifacts.items()):
        info = artifact.info
        data = members[_artifact_member(name)] = artifact.payload
        artifacts.append(
            {
                "name": name,
                "type": info.data_type,
                "description": info.description,
                "metadata": info.metadata,
                "created_at": info.created_at,
                "expires_at": info.expires_at,
                "size": len(data),
                "sha256": _sha256(data),
            }
        )
    for name, definition in sorted(library.tools.items()):
        text = yaml.safe_dump(definition, sort_keys=False, allow_unicode=True)
        data = members[_tool_member(name)] = text.encode("utf-8")
        tools.append({"name": name, "size": len(data), "sha256": _sha256(data)})
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": utc_now(),
        "skills": skills,
        "artifacts": artifacts,
        "deps": [library.deps[name] for name in sorted(library.deps)],
        "tools": tools,
    }
    return manifest, members


def write_archive(path: Path, library: Library, *, force: bool, progress: Progress) -> None:
    """Write `library` to `path` as a zip; the file appears only once it is complete.

    Raises:
        UsageError: `path` exists and `force` is not set, or it is a directory.
        OSError: The file cannot be written.
    """
    if path.is_dir():
        raise UsageError(f"{str(path)!r} is a directory; name the archive file to write")
    if path.exists() and not force:
        raise UsageError(f"{str(path)!r} exists; add --force to replace it")
    manifest, members = _members(library)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with (
            os.fdopen(fd, "wb") as handle,
            zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
            for done, (member, data) in enumerate(members.items(), 1):
                archive.writestr(member, data)
                progress.update("exported", "items", done, len(members))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# --- reading -------------------------------------------------------------------------------


def _field(entry: dict[str, Any], key: str, kinds: type | tuple[type, ...], where: str) -> Any:
    value = entry.get(key)
    if not isinstance(value, kinds):
        raise InputError(f"{where}: {key!r} is missing or of the wrong type")
    return value


def _entries(manifest: dict[str, Any], section: str, keys: set[str]) -> list[dict[str, Any]]:
    entries = manifest.get(section)
    if not isinstance(entries, list):
        raise InputError(f"the manifest's {section!r} is not a list")
    seen: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != keys:
            raise InputError(
                f"an entry of {section!r} is not a mapping of exactly {', '.join(sorted(keys))}"
            )
        name = entry["name"]
        if not isinstance(name, str):
            raise InputError(f"a name in {section!r} is not a string: {name!r}")
        if name in seen:
            raise InputError(f"{section} {name!r} is listed twice")
        seen.add(name)
    return entries


def _expiry(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{where}: 'expires_at' is not a string or null")
    try:
        seconds_until(value)
    except (ValueError, TypeError):
        raise InputError(f"{where}: {value!r} is not an ISO-8601 time with a zone") from None
    return value


class _Reader:
    """Reads members of an open archive, each checked against the manifest's size and hash."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive
        self.expected: set[str] = {MANIFEST}

    def read(self, member: str, entry: dict[str, Any]) -> bytes:
        self.expected.add(member)
        size = _field(entry, "size", int, member)
        try:
            info = self._archive.getinfo(member)
        except KeyError:
            raise InputError(f"the member {member!r} is missing") from None
        if info.file_size != size:
            raise InputError(f"{member!r} holds {info.file_size} bytes; the manifest says {size}")
        data = self._archive.read(member)
        if len(data) != size or _sha256(data) != entry.get("sha256"):
            raise InputError(f"{member!r} does not match the manifest's SHA-256: it is damaged")
        return data


def _skills(manifest: dict[str, Any], reader: _Reader) -> dict[str, StoredSkill]:
    skills = {}
    keys = {"name", "description", "created_at", "updated_at", "size", "sha256"}
    for entry in _entries(manifest, "skills", keys):
        name = _names.skill_name(entry["name"])
        where = f"skill {name!r}"
        description = entry["description"]
        if description is not None and not isinstance(description, str):
            raise InputError(f"{where}: the description is not a string")
        data = reader.read(_skill_member(name), entry)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{where}: the source is not UTF-8 text") from None
        skills[name] = StoredSkill(
            name=name,
            source=source,
            description=description,
            created_at=_field(entry, "created_at", str, where),
            updated_at=_field(entry, "updated_at", str, where),
        )
    return skills


def _artifacts(manifest: dict[str, Any], reader: _Reader) -> dict[str, Artifact]:
    artifacts = {}
    keys = {"name", "type", "description", "metadata", "created_at", "expires_at"}
    for entry in _entries(manifest, "artifacts", keys | {"size", "sha256"}):
        name = _names.artifact_name(entry["name"])
        where = f"artifact {name!r}"
        data_type = entry["type"]
        if data_type not in _DATA_TYPES:
            raise InputError(f"{where}: the type {data_type!r} is not one of {_DATA_TYPES}")
        expires = entry["expires_at"]
        data = reader.read(_artifact_member(name), entry)
        try:
            decode(data, data_type, name)
        except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise InputError(f"{where}: its bytes are not {data_type} data") from None
        info = ArtifactInfo(
            name=name,
            data_type=data_type,
            size=len(data),
            created_at=_field(entry, "created_at", str, where),
            description=_field(entry, "description", str, where),
            metadata=_field(entry, "metadata", dict, where),
            expires_at=None if expires is None else _expiry(expires, where),
        )
        artifacts[name] = Artifact(info, data)
    return artifacts


def _tools(manifest: dict[str, Any], reader: _Reader) -> dict[str, dict[str, Any]]:
    definitions = []
    for entry in _entries(manifest, "tools", {"name", "size", "sha256"}):
        name = _names.tool_name(entry["name"])
        member = _tool_member(name)
        try:
            data = yaml.safe_load(reader.read(member, entry).decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError):
            raise InputError(f"{member!r} is not YAML text") from None
        if not isinstance(data, dict) or data.get("name") != name:
            raise InputError(f"{member!r} does not define the tool {name!r}")
        definitions.append((f"{member} in the archive", data))
    return tools_by_name(definitions)


def _manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    names = archive.namelist()
    if len(names) != len(set(names)):
        raise InputError("it holds two members of the same name")
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise InputError(f"it has no {MANIFEST}") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise InputError(f"its {MANIFEST} is over {MAX_MANIFEST_BYTES} bytes")
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except ValueError:
        raise InputError(f"its {MANIFEST} is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"its {MANIFEST} does not say format {FORMAT!r}")
    version = manifest.get("version")
    if version != VERSION:
        raise InputError(
            f"it is format version {version!r}; this py-code-mode reads version {VERSION} "
            "(upgrade py-code-mode to import newer archives)"
        )
    return manifest


def read_archive(path: Path) -> Library:
    """The library an archive holds, checked completely.

    Raises:
        InputError: The file is not a library archive, is damaged, or holds a member or a
            name it must not (e.g. ``../evil``); the message names the file and the reason.
        OSError: The file cannot be read.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = _manifest(archive)
            reader = _Reader(archive)
            library = Library(
                skills=_skills(manifest, reader),
                artifacts=_artifacts(manifest, reader),
                tools=_tools(manifest, reader),
            )
            deps = manifest.get("deps")
            if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
                raise InputError("the manifest's 'deps' is not a list of requirement lines")
            library.deps = deps_by_name(deps, where="the manifest's deps")
            if len(library.deps) != len(deps):
                raise InputError("the manifest's deps name one distribution twice")
            unexpected = sorted(set(archive.namelist()) - reader.expected)
            if unexpected:
                shown = ", ".join(repr(n) for n in unexpected[:5])
                raise InputError(f"it holds members the manifest does not list: {shown}")
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise InputError(
            f"{str(path)!r} is not a readable zip archive ({exc}); nothing was written"
        ) from None
    except CodeModeError as exc:  # including a hostile name or a malformed tool inside
        raise InputError(f"{str(path)!r} cannot be imported: {exc}; nothing was written") from None
    return library
