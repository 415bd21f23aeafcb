"""Skills as Agent Skills folders (agentskills.io): a `SKILL.md` beside the code, both ways.

The Agent Skills format is how agents share skills: a folder named after the skill, with a
`SKILL.md` that opens with YAML front matter (`name`, `description`, optional `license`,
`compatibility`, `metadata`, `allowed-tools`) followed by instructions in Markdown, and any
other files. Our skills are Python sources with a top-level `run`, so the mapping is:

- export: `<agent-name>/SKILL.md` says how to call the skill (signature, parameters,
  `skills.<name>(...)`), and `<agent-name>/<name>.py` is the code, named in the front
  matter's `metadata` (`py-code-mode-entry-point`) so an import never has to guess;
- import: a folder with a Python entry point (the one `metadata` names, else the file
  named after the skill, else the only `.py` defining a top-level `run`) becomes a skill
  with that file as its source; a folder without one is kept as instructions: a skill
  whose `run()` returns the `SKILL.md` body, so it is stored, listed and searched like any
  other, and exports back to an equivalent `SKILL.md`.

Names: an Agent Skills name is 1-64 lowercase letters, digits and single hyphens
(`fetch-repo-stars`); a skill name is a Python identifier (`fetch_repo_stars`). Hyphens
and underscores swap, and only names that survive the swap both ways cross.

Every folder is hostile input: nothing is written until the whole folder has been read and
the skill validated, files are read only inside the folder (a symbolic link out of it is
refused), size-capped, and must be UTF-8 text; each refusal says what is wrong and what is
allowed. Everything here works in memory (`export_skill`, `read_folder`); `write_folder`
is the one function that writes, and it writes a folder whole or not at all.
"""

from __future__ import annotations

import ast
import keyword
import math
import os
import pprint
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml

from py_code_mode import _names
from py_code_mode._skills.model import MAX_SOURCE_BYTES, Skill
from py_code_mode.errors import InputError, InvalidNameError, InvalidSkillError, UsageError

__all__ = [
    "ENTRY_POINT_KEY",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_FILE_BYTES",
    "MAX_FOLDER_ENTRIES",
    "SKILL_FILE",
    "ImportedSkill",
    "SkillFolder",
    "agent_name",
    "export_skill",
    "instructions_source",
    "parse_skill_md",
    "python_name",
    "read_folder",
    "read_folders",
    "skill_folders",
    "write_folder",
]

SKILL_FILE = "SKILL.md"
ENTRY_POINT_KEY = "py-code-mode-entry-point"
"""The front matter `metadata` key naming the Python entry point, e.g. `fetch_repo_stars.py`.

In `metadata` because the Agent Skills format allows no top-level fields beyond its own,
and asks that `metadata` keys be unlikely to collide with other tools' keys.
"""
MAX_NAME_LENGTH = 64
MAX_DESCRIPTION_LENGTH = 1024
MAX_COMPATIBILITY_LENGTH = 500
MAX_FILE_BYTES = MAX_SOURCE_BYTES
"""The most bytes read from one file (`SKILL.md`, a `.py`): a skill's source limit."""
MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_FOLDER_ENTRIES = 1000
"""The most files and folders one skill folder may hold (hidden ones not counted)."""
_MAX_YAML_NODES = 10_000
"""Values the front matter may hold, aliases counted each time they are used."""

_AGENT_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_NAME_RULES = (
    "an Agent Skills name is 1-64 lowercase letters (a-z), digits and hyphens, not starting "
    "or ending with a hyphen and without two in a row, e.g. 'fetch-repo-stars'"
)
_FENCE = re.compile(r"^---[ \t]*$")

Kind = Literal["python", "instructions"]


# --- names ---------------------------------------------------------------------------------


