"""Running a CLI tool: arguments checked and rendered to argv, then one bounded process.

Two steps, kept apart so that nothing runs unless every argument fits the schema:

1. `bind` checks the call's arguments against the tool's schema and renders the argv list
   and the stdin bytes. Every problem is a `ToolArgumentError`.
2. `run` starts the command without a shell (so `; rm -rf /` is one literal argument),
   feeds stdin or closes it, captures bounded output and enforces the timeout. A command
   that fails is a `ToolFailedError`.

The command runs through `py_code_mode._process.Command`, in its own process group, so a
timeout or a cancelled call kills everything it started, not only the direct child.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from py_code_mode._process import Bounded, Command, describe_exit
from py_code_mode._tools._hostvars import redact, resolve
from py_code_mode._tools.base import unknown_callable
from py_code_mode._tools.definition import (
    INPUT_ARGUMENT,
    CLIToolDefinition,
    Parameter,
    Recipe,
    describe,
    short_repr,
    value_problem,
)
from py_code_mode.errors import ToolArgumentError, ToolFailedError, UsageError

__all__ = [
    "CLITool",
    "Invocation",
    "MAX_ERROR_CHARS",
    "MAX_STDOUT_BYTES",
    "bind",
    "run",
]

MAX_STDOUT_BYTES = 8 * 1024 * 1024
"""Stdout kept per call; the rest is read and dropped so a runaway command cannot fill memory."""

MAX_ERROR_CHARS = 4000
"""Characters of a failed command's stderr (its end, where errors are) shown in the error."""

_STDERR_BYTES = 64 * 1024


@dataclass(frozen=True)
class Invocation:
    """One checked call, ready to run.

    Attributes:
        argv: The command and its arguments, each one argv item.
        stdin: Bytes for the command's stdin, or None to give it an empty, closed stdin.
    """

    argv: tuple[str, ...]
    stdin: bytes | None


# --- binding ---------------------------------------------------------------------------


def bind(tool: CLIToolDefinition, recipe: Recipe | None, args: Mapping[str, Any]) -> Invocation:
    """Check a call's arguments and render the command line.

    The arguments are validated once, by the recipe's model
    (`CLIToolDefinition.arguments_model`). Values are merged in this order, later winning:
    the recipe's preset, the defaults of recipe params that the preset leaves out, the
    call's arguments. A None argument counts as absent. `input` is never rendered: it
    becomes the command's stdin.

    Args:
        tool: The tool being called.
        recipe: The recipe, or None to call the raw schema.
        args: The keyword arguments agent code passed.

    Returns:
        The argv and stdin to run.

    Raises:
        ToolArgumentError: An argument is unknown, has the wrong type, or a required one is
            missing; nothing was run.
    """
    where = f"{tool.name}.{recipe.name}" if recipe is not None else tool.name
    if not isinstance(args, Mapping):
        raise ToolArgumentError(
            f"{where}() takes keyword arguments as a mapping, got {type(args).__name__}"
        )
    given = {key: value for key, value in args.items() if value is not None}
    try:
        checked = tool.arguments_model(recipe).model_validate(given)
    except ValidationError as exc:
        raise ToolArgumentError(_rejected(where, tool, given, exc)) from None
    values = {key: value for key, value in checked.__dict__.items() if value is not None}
    stdin: bytes | None = values.pop(INPUT_ARGUMENT, None)
    merged = {**(recipe.given() if recipe is not None else {}), **values}
    argv = (*tool.command, *_render(where, tool, recipe, merged, values))
    return Invocation(argv=argv, stdin=stdin)


def _rejected(
    where: str, tool: CLIToolDefinition, given: Mapping[Any, Any], exc: ValidationError
) -> str:
    """What was wrong with a call, argument by argument, in the tool's own terms."""
    unknown: list[Any] = []
    missing: list[str] = []
    problems: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        name = error["loc"][0] if error["loc"] else None
        if error["type"] == "extra_forbidden":
            unknown.append(name)
        elif error["type"] == "missing":
            missing.append(str(name))
        elif isinstance(name, str) and name not in problems:
            parameter = tool.parameter(name)
            if parameter is None:  # `input`: its validator says what is wrong
                problems[name] = error["msg"].removeprefix("Value error, ")
            else:
                problem = value_problem(parameter.type, given[name], parameter.pattern)
                problems[name] = problem or error["msg"]
    parts = []
    if unknown:
        parts.append(
            f"{where}() got unexpected argument(s) {', '.join(short_repr(k) for k in unknown)}; "
            f"allowed are {', '.join(tool.parameter_names())}"
        )
    if missing:
        parts.append(
            f"{where}() is missing required argument(s) {', '.join(repr(m) for m in missing)}"
        )
    parts += [f"{where}() argument {name!r} {problem}" for name, problem in problems.items()]
    return "; ".join(parts)


