"""`py-code-mode store`: move a library between a workspace directory, Redis and a zip file.

Every verb reads and writes through `FileStorage` and `RedisStorage` (see `_library`), so
what `bootstrap` writes is exactly what a `Session` on that Redis reads; `import-skills`
saves through `SkillLibrary.create`, so each skill is validated and recorded as a version.
Exit status: 0 on success (`diff`: no differences), 1 when `diff` finds differences or
some skills of `export-skills`/`import-skills` failed (the others are done), 2 on any
error (a bad URL, an unreachable server, a damaged archive, items that differ without
``--force``); an error is one line on stderr, with any password in a URL replaced by
``***``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from py_code_mode._cli._archive import read_archive, write_archive
from py_code_mode._cli._library import (
    KINDS,
    SINGULAR,
    Kind,
    Library,
    apply,
    compare,
    count,
    plan_copy,
    read_library,
)
from py_code_mode._cli._progress import Progress
from py_code_mode._skills.agent_skills import (
    ImportedSkill,
    SkillFolder,
    export_skill,
    read_folders,
    write_folder,
)
from py_code_mode._skills.library import SkillLibrary
from py_code_mode._skills.model import Skill
from py_code_mode._storage.base import Storage
from py_code_mode._storage.file import FileStorage
from py_code_mode._storage.redis_keys import DEFAULT_PREFIX
from py_code_mode.errors import CodeModeError, InputError, UsageError

_ERRORS = (CodeModeError, ValueError, OSError)
"""What a store command reports as one line and exit status 2; anything else is a bug."""

_DESCRIPTION = """\
Move a library (skills, artifacts, deps, tools) between a workspace directory, a Redis
prefix and a zip archive. Everything is read and written through FileStorage and
RedisStorage, so a Session on the target reads exactly what was written.

  bootstrap DIR --redis URL   push a workspace directory into Redis
  pull DIR --redis URL        pull Redis into a workspace directory
  diff DIR --redis URL        compare: + only in Redis, - only in DIR, ~ differs, = same
  list                        show what a store holds
  export FILE                 write a whole library to one zip file
  import FILE                 read a zip file into a directory or Redis
  export-skills DIR           write skills as Agent Skills folders (DIR/<name>/SKILL.md)
  import-skills DIR           read Agent Skills folders into a directory or Redis
