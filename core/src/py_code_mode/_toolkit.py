"""The agent-facing catalogue: each tool a model may call, described once for every adapter.

AutoGen, LangChain, LlamaIndex and the MCP server all translate this one list into their
own tool objects; none of them writes a description, an argument schema or a handler of
its own. A tool here is a name, a description written for a model, a pydantic model of its
arguments and an async handler bound to a Session (`AgentTool`). Calling it never raises
for what the model did wrong: bad arguments, a missing skill, a failing run all come back
as a `ToolOutput` with `is_error=True` and a message that says what to do instead.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from py_code_mode._execution.base import OutputCallback
from py_code_mode._operations import Operation, operations, rejection
from py_code_mode._portal import SessionPortal
from py_code_mode._result import ExecutionResult
from py_code_mode._session import Session
from py_code_mode._tools.stubs import tool_line
from py_code_mode.errors import CodeModeError, InputError

__all__ = [
    "TOOL_NAMES",
    "AgentTool",
    "Toolkit",
    "ToolkitOptions",
    "ToolOutput",
    "cut",
]

_AGENT_OPERATIONS: tuple[Operation[Any, Any, Any], ...] = tuple(
    op for op in operations() if op.agent
)
"""The operations of the table that are agent tools too, named like the facade method."""

TOOL_NAMES = ("run_code", *(op.facade for op in _AGENT_OPERATIONS))
"""Every agent-facing tool, in the order adapters present them."""

_SKILL_WRITES = frozenset(
    op.facade for op in _AGENT_OPERATIONS if op.namespace == "skills" and not op.read_only
)
_DEPS_WRITES = frozenset(
    op.facade for op in _AGENT_OPERATIONS if op.namespace == "deps" and not op.read_only
)


# --- arguments ---------------------------------------------------------------------------


class RunCodeArgs(BaseModel):
    """Arguments of `run_code`."""

    # Unknown arguments are errors: a model that misspells one must hear about it.
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Python source to run; the last expression is the result.")
    timeout: float | None = Field(
        default=None,
        gt=0,
        description="Seconds before the run is interrupted; omit for the session's default.",
    )


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolOutput:
    """What a tool call gives back to the model.

    `text` is what the model reads; `data` is the same result as plain data for adapters
    with a structured channel (None for run_code, whose text is the result).
    """

    text: str
    is_error: bool = False
    data: Any = None


def cut(text: str, limit: int, what: str = "output") -> str:
    """`text` if it fits in `limit` characters, else its head and tail with a note between.

    The note says how much was cut so the model knows the output is incomplete and can
    ask for less (or save the full data with `artifacts.save`).
    """
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    omitted = len(text) - head - tail
    note = (
        f"\n... [{omitted:,} of {len(text):,} characters of {what} cut; print less, or "
        "save large results with artifacts.save] ...\n"
    )
    return text[:head] + note + text[len(text) - tail :]


# --- options -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolkitOptions:
    """Which tools the model gets and how much text they may return.

    Args:
        include: The tool names to offer (default: all of `TOOL_NAMES`); the flags below
            remove more.
        run_code: Offer `run_code`. Code can do anything the session can, writes included.
        skill_writes: Offer `create_skill` and `delete_skill`.
        deps_writes: Offer `add_dep` and `remove_dep`; None follows the session's
            `allow_runtime_deps`.
        max_output_chars: The most characters of each part of a result (value, stdout,
            stderr, a listing) before the middle is cut with a note.
        max_code_chars: The longest `code` accepted by `run_code`.
        description_chars: The longest `run_code` description: the fixed text plus as much
            of the tool and skill listing as fits, so the model can write code without a
            discovery call. 1024 is the limit OpenAI-style function calling enforces.
        persistent: Whether variables outlive a `run_code` call. False tells the model that
            each call starts from a fresh session (a server for sessionless clients), so it
            keeps what must last in artifacts instead.
    """

    include: Collection[str] | None = None
    run_code: bool = True
    skill_writes: bool = True
    deps_writes: bool | None = None
    max_output_chars: int = 20_000
    max_code_chars: int = 200_000
    description_chars: int = 1024
    persistent: bool = True

    def __post_init__(self) -> None:
        if self.include is not None:
            if isinstance(self.include, str):
                raise TypeError("include must be a collection of tool names, not one string")
            unknown = sorted(set(self.include) - set(TOOL_NAMES))
            if unknown:
                raise ValueError(
                    f"unknown tool names in include: {', '.join(unknown)}; "
                    f"known: {', '.join(TOOL_NAMES)}"
                )
        for name in ("max_output_chars", "max_code_chars"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 100:
                raise ValueError(f"{name} must be an integer of at least 100, got {value!r}")
        if not isinstance(self.persistent, bool):
            raise TypeError(f"persistent must be True or False, got {self.persistent!r}")
        value, fixed = self.description_chars, len(self.run_code_intro)
        if isinstance(value, bool) or not isinstance(value, int) or value < fixed:
            raise ValueError(
                f"description_chars must be an integer of at least {fixed} "
                f"(the fixed part of run_code's description), got {value!r}"
            )

    @property
    def run_code_intro(self) -> str:
        """The fixed part of `run_code`'s description under these options."""
        return _RUN_CODE_INTRO[self.persistent]

    @classmethod
    def read_only(cls, **kwargs: Any) -> ToolkitOptions:
        """Only the tools that look: listings, searches and `get_skill`; no code, no writes."""
        return cls(run_code=False, skill_writes=False, deps_writes=False, **kwargs)

    def offered(self, session: Session) -> tuple[str, ...]:
        """The tool names these options offer for `session`, in catalogue order."""
        names = set(TOOL_NAMES if self.include is None else self.include)
        if not self.run_code:
            names.discard("run_code")
        if not self.skill_writes:
            names -= _SKILL_WRITES
        deps_writes = session.allow_runtime_deps if self.deps_writes is None else self.deps_writes
        if not deps_writes:
            names -= _DEPS_WRITES
        return tuple(name for name in TOOL_NAMES if name in names)