def agent_name(name: str) -> str:
    """The Agent Skills name of skill `name`: `fetch_repo_stars` is `fetch-repo-stars`.

    Raises:
        InvalidNameError: `name` has capitals, a leading, trailing or doubled underscore, or
            is too long: it would not come back as the same skill name; the message says
            which names cross.
    """
    kebab = name.replace("_", "-")
    if len(kebab) > MAX_NAME_LENGTH or not _AGENT_NAME.fullmatch(kebab):
        raise InvalidNameError(
            f"Skill {name!r} cannot be an Agent Skills folder: {_NAME_RULES}. Skill names "
            "cross as lowercase words joined by single underscores (fetch_repo_stars becomes "
            "fetch-repo-stars); save the skill under such a name to export it"
        )
    return kebab


def python_name(name: Any) -> str:
    """The skill name of Agent Skills name `name`: `fetch-repo-stars` is `fetch_repo_stars`.

    Raises:
        InvalidNameError: `name` breaks the Agent Skills naming rules, or its skill name is
            not one py-code-mode allows (it must start with a letter, and not be a Python
            keyword or a method of `skills`).
    """
    if not isinstance(name, str):
        raise InvalidNameError(
            f"The front matter's name must be text, got {type(name).__name__}; {_NAME_RULES}"
        )
    if len(name) > MAX_NAME_LENGTH or not _AGENT_NAME.fullmatch(name):
        raise InvalidNameError(f"{name!r} is not an Agent Skills name: {_NAME_RULES}")
    snake = name.replace("-", "_")
    if not snake[0].isalpha() or keyword.iskeyword(snake):
        raise InvalidNameError(
            f"Agent Skills name {name!r} becomes {snake!r}, which cannot name a skill: a skill "
            "name is a Python identifier that starts with a letter and is not a keyword; "
            "rename the skill (and its folder), e.g. 'pdf-tools' instead of '3d-pdf'"
        )
    try:
        return _names.skill_name(snake)
    except InvalidNameError as exc:
        raise InvalidNameError(f"Agent Skills name {name!r} becomes {snake!r}: {exc}") from None


# --- export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillFolder:
    """A skill as an Agent Skills folder, in memory: what `export_skill` makes."""

    name: str
    """The folder's (and the front matter's) Agent Skills name, e.g. `fetch-repo-stars`."""
    frontmatter: dict[str, Any]
    """The `SKILL.md` front matter, as the YAML in `files[SKILL_FILE]` reads back."""
    files: dict[str, bytes]
    """Each file's path in the folder (`/`-separated) and its exact bytes; `SKILL.md` first."""
    kind: Kind
    """`python` (SKILL.md and the code) or `instructions` (only SKILL.md)."""


def export_skill(details: Mapping[str, Any]) -> SkillFolder:
    """The Agent Skills folder of a skill, from what `session.get_skill(name)` returns.

    A skill that was imported as instructions gives back its `SKILL.md` (same name,
    description, other front matter and body); any other gives a `SKILL.md` saying how to
    call it, and its source as `<name>.py`.

    Raises:
        InvalidNameError: The name cannot be an Agent Skills name (see `agent_name`).
        InvalidSkillError: The description is over the format's 1,024 characters.
    """
    name = str(details["name"])
    source = str(details["source"])
    kebab = agent_name(name)
    description = str(details.get("description") or "").strip()
    instructions = _instructions_of(source)
    if instructions is not None:
        frontmatter: dict[str, Any] = {
            "name": kebab,
            "description": description or instructions.description,
        }
        extra = instructions.frontmatter.items()
        frontmatter.update((k, v) for k, v in extra if k not in ("name", "description"))
        _check_description(name, frontmatter["description"])
        text = _render(frontmatter, instructions.body)
        return SkillFolder(kebab, frontmatter, {SKILL_FILE: text}, "instructions")
    description = description or f"The py-code-mode skill {name}: {details.get('signature')}"
    _check_description(name, description)
    entry = f"{name}.py"
    frontmatter = {
        "name": kebab,
        "description": description,
        "metadata": {ENTRY_POINT_KEY: entry},
    }
    text = _render(frontmatter, _usage(details, kebab, description, entry))
    return SkillFolder(
        kebab, frontmatter, {SKILL_FILE: text, entry: source.encode("utf-8")}, "python"
    )