"""

_EPILOG = """\
Items that differ are never overwritten without --force, and items only the target has
are removed only with --clear. Exit status: 0 done (diff: identical), 1 diff found
differences or some skills of export-skills/import-skills failed (the rest are done),
2 error.
"""

Action = Callable[[argparse.Namespace, "_Context"], Awaitable[int]]


# --- the command line ----------------------------------------------------------------------


def add_parser(commands: Any) -> None:
    """Register the sub-command and its verbs."""
    parser = commands.add_parser(
        "store",
        help="move a library between a directory, Redis and a zip archive",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    bootstrap = _verb(verbs, "bootstrap", "push a workspace directory into Redis", _bootstrap)
    _directory(bootstrap, "--source", "the workspace directory to push")
    _redis(bootstrap, required=True)
    _writing(bootstrap, "Redis")

    pull = _verb(verbs, "pull", "pull a Redis library into a workspace directory", _pull)
    _directory(pull, "--dest", "the workspace directory to write (created if missing)")
    _redis(pull, required=True)
    _writing(pull, "DIR")

    diff = _verb(verbs, "diff", "compare a workspace directory with Redis", _diff)
    _directory(diff, "--source", "the workspace directory")
    _redis(diff, required=True)
    _kinds(diff)
    diff.add_argument("--json", action="store_true", help="print the changes as JSON")
    _progress(diff)

    listing = _verb(verbs, "list", "show what a directory or a Redis prefix holds", _list)
    _location(listing)
    _kinds(listing)
    listing.add_argument("--json", action="store_true", help="print the listing as JSON")
    _progress(listing)

    export = _verb(verbs, "export", "write a whole library to one zip file", _export)
    export.add_argument("file", metavar="FILE", help="the archive to write, e.g. library.zip")
    _location(export)
    _kinds(export)
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    _progress(export)

    imported = _verb(verbs, "import", "read a zip file into a directory or Redis", _import)
    imported.add_argument("file", metavar="FILE", help="an archive written by export")
    _location(imported)
    _writing(imported, "the target")

    export_skills = _verb(
        verbs,
        "export-skills",
        "write skills as Agent Skills folders: DIR/<name>/SKILL.md and the code",
        _export_skills,
    )
    export_skills.add_argument(
        "skills_dir", metavar="DIR", help="the folder to write the skill folders into"
    )
    _location(export_skills)
    export_skills.add_argument(
        "--skill",
        dest="skills",
        action="append",
        metavar="NAME",
        help="only this skill, repeatable (default: every skill)",
    )
    export_skills.add_argument(
        "--force", action="store_true", help="replace skill folders that exist in DIR"
    )
    _skill_folders(export_skills)

    import_skills = _verb(
        verbs,
        "import-skills",
        "read Agent Skills folders (DIR/SKILL.md, or DIR/*/SKILL.md) into a directory or Redis",
        _import_skills,
    )
    import_skills.add_argument(
        "skills_dir", metavar="DIR", help="a skill folder, or a folder of skill folders"
    )
    _location(import_skills)
    import_skills.add_argument(
        "--force",
        action="store_true",
        help="replace skills that differ in the target (their old versions stay in history)",
    )
    _skill_folders(import_skills)


def _verb(verbs: Any, name: str, summary: str, action: Action) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = verbs.add_parser(name, help=summary, description=summary)
    parser.set_defaults(handler=handle, action=action, parser=parser)
    return parser


def _directory(parser: argparse.ArgumentParser, alias: str, what: str) -> None:
    parser.add_argument("dir", nargs="?", metavar="DIR", help=what)
    parser.add_argument(alias, dest="dir_option", metavar="DIR", help="the same as DIR")


def _redis(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--redis",
        "--target",
        dest="redis",
        metavar="URL",
        required=required,
        help="redis://[user:password@]host:port/db (or rediss://, unix://)",
    )
    _redis_options(parser)


def _redis_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prefix",
        default=DEFAULT_PREFIX,
        metavar="P",
        help=f"the Redis key prefix of the library (default: {DEFAULT_PREFIX})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds to connect to Redis and to wait for a reply (default: 5)",
    )


def _location(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--base", metavar="DIR", help="a workspace directory")
    where.add_argument(
        "--redis", "--target", dest="redis", metavar="URL", help="a Redis server (with --prefix)"
    )
    _redis_options(parser)


def _kinds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--type",
        dest="types",
        action="append",
        choices=KINDS,
        metavar="KIND",
        help=f"only this kind, repeatable: {', '.join(KINDS)} (default: all)",
    )


def _progress(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )


def _skill_folders(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(types=["skills"])
    _progress(parser)


def _writing(parser: argparse.ArgumentParser, target: str) -> None:
    _kinds(parser)
    parser.add_argument(
        "--force", action="store_true", help=f"overwrite items that differ in {target}"
    )
    parser.add_argument("--clear", action="store_true", help=f"remove items only {target} has")
    _progress(parser)


# --- running -------------------------------------------------------------------------------


class _Context:
    """The storages one command opened: closed at the end, their passwords kept out of errors."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._opened: list[Storage] = []
        self._redactors: list[Callable[[str], str]] = []
        self.kinds: tuple[Kind, ...] = tuple(k for k in KINDS if k in (args.types or KINDS))
        enabled = args.progress
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.progress = Progress(
            sys.stderr if enabled else None, live=enabled and sys.stderr.isatty()
        )

    async def run(self, action: Action) -> int:
        try:
            return await action(self.args, self)
        finally:
            for store in self._opened:
                await store.close()

    def redact(self, text: str) -> str:
        for redact in self._redactors:
            text = redact(text)
        return text

    def redis(self) -> Storage:
        """The RedisStorage that --redis and --prefix name."""
        try:
            from py_code_mode._storage.redis import RedisStorage  # the optional [redis] extra
        except ImportError as exc:
            raise UsageError(str(exc)) from exc
        args = self.args
        storage = RedisStorage(args.redis, prefix=args.prefix, timeout=args.timeout)
        self._redactors.append(storage.redact)
        self._opened.append(storage)
        return storage

    def directory(self, path: str, *, must_exist: bool) -> FileStorage:
        """The FileStorage on a workspace directory."""
        if must_exist and not Path(path).is_dir():
            raise UsageError(f"{path!r} is not a directory; name an existing workspace")
        storage = FileStorage(path)
        self._opened.append(storage)
        return storage

    def location(self, *, must_exist: bool) -> Storage:
        """The store --base or --redis names."""
        if self.args.base is not None:
            return self.directory(self.args.base, must_exist=must_exist)
        return self.redis()