# --- the tools ---------------------------------------------------------------------------

_Rows = list[dict[str, Any]]
Handler = Callable[[Any, OutputCallback | None], Awaitable[ToolOutput]]


@dataclass(frozen=True)
class AgentTool:
    """One agent-facing tool: what adapters turn into their framework's tool object."""

    name: str
    description: str
    args_model: type[BaseModel]
    handler: Handler = field(repr=False)
    read_only: bool = False
    """True when the tool changes nothing (listings, searches, reads)."""
    destructive: bool = True
    """For a tool that changes something: whether it may delete or undo what is stored
    (MCP's destructiveHint). Saving a skill keeps its history, so it is not; run_code runs
    any code, so it may be."""

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of the arguments, as function-calling models take it."""
        schema = self.args_model.model_json_schema()
        schema.pop("title", None)
        schema.pop("description", None)
        return schema

    async def call(
        self, arguments: Mapping[str, Any] | None = None, on_output: OutputCallback | None = None
    ) -> ToolOutput:
        """Validate `arguments` and run the tool; failures come back as error outputs."""
        if arguments is not None and not isinstance(arguments, Mapping):
            return ToolOutput(
                f"Invalid arguments for {self.name}: expected an object of named arguments, "
                f"got {type(arguments).__name__}",
                is_error=True,
            )
        try:
            args = self.args_model.model_validate(dict(arguments or {}))
        except ValidationError as exc:
            return ToolOutput(self.explain_invalid_arguments(exc), is_error=True)
        try:
            return await self.handler(args, on_output)
        except CodeModeError as exc:
            return ToolOutput(f"{type(exc).__name__}: {exc}", is_error=True)

    def explain_invalid_arguments(self, exc: ValidationError) -> str:
        """The model's view of arguments `args_model` rejected.

        Adapters whose framework validates before the tool runs (LangChain) use this too,
        so the model reads the same words in every adapter.
        """
        return _explain_invalid_arguments(self.name, exc)


def _explain_invalid_arguments(tool: str, exc: ValidationError) -> str:
    error = rejection(exc, tool)
    if type(error) is InputError:  # no validator named a more precise error
        return str(error)
    return f"{type(error).__name__}: {error}"


def _run_code_intro(persistent: bool) -> str:
    """The fixed part of `run_code`'s description; the namespace methods come from the table."""
    methods: dict[str, list[str]] = {}
    for op in operations():
        if op.code:
            methods.setdefault(op.namespace, []).append(op.name)
    listed = ", ".join(f"{namespace}.{'/'.join(names)}" for namespace, names in methods.items())
    lifetime = (
        "Run Python in a persistent session; returns the last expression's value and what it "
        "printed. Variables persist between calls; top-level await works."
        if persistent
        else "Run Python; returns the last expression's value and what it printed. Each call "
        "runs in a fresh Python session, so variables do not outlive it: keep what must last "
        "in artifacts. Top-level await works."
    )
    return (
        f"{lifetime} Do a whole task in one program. In scope, no import: "
        "tools.<name>.<recipe>(**kw) runs a tool, "
        f"skills.<name>(**kw) a saved skill (its source defines def run); also {listed}. "
        "help(skills.create) shows a method's arguments."
    )