def _check_description(name: str, description: str) -> None:
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidSkillError(
            f"Skill {name!r} cannot be an Agent Skills folder: its description is "
            f"{len(description):,} characters and the format allows at most "
            f"{MAX_DESCRIPTION_LENGTH:,}; save it with a shorter description"
        )


def _render(frontmatter: Mapping[str, Any], body: str) -> bytes:
    head = yaml.safe_dump(dict(frontmatter), sort_keys=False, allow_unicode=True, width=1_000_000)
    return f"---\n{head}---\n\n{body}".encode()


def _fence(text: str, language: str = "") -> str:
    """`text` as a fenced code block whose fence no backtick run inside can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _code(text: str) -> str:
    """`text` as inline code in a Markdown table cell."""
    text = text.replace("\n", " ").replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _usage(details: Mapping[str, Any], kebab: str, description: str, entry: str) -> str:
    """The body of an exported skill's SKILL.md: what it does and how to call it."""
    name = str(details["name"])
    parameters = [p for p in details.get("parameters") or [] if isinstance(p, Mapping)]
    required = [str(p["name"]) for p in parameters if p.get("required")]
    call = f"skills.{name}({', '.join(f'{p}=...' for p in required)})"
    lines = [
        f"# {kebab}",
        "",
        description,
        "",
        f"A py-code-mode skill: Python code whose entry point is `run` in [{entry}]({entry}).",
        "It runs with py-code-mode's `tools`, `skills`, `artifacts` and `deps` namespaces as "
        "globals, so call it in a py-code-mode session (agent code, or the `run_code` tool):",
        "",
        _fence(f"result = {call}", "python"),
        "",
        f'`skills.invoke("{name}", ...)` does the same'
        + (", with the same keyword arguments." if parameters else "."),
        "",
        "Signature:",
        "",
        _fence(f"{details.get('signature') or 'def run()'}", "python"),
        "",
        "## Parameters",
        "",
    ]
    if parameters:
        lines += ["| name | type | required | default |", "| --- | --- | --- | --- |"]
        for p in parameters:
            default = "" if p.get("required") else _code(repr(p.get("default")))
            lines.append(
                f"| {_code(str(p['name']))} | {_code(str(p.get('type') or 'string'))} | "
                f"{'yes' if p.get('required') else 'no'} | {default} |"
            )
    else:
        lines.append("It takes no parameters.")
    requires = [str(r) for r in details.get("requires") or []]
    if requires:
        lines += [
            "",
            "## Requirements",
            "",
            "It needs these packages; `deps.add(...)` installs each: "
            + ", ".join(_code(r) for r in requires)
            + ".",
        ]
    return "\n".join(lines) + "\n"


def write_folder(folder: SkillFolder, parent: Path, *, force: bool = False) -> Path:
    """Write `folder` as `parent/<name>/`; it appears whole or not at all.

    The files are written into a hidden folder beside the target, which then takes the
    target's place, so a reader never sees half a skill.

    Raises:
        UsageError: The target exists and `force` is not set.
        OSError: The folder cannot be written.
    """
    target = parent / folder.name
    if (target.exists() or target.is_symlink()) and not force:
        raise UsageError(f"{str(target)!r} exists; add --force to replace it")
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{folder.name}.", suffix=".tmp"))
    old: Path | None = None
    try:
        for relative, data in folder.files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if target.exists() or target.is_symlink():
            old = Path(tempfile.mkdtemp(dir=parent, prefix=f".{folder.name}.", suffix=".old"))
            os.replace(target, old / "replaced")
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None and not (target.exists() or target.is_symlink()):
            os.replace(old / "replaced", target)  # put back what was there
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return target


# --- instructions kept as a skill ----------------------------------------------------------