def handle(args: argparse.Namespace) -> int:
    """Run one verb; an expected failure is one line on stderr and exit status 2."""
    if "dir" in args:
        args.dir = _one_directory(args)
    context = _Context(args)
    try:
        return asyncio.run(context.run(args.action))
    except BrokenPipeError:
        raise  # the reader went away: the command's entry point ends quietly
    except _ERRORS as exc:
        lines = (line.strip() for line in context.redact(str(exc)).splitlines())
        message = " ".join(line for line in lines if line) or type(exc).__name__
        print(f"py-code-mode store {args.verb}: error: {message}", file=sys.stderr)
        return 2


def _one_directory(args: argparse.Namespace) -> str:
    given: set[str] = {value for value in (args.dir, args.dir_option) if value is not None}
    if len(given) != 1:
        problem = "DIR is required" if not given else "DIR is given twice, differently"
        args.parser.error(problem)
    return given.pop()


def _where(store: Storage) -> str:
    return str(store.base_path) if isinstance(store, FileStorage) else repr(store)


# --- the verbs -----------------------------------------------------------------------------


async def _copy(source: Library, target: Storage, context: _Context, *, verb: str) -> int:
    args = context.args
    current = await read_library(target, context.kinds, context.progress)
    plan = plan_copy(source, current, context.kinds, clear=args.clear, force=args.force)
    if plan.conflicts:
        shown = ", ".join(f"{SINGULAR[c.kind]} {c.name}" for c in plan.conflicts[:10])
        more = f" and {len(plan.conflicts) - 10} more" if len(plan.conflicts) > 10 else ""
        raise UsageError(
            f"refusing to overwrite what differs in {_where(target)}: {shown}{more}; nothing "
            "was written. See it with `py-code-mode store diff`, or add --force to overwrite it"
        )
    await apply(plan, source, target, verb=verb, progress=context.progress)
    kept = f"; {plan.kept} only there kept (--clear removes them)" if plan.kept else ""
    print(
        f"{verb} into {_where(target)}: wrote {count(plan.writes)}, removed "
        f"{count(plan.deletes)}, {plan.unchanged} unchanged{kept}"
    )
    return 0


async def _bootstrap(args: argparse.Namespace, context: _Context) -> int:
    source = context.directory(args.dir, must_exist=True)
    target = context.redis()
    library = await read_library(source, context.kinds, context.progress)
    return await _copy(library, target, context, verb="pushed")


async def _pull(args: argparse.Namespace, context: _Context) -> int:
    source = context.redis()
    target = context.directory(args.dir, must_exist=False)
    library = await read_library(source, context.kinds, context.progress)
    return await _copy(library, target, context, verb="pulled")