_RUN_CODE_INTRO = {persistent: _run_code_intro(persistent) for persistent in (True, False)}


class Toolkit:
    """The catalogue bound to one Session: the `AgentTool`s adapters translate.

    The `run_code` description lists the session's tools and skills; it is re-read by
    `list()` (adapters call it when their framework asks for tools, once per model turn)
    and by `refresh()`. `stale` says whether the listing has changed since, as the
    storage's revision tells after each call that can write, for adapters that update
    descriptions between listings.
    """

    def __init__(
        self,
        session: Session,
        options: ToolkitOptions | None = None,
        *,
        portal: SessionPortal | None = None,
    ) -> None:
        if not isinstance(session, Session):
            raise TypeError(
                f"Toolkit needs a py_code_mode.Session, got {type(session).__name__}; "
                "e.g. Toolkit(Session.from_base('./data'))"
            )
        if options is not None and not isinstance(options, ToolkitOptions):
            raise TypeError(f"options must be ToolkitOptions, got {type(options).__name__}")
        self._session = session
        self._options = options or ToolkitOptions()
        self._portal = portal or SessionPortal(session)
        self._listing: str | None = None
        self._seen: str | None = None  # the storage's revision when the listing was read
        self._known: str | None = None  # the revision last observed
        self._changes = 0
        self._tools = {tool.name: tool for tool in self._build()}

    @property
    def session(self) -> Session:
        """The session every tool acts on."""
        return self._session

    @property
    def options(self) -> ToolkitOptions:
        """The options the toolkit was built with."""
        return self._options

    @property
    def portal(self) -> SessionPortal:
        """How the tools reach the session from any thread or loop."""
        return self._portal

    @property
    def tools(self) -> builtins.list[AgentTool]:
        """The offered tools as of the last refresh, in catalogue order."""
        return list(self._tools.values())

    def get(self, name: str) -> AgentTool:
        """The tool called `name`.

        Raises:
            KeyError: No such tool is offered; the message lists those that are.
        """
        try:
            return self._tools[name]
        except KeyError:
            raise KeyError(f"Unknown tool: {name}. Available: {', '.join(self._tools)}") from None

    @property
    def stale(self) -> bool:
        """Whether the `run_code` listing is out of date, until the next `refresh()`.

        True before the first listing, and once a call through this toolkit that can write
        (`run_code`, `create_skill`, ...) finds the storage's revision moved since the
        listing was read, whoever moved it: that call, the session's facade, or another
        host sharing the storage.
        """
        return self._seen is None or self._known != self._seen

    @property
    def changes(self) -> int:
        """How many times a call through this toolkit saw the storage's revision move.

        Compare it before and after a call to tell whether that call's time saw skills or
        tools change (the MCP server announces a changed tool list that way).
        """
        return self._changes

    async def list(self) -> builtins.list[AgentTool]:
        """The offered tools, with the `run_code` listing re-read from the session."""
        await self.refresh()
        return self.tools

    async def refresh(self) -> None:
        """Re-read the session's tools and skills into the `run_code` description."""
        if "run_code" in self._tools:
            revision, tools, skills = await self._portal.call(self._listings)
            budget = self._options.description_chars - len(self._options.run_code_intro) - 2
            self._listing = _catalogue(tools, skills, budget)
            self._tools = {tool.name: tool for tool in self._build()}
            self._seen = self._known = revision

    async def _listings(self) -> tuple[str, _Rows, _Rows]:
        # The revision first: a change while the listings are read shows as stale later.
        revision = await self._session.storage.revision()
        return revision, await self._session.list_tools(), await self._session.list_skills()

    async def _revision(self) -> str | None:
        try:
            return await self._portal.call(self._session.storage.revision)
        except CodeModeError:
            return None  # cannot tell: counted as a move, so listings are read again

    async def call(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        on_output: OutputCallback | None = None,
    ) -> ToolOutput:
        """Call the tool `name`; an unknown name is an error output, not an exception."""
        tool = self._tools.get(name)
        if tool is None:
            return ToolOutput(
                f"Unknown tool: {name}. Available: {', '.join(self._tools)}", is_error=True
            )
        if tool.read_only:
            return await tool.call(arguments, on_output)
        if self._known is None:
            self._known = await self._revision()
        output = await tool.call(arguments, on_output)
        revision = await self._revision()
        if revision is None or revision != self._known:
            self._changes += 1
        self._known = revision
        return output

    def call_sync(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        on_output: OutputCallback | None = None,
    ) -> ToolOutput:
        """`call` for sync callers, from any thread (see `SessionPortal.call_sync`)."""
        return self._portal.call_sync(lambda: self.call(name, arguments, on_output=on_output))

    # --- building ------------------------------------------------------------------------

    def _build(self) -> builtins.list[AgentTool]:
        offered = set(self._options.offered(self._session))
        return [tool for tool in self._all_tools() if tool.name in offered]

    def _all_tools(self) -> builtins.list[AgentTool]:
        run_code = self._options.run_code_intro
        if self._listing:
            run_code += "\n\n" + self._listing
        return [
            AgentTool("run_code", run_code, RunCodeArgs, self._run_code),
            *(self._agent_tool(op) for op in _AGENT_OPERATIONS),
        ]

    def _agent_tool(self, operation: Operation[Any, Any, Any]) -> AgentTool:
        model = operation.agent_model
        form = "one line each" if operation.agent_text is not None else "JSON"
        return AgentTool(
            operation.facade,
            f"{operation.description} The result is {form}.",
            model,
            self._performer(operation),
            read_only=operation.read_only,
            destructive=operation.destructive,
        )

    # --- handlers ------------------------------------------------------------------------

    def _performer(self, operation: Operation[Any, Any, Any]) -> Handler:
        """A handler that performs `operation` and gives its result as JSON text."""

        async def handler(args: BaseModel, on_output: OutputCallback | None) -> ToolOutput:
            arguments = dict(args.__dict__)
            page = (
                (arguments.pop("offset"), arguments.pop("limit")) if operation.agent_page else None
            )
            data = await self._portal.call(
                lambda: self._session._perform_validated(operation, arguments)
            )
            if data is None and operation.agent_if_none is not None:
                return ToolOutput(operation.agent_if_none.format(**arguments), is_error=True)
            note = ""
            if page is not None:
                offset, limit = page
                total, data = len(data), data[offset : offset + limit]
                if offset + len(data) < total:
                    note = (
                        f"\n[{offset + 1}-{offset + len(data)} of {total}; the next page: "
                        f"{operation.facade}(offset={offset + len(data)})]"
                    )
            if operation.agent_text is None:
                return self._json(data)
            text = operation.agent_text(data) + note
            return ToolOutput(cut(text, self._options.max_output_chars), data=data)

        return handler

    def _json(self, data: Any) -> ToolOutput:
        text = json.dumps(data, ensure_ascii=False, default=_jsonable)
        return ToolOutput(cut(text, self._options.max_output_chars, "JSON"), data=data)

    async def _run_code(self, args: RunCodeArgs, on_output: OutputCallback | None) -> ToolOutput:
        limit = self._options.max_code_chars
        if len(args.code) > limit:
            return ToolOutput(
                f"code is {len(args.code):,} characters; the limit is {limit:,}. Send a "
                "shorter program, or keep large data in artifacts instead of in the code.",
                is_error=True,
            )
        result = await self._portal.call(
            lambda: self._session.run(args.code, timeout=args.timeout, on_output=on_output)
        )
        return ToolOutput(
            render_result(result, self._options.max_output_chars), is_error=not result.is_ok
        )