@dataclass(frozen=True)
class _Instructions:
    description: str
    body: str
    frontmatter: dict[str, Any] = field(default_factory=dict)
    """Front matter fields besides name and description (`license`, `metadata`, ...)."""


def _literal(text: str) -> str:
    """A Python string literal for `text`: triple-quoted when that is exact, else repr."""
    plain = all(c in "\n\t" or c.isprintable() for c in text)
    if plain and '"""' not in text and "\\" not in text and not text.endswith('"'):
        return f'"""{text}"""'
    return repr(text)


def instructions_source(
    description: str, body: str, frontmatter: Mapping[str, Any] | None = None
) -> str:
    """The source of a skill kept as instructions: `run()` returns `body`.

    Its module docstring is the description; `FRONTMATTER` keeps the other front matter
    fields (if any), so exporting it gives back an equivalent `SKILL.md`.
    """
    lines = [_literal(description), ""]
    if frontmatter:
        lines.append(f"FRONTMATTER = {pprint.pformat(dict(frontmatter), sort_dicts=False)}")
    lines += [
        f"INSTRUCTIONS = {_literal(body)}",
        "",
        "",
        "def run() -> str:",
        '    """The instructions to follow: the body of this skill\'s Agent Skills SKILL.md."""',
        "    return INSTRUCTIONS",
        "",
    ]
    return "\n".join(lines)


def _instructions_of(source: str) -> _Instructions | None:
    """The instructions, if `source` is exactly what `instructions_source` makes."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    description = ast.get_docstring(tree, clean=False)
    values: dict[str, Any] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in ("FRONTMATTER", "INSTRUCTIONS")
        ):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return None
    body, extra = values.get("INSTRUCTIONS"), values.get("FRONTMATTER", {})
    if not isinstance(description, str) or not isinstance(body, str) or not isinstance(extra, dict):
        return None
    if instructions_source(description, body, extra) != source:
        return None
    return _Instructions(description, body, extra)


# --- import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedSkill:
    """A skill read from an Agent Skills folder, validated, not yet saved."""

    name: str
    """The skill name (a Python identifier), from the front matter's `name`."""
    source: str
    description: str
    """The front matter's description, the skill's explicit description."""
    kind: Kind
    entry_point: str | None
    """The `.py` file that became the source (folder-relative), or None for instructions."""
    ignored: tuple[str, ...] = ()
    """What the skill does not keep: other files, front matter fields, SKILL.md's body."""


def read_folder(path: Path) -> ImportedSkill:
    """Read one Agent Skills folder into a skill; nothing is written anywhere.

    Raises:
        InvalidNameError: The front matter's name is not an Agent Skills name, does not
            match the folder's name, or cannot name a skill.
        InvalidSkillError: The folder breaks the format or a limit (no or malformed
            `SKILL.md`, a symbolic link out of the folder, a file that is too large, binary or
            not UTF-8, an ambiguous or broken entry point); the message says which and what
            is allowed.
        OSError: The folder cannot be read.
    """
    folder = path.resolve()
    if not folder.is_dir():
        raise InvalidSkillError(f"{str(path)!r} is not a folder; an Agent Skills skill is one")
    files = _walk(folder)
    if SKILL_FILE not in files:
        raise InvalidSkillError(
            f"there is no {SKILL_FILE}: an Agent Skills folder holds a {SKILL_FILE} that "
            "begins with YAML front matter (name, description) followed by instructions"
        )
    text = _read_text(folder, SKILL_FILE).replace("\r\n", "\n").replace("\r", "\n")
    frontmatter, body = parse_skill_md(text)
    kebab = frontmatter["name"]
    if kebab != folder.name:
        raise InvalidNameError(
            f"{SKILL_FILE}: the front matter's name {kebab!r} does not match the folder's name "
            f"{folder.name!r}; the Agent Skills format requires them to be equal, so rename "
            "one of them"
        )
    name = python_name(kebab)
    description = frontmatter["description"].strip()
    entry = _entry_point(folder, files, frontmatter, name, kebab)
    if entry is None:
        if not body.strip():
            raise InvalidSkillError(
                f"{SKILL_FILE} has no instructions after its front matter, and the folder has "
                "no Python file defining a top-level `run`: there is nothing to keep as a skill"
            )
        extra = {k: v for k, v in frontmatter.items() if k not in ("name", "description")}
        source = instructions_source(description, body.rstrip() + "\n", extra)
        _validate(name, source, description)
        others = tuple(f for f in files if f != SKILL_FILE)
        return ImportedSkill(name, source, description, "instructions", None, others)
    source = _read_text(folder, entry).removeprefix("\ufeff")
    skill = _validate(name, source, description)
    ignored_fields = [k for k in frontmatter if k not in ("name", "description", "metadata")]
    metadata = frontmatter.get("metadata") or {}
    ignored_fields += [f"metadata.{k}" for k in metadata if k != ENTRY_POINT_KEY]
    ignored = [f for f in files if f not in (SKILL_FILE, entry)]
    if body.strip() and body != _exported_body(skill, kebab, description, entry):
        ignored.append(f"the instructions in {SKILL_FILE}")
    return ImportedSkill(name, source, description, "python", entry, (*ignored, *ignored_fields))