async def _import(args: argparse.Namespace, context: _Context) -> int:
    library = read_archive(Path(args.file)).only(context.kinds)
    target = context.location(must_exist=False)
    return await _copy(library, target, context, verb="imported")


async def _export(args: argparse.Namespace, context: _Context) -> int:
    source = context.location(must_exist=True)
    library = await read_library(source, context.kinds, context.progress)
    write_archive(Path(args.file), library, force=args.force, progress=context.progress)
    totals = [
        f"{len(library.items(k))} {SINGULAR[k] if len(library.items(k)) == 1 else k}"
        for k in context.kinds
    ]
    print(f"exported {_where(source)} to {args.file}: {', '.join(totals)}")
    return 0


def _failed(verb: str, where: object, exc: BaseException | str) -> None:
    """One skill (or folder) that failed, one line on stderr; the others go on."""
    lines = (line.strip() for line in str(exc).splitlines())
    message = " ".join(line for line in lines if line) or type(exc).__name__
    print(f"py-code-mode store {verb}: error: {where}: {message}", file=sys.stderr)


async def _export_skills(args: argparse.Namespace, context: _Context) -> int:
    source = context.location(must_exist=True)
    library = SkillLibrary(source)
    stored = {skill.name for skill in await source.list_skills()}
    wanted = sorted(stored if args.skills is None else set(args.skills))
    unknown = [name for name in wanted if name not in stored]
    if unknown:
        shown = ", ".join(sorted(stored)[:20]) or "none"
        raise UsageError(
            f"{_where(source)} has no skill {', '.join(map(repr, unknown))}; it has: {shown}"
        )
    folders: list[SkillFolder] = []
    failed = 0
    for name in wanted:
        try:
            details = await library.get(name)
            if details is None:  # a hand-edited file that no longer parses
                raise await _unusable(source, name)
            folders.append(export_skill(details))
        except InputError as exc:
            failed += 1
            _failed(args.verb, f"skill {name!r}", exc)
    parent = Path(args.skills_dir)
    existing = [f.name for f in folders if (parent / f.name).exists()]
    if existing and not args.force:
        raise UsageError(
            f"refusing to replace skill folders that exist in {str(parent)!r}: "
            f"{', '.join(existing[:10])}{' and more' if len(existing) > 10 else ''}; nothing "
            "was written. Add --force to replace them"
        )
    for done, folder in enumerate(folders, 1):
        write_folder(folder, parent, force=args.force)
        context.progress.update("exported", "skills", done, len(folders))
    noun = "skill" if len(folders) == 1 else "skills"
    failures = f"; {failed} failed (see above)" if failed else ""
    print(f"exported {len(folders)} {noun} from {_where(source)} to {parent}{failures}")
    return 1 if failed else 0


async def _unusable(store: Storage, name: str) -> InputError:
    """Why the stored skill `name` is not a usable skill."""
    stored = await store.get_skill(name)
    if stored is None:
        return InputError("it was deleted while the skills were exported")
    try:
        Skill.from_source(name, stored.source, stored.description)
    except InputError as exc:
        return exc
    return InputError("it is not a usable skill")