def render_result(result: ExecutionResult, limit: int) -> str:
    """The text a model reads for a run: the value or the error, then what was printed."""
    parts: list[str] = []
    if result.error is not None:
        parts.append("Error: " + cut(result.error, limit, "the error"))
    elif result.value is not None:
        value = result.value
        text = value if isinstance(value, str) else json.dumps(value, default=_jsonable)
        parts.append(cut(text, limit, "the value"))
    if result.stdout:
        parts.append("Stdout:\n" + cut(result.stdout, limit, "stdout"))
    if result.stderr:
        parts.append("Stderr:\n" + cut(result.stderr, limit, "stderr"))
    return "\n\n".join(parts) if parts else "(no output)"


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return repr(value)


def _catalogue(tools: list[dict[str, Any]], skills: list[dict[str, Any]], limit: int) -> str:
    """Tool and skill lines for the `run_code` description, at most `limit` characters.

    Each kind gets half of the room (the other half too if the other kind is absent or
    short); what does not fit is counted in a last line that says how to find it.
    """
    sections = [
        ("Tools:", [_tool_line(tool) for tool in tools], "tools.search(q)"),
        ("Skills:", [_skill_line(skill) for skill in skills], "skills.search(q)"),
    ]
    present = [section for section in sections if section[1]]
    out: list[str] = []
    spare = limit
    for index, (heading, lines, finder) in enumerate(present):
        room = spare if index == len(present) - 1 else spare // 2
        text = _section(heading, lines, finder, room - (1 if out else 0))
        if text:
            out.append(text)
            spare -= len(text) + (1 if len(out) > 1 else 0)
    return "\n".join(out)


def _section(heading: str, lines: list[str], finder: str, room: int) -> str:
    """`heading` and as many `lines` as fit in `room` characters, then a count of the rest."""
    shown = [heading]
    used = len(heading)
    for count, line in enumerate(lines):
        rest = len(lines) - count - 1
        reserve = len(f"\n- {rest} more: {finder}") if rest else 0
        if used + 1 + len(line) + reserve > room:
            more = f"- {len(lines) - count} more: {finder}"
            if used + 1 + len(more) > room:
                return "\n".join(shown) if len(shown) > 1 else ""
            shown.append(more)
            return "\n".join(shown)
        shown.append(line)
        used += 1 + len(line)
    return "\n".join(shown)


def _tool_line(tool: dict[str, Any]) -> str:
    return tool_line(tool, limit=120)


def _skill_line(skill: dict[str, Any]) -> str:
    signature = (
        str(skill.get("signature", "")).removeprefix("def run").removeprefix("async def run")
    )
    return _one_line(f"- {skill['name']}{signature} — {skill.get('description', '')}")


def _one_line(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