def _validate(name: str, source: str, description: str) -> Skill:
    try:
        return Skill.from_source(name, source, description)
    except InvalidSkillError as exc:
        raise InvalidSkillError(str(exc)) from None


def _exported_body(skill: Skill, kebab: str, description: str, entry: str) -> str:
    return _usage(skill.details(), kebab, description, entry)


def parse_skill_md(text: str) -> tuple[dict[str, Any], str]:
    """The front matter (checked against the Agent Skills rules) and the body of a SKILL.md.

    Raises:
        InvalidSkillError: There is no front matter, it is not closed, not YAML, too large
            or deep, not a mapping, or a field breaks the format's rules.
        InvalidNameError: The name breaks the naming rules.
    """
    shape = (
        f"{SKILL_FILE} must begin with YAML front matter: a line '---', the fields (at least "
        "name and description), and a closing line '---', then the instructions"
    )
    lines = text.removeprefix("\ufeff").split("\n")
    if not lines or not _FENCE.match(lines[0]):
        raise InvalidSkillError(f"{shape}; its first line is {lines[0][:80]!r}")
    closing = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i])), None)
    if closing is None:
        raise InvalidSkillError(f"{shape}; the front matter is never closed")
    head = "\n".join(lines[1:closing])
    if len(head.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise InvalidSkillError(
            f"{SKILL_FILE}: the front matter is over {MAX_FRONT_MATTER_BYTES:,} bytes; it "
            "holds the name, the description and a few short fields"
        )
    try:
        data = yaml.safe_load(head)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise InvalidSkillError(
            f"{SKILL_FILE}: the front matter is not valid YAML{where}: {problem}"
        ) from None
    except RecursionError:
        raise InvalidSkillError(f"{SKILL_FILE}: the front matter is nested too deeply") from None
    if not isinstance(data, dict):
        raise InvalidSkillError(
            f"{shape}; the front matter is a {type(data).__name__}, not a mapping of fields"
        )
    _check_values(data, [0], "")
    body = "\n".join(lines[closing + 1 :]).lstrip("\n")
    return _check_fields(data), body


def _check_values(value: Any, budget: list[int], where: str) -> None:
    """Refuse what a JSON object cannot hold exactly, and alias bombs (by counting)."""
    budget[0] += 1
    if budget[0] > _MAX_YAML_NODES:
        raise InvalidSkillError(
            f"{SKILL_FILE}: the front matter holds over {_MAX_YAML_NODES:,} values (counting "
            "each use of a YAML alias); it holds the name, the description and a few fields"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidSkillError(
                    f"{SKILL_FILE}: the front matter key {key!r}{where and f' in {where}'} is "
                    "not text; field names are text"
                )
            _check_values(item, budget, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_values(item, budget, f"{where}[{index}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidSkillError(f"{SKILL_FILE}: the front matter field {where!r} is not finite")
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise InvalidSkillError(
            f"{SKILL_FILE}: the front matter field {where!r} holds a YAML "
            f"{type(value).__name__}, which a JSON object cannot hold; quote it to make it text"
        )


def _check_fields(data: dict[str, Any]) -> dict[str, Any]:
    for required in ("name", "description"):
        if required not in data:
            raise InvalidSkillError(
                f"{SKILL_FILE}: the front matter has no {required!r}; the Agent Skills format "
                "requires name and description"
            )
    python_name(data["name"])  # raises with the rules
    description = data["description"]
    if not isinstance(description, str) or not description.strip():
        raise InvalidSkillError(
            f"{SKILL_FILE}: the description must be non-empty text saying what the skill does "
            "and when to use it"
        )
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidSkillError(
            f"{SKILL_FILE}: the description is {len(description):,} characters; the Agent "
            f"Skills format allows at most {MAX_DESCRIPTION_LENGTH:,}"
        )
    for key in ("license", "allowed-tools"):
        if key in data and not isinstance(data[key], str):
            raise InvalidSkillError(f"{SKILL_FILE}: {key!r} must be text")
    compatibility = data.get("compatibility")
    if "compatibility" in data and (
        not isinstance(compatibility, str)
        or not 1 <= len(compatibility) <= MAX_COMPATIBILITY_LENGTH
    ):
        raise InvalidSkillError(
            f"{SKILL_FILE}: 'compatibility' must be text of 1 to "
            f"{MAX_COMPATIBILITY_LENGTH} characters"
        )
    metadata = data.get("metadata")
    if "metadata" in data and (
        not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values())
    ):
        raise InvalidSkillError(
            f"{SKILL_FILE}: 'metadata' must map names to text values (quote numbers: "
            'version: "1.0")'
        )
    return data


def _walk(folder: Path) -> list[str]:
    """The folder's files (`/`-separated, sorted), hidden ones skipped; links checked."""
    files: list[str] = []
    entries = 0

    def fail(exc: OSError) -> None:
        raise exc

    for directory, subdirectories, names in os.walk(folder, onerror=fail):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for entry in [*subdirectories, *sorted(n for n in names if not n.startswith("."))]:
            entries += 1
            if entries > MAX_FOLDER_ENTRIES:
                raise InvalidSkillError(
                    f"the folder holds over {MAX_FOLDER_ENTRIES:,} files and folders; a skill "
                    "folder holds SKILL.md and the few files it uses"
                )
            full = Path(directory, entry)
            relative = full.relative_to(folder).as_posix()
            if full.is_symlink():
                target = full.resolve()
                if not target.is_relative_to(folder):
                    raise InvalidSkillError(
                        f"{relative!r} is a symbolic link to {str(target)!r}, outside the "
                        "folder; a skill folder may only link to files inside it"
                    )
            if entry in names and full.is_file():
                files.append(relative)
    return sorted(files)


def _read_text(folder: Path, relative: str) -> str:
    """A file inside `folder` as text: regular, at most MAX_FILE_BYTES, UTF-8, not binary."""
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder):
        raise InvalidSkillError(f"{relative!r} is outside the folder")
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise InvalidSkillError(f"{relative!r} is not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        raise InvalidSkillError(
            f"{relative!r} is {info.st_size:,} bytes; a skill's files may be at most "
            f"{MAX_FILE_BYTES:,} bytes each"
        )
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as file:
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidSkillError(f"{relative!r} is over {MAX_FILE_BYTES:,} bytes")
    if b"\x00" in data:
        raise InvalidSkillError(f"{relative!r} is binary (it holds NUL bytes); it must be text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSkillError(
            f"{relative!r} is not UTF-8 text (byte {exc.start} is not valid UTF-8); save it as "
            "UTF-8"
        ) from None


def _defines_run(folder: Path, relative: str) -> bool:
    source = _read_text(folder, relative).removeprefix("\ufeff")
    try:
        tree = ast.parse(source, filename=relative)
    except SyntaxError as exc:
        raise InvalidSkillError(
            f"{relative!r} has a syntax error on line {exc.lineno}: {exc.msg}; a Python file "
            "in a skill folder must parse, since any one may be its entry point"
        ) from None
    except (RecursionError, MemoryError):
        raise InvalidSkillError(f"{relative!r} is nested too deeply to parse") from None
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "run"
        for node in tree.body
    )


def _entry_point(
    folder: Path, files: list[str], frontmatter: Mapping[str, Any], name: str, kebab: str
) -> str | None:
    """The `.py` file that is the skill's source, or None: the folder is instructions."""
    named = (frontmatter.get("metadata") or {}).get(ENTRY_POINT_KEY)
    if named is not None:
        relative = PurePosixPath(named)
        if (
            relative.is_absolute()
            or ".." in relative.parts
            or relative.suffix != ".py"
            or relative.as_posix() not in files
        ):
            raise InvalidSkillError(
                f"{SKILL_FILE}: metadata {ENTRY_POINT_KEY!r} is {named!r}; it must name a .py "
                "file in the folder by its relative path, e.g. 'fetch_repo_stars.py'"
            )
        if not _defines_run(folder, relative.as_posix()):
            raise InvalidSkillError(
                f"{named!r}, the entry point the front matter names, defines no top-level "
                "`run`; a skill's code defines def run(...) or async def run(...)"
            )
        return relative.as_posix()
    python = [f for f in files if f.endswith(".py")]
    defining = [f for f in python if _defines_run(folder, f)]
    for preferred in (f"{name}.py", f"scripts/{name}.py", f"{kebab}.py", f"scripts/{kebab}.py"):
        if preferred in defining:
            return preferred
    if len(defining) > 1:
        raise InvalidSkillError(
            f"{len(defining)} Python files define a top-level `run` ({', '.join(defining)}): "
            f"name the entry point {name}.py, or add metadata {ENTRY_POINT_KEY}: <path> to "
            "the front matter"
        )
    return defining[0] if defining else None


def skill_folders(root: Path) -> list[Path]:
    """The skill folders `root` holds: itself if it has a SKILL.md, else its subfolders.

    Hidden subfolders are skipped; every other one is expected to be a skill (one that is
    not fails when it is read).

    Raises:
        UsageError: `root` is not a folder, or holds no SKILL.md and no subfolders.
    """
    if not root.is_dir():
        raise UsageError(f"{str(root)!r} is not a folder; name a skill folder or a folder of them")
    if (root / SKILL_FILE).exists():
        return [root]
    found = sorted(p for p in root.iterdir() if not p.name.startswith(".") and _is_folder(p))
    if not found:
        raise UsageError(
            f"{str(root)!r} holds no {SKILL_FILE} and no skill folders; name a folder with a "
            f"{SKILL_FILE}, or a folder of such folders"
        )
    return found


def _is_folder(path: Path) -> bool:
    return path.is_symlink() or path.is_dir()


def read_folders(root: Path) -> Iterator[tuple[Path, ImportedSkill | InputError | OSError]]:
    """Each skill folder `skill_folders(root)` finds, with its skill or why it was refused.

    Raises:
        UsageError: As `skill_folders`.
    """
    for folder in skill_folders(root):
        if folder != root and folder.is_symlink():
            yield (
                folder,
                InvalidSkillError(
                    "it is a symbolic link; import the folder it points to by its own path"
                ),
            )
            continue
        try:
            yield folder, read_folder(folder)
        except (InputError, OSError) as exc:
            yield folder, exc