async def _import_skills(args: argparse.Namespace, context: _Context) -> int:
    read = list(read_folders(Path(args.skills_dir)))  # refuses a DIR that holds no skills
    target = context.location(must_exist=False)
    library = SkillLibrary(target)
    written = unchanged = failed = 0
    for done, (folder, skill) in enumerate(read, 1):
        context.progress.update("read", "skill folders", done, len(read))
        if not isinstance(skill, ImportedSkill):
            failed += 1
            _failed(args.verb, folder, skill)
            continue
        current = await target.get_skill(skill.name)
        if current is not None and (current.source, (current.description or "").strip()) == (
            skill.source,
            skill.description,
        ):
            unchanged += 1
            continue
        if current is not None and not args.force:
            failed += 1
            _failed(
                args.verb,
                folder,
                f"skill {skill.name!r} exists in {_where(target)} and differs; add --force to "
                "replace it (its current version stays in its history)",
            )
            continue
        try:
            await library.create(skill.name, skill.source, skill.description)
        except InputError as exc:
            failed += 1
            _failed(args.verb, folder, exc)
            continue
        written += 1
        if skill.ignored:
            print(
                f"py-code-mode store {args.verb}: note: {folder}: skill {skill.name!r} does not "
                f"keep {', '.join(skill.ignored[:10])}"
                f"{' and more' if len(skill.ignored) > 10 else ''}",
                file=sys.stderr,
            )
    failures = f", {failed} failed (see above)" if failed else ""
    print(
        f"imported into {_where(target)}: wrote {written} "
        f"{'skill' if written == 1 else 'skills'}, {unchanged} unchanged{failures}"
    )
    return 1 if failed else 0


async def _diff(args: argparse.Namespace, context: _Context) -> int:
    directory = context.directory(args.dir, must_exist=True)
    redis = context.redis()
    old = await read_library(directory, context.kinds, context.progress)
    new = await read_library(redis, context.kinds, context.progress)
    changes = compare(old, new, context.kinds)
    if args.json:
        print(json.dumps([c.to_dict() for c in changes], indent=2))
    else:
        for change in changes:
            print(change)
    return 0 if all(c.mark == "=" for c in changes) else 1


async def _list(args: argparse.Namespace, context: _Context) -> int:
    store = context.location(must_exist=True)
    library = await read_library(store, context.kinds, context.progress)
    listing = _listing(library, context.kinds)
    if args.json:
        print(json.dumps({"store": _where(store), **listing}, indent=2, ensure_ascii=False))
    else:
        print(_where(store))
        for kind in context.kinds:
            print(_render(kind, listing[kind]))
    return 0


# --- listing -------------------------------------------------------------------------------


def _skill_entry(name: str, source: str, description: str | None) -> dict[str, Any]:
    try:
        derived: str | None = Skill.from_source(name, source, description).description
        error = None
    except InputError as exc:
        derived, error = None, str(exc)
    return {"name": name, "description": derived, "explicit": bool(description), "error": error}


def _listing(library: Library, kinds: Sequence[Kind]) -> dict[str, list[Any]]:
    listing: dict[str, list[Any]] = {}
    if "skills" in kinds:
        listing["skills"] = [
            _skill_entry(s.name, s.source, s.description) for s in library.skills.values()
        ]
    if "artifacts" in kinds:
        listing["artifacts"] = [a.info.to_dict() for a in library.artifacts.values()]
    if "deps" in kinds:
        listing["deps"] = [library.deps[name] for name in sorted(library.deps)]
    if "tools" in kinds:
        listing["tools"] = [
            {"name": name, "description": str(data.get("description") or "")}
            for name, data in sorted(library.tools.items())
        ]
    return listing


def _rows(kind: Kind, entries: list[Any]) -> list[tuple[str, str]]:
    if kind == "deps":
        return [(line, "") for line in entries]
    if kind == "skills":
        return [(e["name"], e["description"] or f"(unusable: {e['error']})") for e in entries]
    if kind == "tools":
        return [(e["name"], e["description"]) for e in entries]
    rows = []
    for e in entries:
        details = f"{e['type']:<5} {e['size']:>10,} bytes"
        if e["expires_at"]:
            details += f"  expires {e['expires_at']}"
        if e["description"]:
            details += f"  {e['description']}"
        rows.append((e["name"], details))
    return rows


def _render(kind: Kind, entries: list[Any]) -> str:
    rows = _rows(kind, entries)
    lines = [f"{kind} ({len(rows)})"]
    width = max((len(name) for name, _ in rows), default=0)
    lines += [f"  {name:<{width}}  {details}".rstrip() for name, details in rows]
    if not rows:
        lines.append("  (none)")
    return "\n".join(lines)