def _render(
    where: str,
    tool: CLIToolDefinition,
    recipe: Recipe | None,
    merged: Mapping[str, Any],
    called: Mapping[str, Any],
) -> list[str]:
    """The arguments after `command`: global options, the subcommand, options, positionals."""
    options = [option for option in tool.options if option.global_]
    argv = _render_options(options, merged)
    argv += recipe.subcommand if recipe is not None else ()
    argv += _render_options([option for option in tool.options if not option.global_], merged)
    return argv + _render_positionals(where, tool, merged, called)


def _render_options(options: list[Parameter], merged: Mapping[str, Any]) -> list[str]:
    argv: list[str] = []
    for option in options:
        value = merged.get(option.name)
        if value is None or value is False or option.flag is None:
            continue
        if value is True:
            argv.append(option.flag)
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            if not option.joined:
                argv += [option.flag, str(item)]
            elif option.flag.startswith("--"):
                argv.append(f"{option.flag}={item}")
            else:
                argv.append(f"{option.flag}{item}")
    return argv


def _render_positionals(
    where: str, tool: CLIToolDefinition, merged: Mapping[str, Any], called: Mapping[str, Any]
) -> list[str]:
    argv: list[str] = []
    gap: str | None = None
    for positional in tool.positionals:
        value = merged.get(positional.name)
        if value is None:
            gap = gap or positional.name
            continue
        if gap is not None:
            raise ToolArgumentError(
                f"{where}() got positional {positional.name!r} without {gap!r} before it; "
                f"give {gap!r} too, or the command would read {positional.name!r} in its place"
            )
        items = value if isinstance(value, list | tuple) else [value]
        if positional.name in called:
            for item in items:
                _not_an_option(where, positional, item)
        argv += [str(item) for item in items]
    return argv


def _not_an_option(where: str, positional: Parameter, value: Any) -> None:
    if isinstance(value, str) and value.startswith("-"):
        # Not a shell problem but an argv one: the command would parse it as an option,
        # and options outside the schema (curl -o, -K) must stay out of the agent's reach.
        raise ToolArgumentError(
            f"{where}() argument {positional.name!r} is {short_repr(value)}, which starts with "
            "'-' and would be read as an option; options must be declared in the tool's schema"
        )


# --- running ---------------------------------------------------------------------------


async def run(tool: CLIToolDefinition, invocation: Invocation, *, cwd: Path | None = None) -> str:
    """Run one checked invocation of `tool` and return its stdout.

    A tool call is the most frequent thing agent code does, so it costs as little as a
    bare `subprocess.run` allows. The command is spawned with `subprocess.Popen` on the
    loop's thread (as asyncio's own subprocess support does), its pipes are read by loop
    callbacks and its exit is seen through a pidfd: no thread hop, no child watcher
    (measured on `echo`, asyncio's watcher and pipe transports add ~0.4 ms to a bare spawn,
    and every hop between threads ~0.05 ms). Where pidfds are missing (not Linux, or a
    sandbox that forbids them), the pipes are read and the process awaited on a worker
    thread instead.

    Args:
        tool: The tool, for its name, source and timeout.
        invocation: What `bind` returned.
        cwd: The working directory of the command; None for the host's.

    Returns:
        Stdout decoded as UTF-8 (undecodable bytes replaced), untrimmed. Output beyond
        `MAX_STDOUT_BYTES` is dropped and a note at the end says so.

    Raises:
        ToolFailedError: The executable is missing, the command exited non-zero or was
            killed by a signal, or it ran past the tool's timeout (it was killed).
        UsageError: `cwd` is not a directory.
    """
    if cwd is not None and not cwd.is_dir():
        raise UsageError(f"Tool {tool.name!r} cannot run in {str(cwd)!r}: not a directory")
    env, secrets = environment(tool)
    stdout, stderr = Bounded(head=MAX_STDOUT_BYTES), Bounded(tail=_STDERR_BYTES)
    command = Command(
        invocation.argv,
        stdout=stdout,
        stderr=stderr,
        stdin=invocation.stdin,
        cwd=cwd,
        env=env,
        timeout=tool.timeout,
    )
    try:
        finished = await command.run()
    except OSError as exc:
        raise ToolFailedError(_not_started(tool, invocation.argv[0], exc)) from exc
    if not finished:
        raise ToolFailedError(
            f"Tool {tool.name!r} timeout: timed out after {tool.timeout:g}s and was killed; "
            f"raise `timeout` in {tool.source} if it needs longer"
        )
    if command.returncode != 0:
        raise ToolFailedError(redact(_failure(tool, command.returncode, stderr, stdout), secrets))
    text = stdout.head.decode("utf-8", errors="replace")
    if stdout.dropped:
        text += (
            f"\n[py-code-mode: output truncated: the command wrote {stdout.total} bytes, "
            f"only the first {len(stdout.head)} are shown]"
        )
    return redact(text, secrets)


BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE")
"""Host variables every command gets: enough to find programs, a home and a locale."""


def environment(tool: CLIToolDefinition) -> tuple[dict[str, str], list[str]]:
    """The whole environment of one call, and the host values in it that must not show.

    Never the host's whole environment: `BASE_ENV` from the host, then the definition's
    `env`, whose ``${NAME}`` are the host's variables, resolved here, on the host, at each
    call (so a rotated token is picked up).

    Raises:
        ToolFailedError: A variable the definition names is not set on the host.
    """
    env = {name: os.environ[name] for name in BASE_ENV if name in os.environ}
    env.setdefault("PATH", os.defpath)
    resolved = resolve(tool.env, tool=tool.name, source=tool.source, key="env")
    return {**env, **resolved}, resolved.secrets


def _not_started(tool: CLIToolDefinition, executable: str, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        where = "does not exist" if os.sep in executable else "was not found on PATH"
        return (
            f"Tool {tool.name!r} could not start: executable {executable!r} {where}; "
            f"install it or fix `command` in {tool.source}"
        )
    if isinstance(exc, PermissionError):
        return (
            f"Tool {tool.name!r} could not start: {executable!r} is not executable "
            f"(permission denied); fix `command` in {tool.source}"
        )
    return f"Tool {tool.name!r} could not start {executable!r}: {exc.strerror or exc}"


def _failure(tool: CLIToolDefinition, code: int | None, stderr: Bounded, stdout: Bounded) -> str:
    detail = stderr.tail.decode("utf-8", errors="replace").strip()
    if not detail:
        # Some commands report errors on stdout; better that than nothing.
        detail = stdout.head[-_STDERR_BYTES:].decode("utf-8", errors="replace").strip()
    if len(detail) > MAX_ERROR_CHARS:
        detail = "..." + detail[-MAX_ERROR_CHARS:]
    return f"Tool {tool.name!r} failed ({describe_exit(code)}): {detail or '(no output)'}"


# --- the tool --------------------------------------------------------------------------


class CLITool:
    """A CLI definition as a `Tool`: its recipes are its callables, run in `cwd`.

    Args:
        definition: The checked definition.
        cwd: Where commands run; None for the host process's directory.
    """

    def __init__(self, definition: CLIToolDefinition, cwd: Path | None = None) -> None:
        self.definition = definition
        self._cwd = cwd

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def source(self) -> str:
        return self.definition.source

    @property
    def description(self) -> str:
        return self.definition.description

    def __repr__(self) -> str:
        return f"<CLI tool {self.name} from {self.source}>"

    async def describe(self, *, schemas: bool = False) -> dict[str, Any]:
        described = describe(self.definition, schemas=schemas)
        if schemas:
            for entry in described["callables"]:
                entry["returns"] = "str"  # what the command printed
        return described

    async def call(self, function: str | None, args: Mapping[str, Any]) -> str:
        """Run a recipe: without one, the recipe named like the tool, else the raw schema.

        The keyword `input` is the command's stdin (str, bytes or JSON data).
        """
        recipe = self._recipe(function)
        return await run(self.definition, bind(self.definition, recipe, args), cwd=self._cwd)

    async def aclose(self) -> None:
        """Nothing stays open between calls."""

    def _recipe(self, name: Any) -> Recipe | None:
        recipes = self.definition.recipes
        if name is None:
            return recipes.get(self.name)
        recipe = recipes.get(name) if isinstance(name, str) else None
        if recipe is None:
            raise unknown_callable(self.name, name, list(recipes), kind="recipe")
        return recipe
