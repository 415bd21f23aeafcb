"""The operations table: every namespace operation described once, everything else derived.

An operation is a verb (``skills.create``), the host handler that performs it (a method of
the namespace's service, whose typed signature is the operation's signature), a
description written for a model, and whether it only reads. `Operations` below is the
table. From it come:

- the host's dispatch (`Host.handle`): each request's arguments validated once, by the
  pydantic model built from the handler's signature (`Operation.args_model`);
- the worker's proxies: `Operation.spec()` is plain data the worker receives when it
  starts, so the standard-library runtime builds `skills.create(...)` with the right
  signature, `help()` and `__doc__` without importing anything of ours;
- the `Session` and `SyncSession` methods: both classes inherit the table, and each entry
  is a descriptor that becomes a bound async (or blocking) method typed with the
  handler's own parameters, so IDEs and mypy see the real signatures;
- the agent tools of `Toolkit` (entries with ``agent=True``);
- the API reference in the docs (`render_reference`).

A new namespace method is one entry here plus its handler.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from py_code_mode._annotations import annotation_text
from py_code_mode._artifacts import ArtifactStore
from py_code_mode._deps.manager import DepsManager
from py_code_mode._skills.library import SkillLibrary
from py_code_mode._tools.service import ToolService
from py_code_mode._tools.stubs import tool_lines
from py_code_mode.errors import CodeModeError, InputError, RuntimeDepsDisabledError

__all__ = [
    "RUNTIME_DEPS",
    "AsyncOperations",
    "Grant",
    "annotation_text",
    "Operation",
    "Operations",
    "SyncOperations",
    "by_verb",
    "operation_specs",
    "operations",
    "rejection",
]

S = TypeVar("S")
P = ParamSpec("P")
R = TypeVar("R")

AGENT_PAGE = 50
"""The most entries a paged agent tool answers with: at ~200 characters a line, 10 KB."""

_ARGS_CONFIG = ConfigDict(extra="forbid", strict=True)
"""Unknown arguments are errors, and a value of the wrong type is never coerced: a model
that sends ``limit="5"`` or ``ttl=True`` hears about it instead of getting a guess."""


@dataclass(frozen=True)
class Grant:
    """A permission agent code needs for some operations, which a session may withhold.

    The facade and the operator are never refused: a grant limits what the code an agent
    writes may do through the channel.
    """

    name: str
    """The session setting that gives it, e.g. ``allow_runtime_deps``."""
    error: type[CodeModeError]
    """What agent code gets when the grant is withheld."""
    refusal: str
    """The message, formatted with ``verb``: what is refused and what to do instead."""

    def refuse(self, verb: str) -> CodeModeError:
        """The error for agent code that called `verb` without this grant."""
        return self.error(self.refusal.format(verb=verb))


RUNTIME_DEPS = Grant(
    "allow_runtime_deps",
    RuntimeDepsDisabledError,
    "{verb}() is disabled for this session: the operator set allow_runtime_deps=False. Use "
    "the packages already installed (deps.list() shows them) or ask the operator to add "
    "the package.",
)


@dataclass(frozen=True, eq=False)
class Operation(Generic[S, P, R]):
    """One namespace operation; as an attribute of `Operations`, a method of every facade.

    Attributes:
        verb: ``<namespace>.<name>``, the request verb; agent code calls
            ``<namespace>.<name>(...)``.
        handler: The service method that performs it; its parameters after ``self``, with
            their annotations and defaults, are the operation's arguments.
        description: What it does, written for a model; also the docstring of the method
            in agent code and on the facade.
        read_only: True when it changes nothing.
        code: Offer it as a method of the namespace in agent code. Operations the runtime
            uses itself (running a tool, fetching a skill's source) are not.
        agent: Offer it as an agent tool named like the facade method.
        agent_if_none: For an agent tool, the error to report when the result is None,
            formatted with the arguments (a model reads "no skill named 'x'" better than
            ``null``).
        needs: A grant agent code must have to call it; the facade is never refused.
        agent_text: For an agent tool, how a result becomes the text a model reads
            (default: JSON).
        agent_page: The agent tool pages the result list: it takes `offset` and `limit`
            (default `AGENT_PAGE`) besides the operation's own arguments, and says how
            many there are and how to get the next page.
        destructive: It may delete or undo what is stored (a delete, an uninstall), rather
            than only add to it; what MCP clients read as ``destructiveHint``.
        in_worker: Given the validated arguments, whether part of the work is code that
            must run in the worker (a skill's examples): the facade and agent tools then
            perform the call as agent code, through the worker's own proxy, so there is one
            place that does it.
    """

    verb: str
    handler: Callable[Concatenate[S, P], Awaitable[R]]
    _: KW_ONLY
    description: str
    read_only: bool
    code: bool = True
    agent: bool = False
    agent_if_none: str | None = None
    needs: Grant | None = None
    agent_text: Callable[[Any], str] | None = None
    agent_page: bool = False
    destructive: bool = False
    in_worker: Callable[[Mapping[str, Any]], bool] | None = None
    facade: str = field(init=False, default="")
    """The facade method's (and agent tool's) name: the attribute name in the table."""

    @property
    def namespace(self) -> str:
        """``skills`` of ``skills.create``."""
        return self.verb.partition(".")[0]

    @property
    def name(self) -> str:
        """``create`` of ``skills.create``: the method's name in agent code."""
        return self.verb.partition(".")[2]

    def __set_name__(self, owner: type[Any], name: str) -> None:
        # Frozen, but named once, as the table's class body is built.
        object.__setattr__(self, "facade", name)
        object.__setattr__(self, "__doc__", self.description)

    def __repr__(self) -> str:
        return f"<operation {self.verb}>"

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, instance: AsyncOperations, owner: type[Any]) -> Callable[P, Awaitable[R]]: ...

    @overload
    def __get__(self, instance: SyncOperations, owner: type[Any]) -> Callable[P, R]: ...

    def __get__(self, instance: Any, owner: type[Any]) -> Any:
        if instance is None:
            return self
        method = instance._bind_operation(self)
        method.__name__ = method.__qualname__ = self.facade
        method.__doc__ = self.description
        method.__signature__ = self.signature
        return method

    # --- derived from the handler ---------------------------------------------------------

    @functools.cached_property
    def signature(self) -> inspect.Signature:
        """The handler's signature without ``self``, annotations resolved."""
        hints = typing.get_type_hints(self.handler, include_extras=True)
        parameters = list(inspect.signature(self.handler).parameters.values())[1:]
        return inspect.Signature(
            [p.replace(annotation=hints.get(p.name, Any)) for p in parameters],
            return_annotation=hints.get("return", Any),
        )

    @functools.cached_property
    def args_model(self) -> type[BaseModel]:
        """The pydantic model of the arguments: what every request is validated with."""
        return self._model("Args")

    @functools.cached_property
    def agent_model(self) -> type[BaseModel]:
        """The model an agent tool offers.

        `args_model`, plus `offset` and `limit` when the agent tool pages its result
        (`agent_page`).
        """
        model = self.args_model
        if not self.agent_page:
            return model
        paged: type[BaseModel] = create_model(
            f"{model.__name__}Page",
            __base__=model,
            offset=(int, Field(0, ge=0, description="How many to skip, for the next page.")),
            limit=(int, Field(AGENT_PAGE, ge=1, le=AGENT_PAGE, description="The page's size.")),
        )
        return paged

    def _model(self, suffix: str) -> type[BaseModel]:
        fields: dict[str, Any] = {}
        for parameter in self.signature.parameters.values():
            absent = parameter.default is inspect.Parameter.empty
            fields[parameter.name] = (parameter.annotation, ... if absent else parameter.default)
        title = "".join(part.title() for part in (*self.verb.split("."), suffix))
        model: type[BaseModel] = create_model(title, __config__=_ARGS_CONFIG, **fields)
        model.__doc__ = f"Arguments of `{self.verb}`."
        return model

    def bind(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """Arguments of a Python call by name; raise `TypeError` as Python would."""
        return dict(self.signature.bind(*args, **kwargs).arguments)

    def validate(
        self,
        arguments: Mapping[str, Any],
        *,
        where: str,
        model: type[BaseModel] | None = None,
    ) -> dict[str, Any]:
        """The arguments checked and completed with defaults, ready for the handler.

        Raises:
            InputError: An argument is missing, unknown or of the wrong kind; the subclass
                says which (`InvalidNameError` for a name, ...).
        """
        try:
            validated = (model or self.args_model).model_validate(arguments)
        except ValidationError as exc:
            raise rejection(exc, where) from None
        return dict(validated.__dict__)

    async def perform(self, service: S, arguments: Mapping[str, Any]) -> R:
        """Run the handler on `service` with validated arguments."""
        handler: Callable[..., Awaitable[R]] = self.handler
        return await handler(service, **arguments)

    def spec(self) -> dict[str, Any]:
        """The operation as plain data, for the worker's proxy of it.

        ``params`` is ``[name, annotation, required, default, keyword_only]`` per argument;
        defaults are JSON values, annotations are the text ``help()`` shows.
        """
        params = [
            [
                p.name,
                annotation_text(p.annotation),
                p.default is inspect.Parameter.empty,
                None if p.default is inspect.Parameter.empty else p.default,
                p.kind is inspect.Parameter.KEYWORD_ONLY,
            ]
            for p in self.signature.parameters.values()
        ]
        return {
            "verb": self.verb,
            "namespace": self.namespace,
            "name": self.name,
            "doc": self.description,
            "params": params,
            "returns": annotation_text(self.signature.return_annotation),
            "read_only": self.read_only,
        }


def rejection(exc: ValidationError, where: str) -> CodeModeError:
    """The error for arguments a model rejected: ours where a validator raised one.

    A validator of `py_code_mode._params` raises the domain's own error (an invalid name
    is an `InvalidNameError` wherever it comes from); any other problem is an `InputError`
    that lists each argument's problem.
    """
    for error in exc.errors(include_url=False):
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, CodeModeError):
            return cause
    return InputError(f"Invalid arguments for {where}: {_problems(exc)}")


def _problems(exc: ValidationError) -> str:
    """Each rejected argument and why, as ``name: reason; other: reason``."""
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


# --- the table -------------------------------------------------------------------------------


class Operations:
    """Every namespace operation, in the order listings and agent tools present them.

    The attribute name is the facade method (`Session.create_skill`) and, for ``agent``
    operations, the agent tool. A leading underscore keeps an operation the runtime needs
    (running a tool, fetching a skill's source) off the public facade.
    """

    list_tools = Operation(
        "tools.list",
        ToolService.list,
        agent_text=tool_lines,
        agent_page=True,
        description="List every tool, callable as tools.<name>.<callable>(...): CLI recipes "
        "and MCP server tools, with their parameters; a tool that cannot be used says why "
        "in `error`.",
        read_only=True,
        agent=True,
    )
    search_tools = Operation(
        "tools.search",
        ToolService.search,
        agent_text=tool_lines,
        description="Find tools for a task by keywords (name, description, tags, callables), "
        "best match first, in the form list_tools gives.",
        read_only=True,
        agent=True,
    )
    describe_tool = Operation(
        "tools.describe",
        ToolService.describe,
        description="A tool's callables as Python stubs with docstrings, e.g. "
        "describe('github') or describe('github.get_repo'): the signature to call it with.",
        read_only=True,
    )
    _tool_index = Operation(
        "tools.index",
        ToolService.index,
        description="The name and description of every tool, for the worker's `tools`.",
        read_only=True,
        code=False,
    )
    _tool_callables = Operation(
        "tools.callables",
        ToolService.callables,
        description="A tool's callables with their signatures, for the worker's `tools`.",
        read_only=True,
        code=False,
    )
    _call_tool = Operation(
        "tools.call",
        ToolService.call,
        description="Run one of a tool's callables on the host and return its result.",
        read_only=False,
        code=False,
    )
    list_skills = Operation(
        "skills.list",
        SkillLibrary.list,
        description="List saved skills (reusable workflows) with name, description and "
        "parameters, and usage stats for those used; sort='calls' (or failures, last_used, "
        "mean_seconds, success_rate) puts the most first. Invoke one in code: "
        "skills.<name>(**kwargs) or skills.invoke('name', **kwargs).",
        read_only=True,
        agent=True,
    )
    search_skills = Operation(
        "skills.search",
        SkillLibrary.search,
        description="Find saved skills for a task before writing new code: say what you need "
        "in your own words; best match first, in the form list_skills gives.",
        read_only=True,
        agent=True,
    )
    get_skill = Operation(
        "skills.get",
        SkillLibrary.get,
        description="Show one skill in full: description, parameters and source (none if "
        "there is no such skill); with version=, that version from its history.",
        read_only=True,
        agent=True,
        agent_if_none="SkillNotFoundError: no skill named {name!r}; list_skills or "
        "search_skills shows the skills there are",
    )
    skill_history = Operation(
        "skills.history",
        SkillLibrary.history,
        description="Every saved version of a skill, oldest first: version number, time, "
        "SHA-256, description, author, and the examples and tests it passed; a delete is an "
        "entry too. Deleted skills keep their history until purged.",
        read_only=True,
        agent=True,
    )
    rollback_skill = Operation(
        "skills.rollback",
        SkillLibrary.rollback,
        description="Make an earlier version of a skill current again (as a new version); "
        "this also brings back a deleted skill. Returns the skill's summary.",
        read_only=False,
        agent=True,
    )
    purge_skill = Operation(
        "skills.purge",
        SkillLibrary.purge,
        description="Remove a skill and its whole history for good. Returns true if there "
        "was either.",
        read_only=False,
        destructive=True,
    )
    _record_skill_uses = Operation(
        "skills.record_uses",
        SkillLibrary.record_uses,
        description="Count the skill invocations of a run (the worker reports them at its "
        "end, without waiting for an answer).",
        read_only=False,
        code=False,
    )
    _skill_source = Operation(
        "skills.source",
        SkillLibrary.source,
        description="The source of a skill, to run it in the worker.",
        read_only=True,
        code=False,
    )
    create_skill = Operation(
        "skills.create",
        SkillLibrary.create,
        description="Save working code as a skill so later tasks can reuse it. The source "
        "must define `def run(...)` or `async def run(...)`; tools, skills and artifacts are "
        "in scope inside it, so skills can build on each other. Replaces a skill of the same "
        "name. Returns the saved skill's summary. With examples or tests, they run first "
        "and the skill is saved only if all pass.",
        read_only=False,
        agent=True,
        in_worker=lambda arguments: bool(arguments.get("examples") or arguments.get("tests")),
    )
    delete_skill = Operation(
        "skills.delete",
        SkillLibrary.delete,
        description="Delete a saved skill; its history stays until purged. Returns true if "
        "it existed, false if not.",
        read_only=False,
        destructive=True,
        agent=True,
    )
    save_artifact = Operation(
        "artifacts.save",
        ArtifactStore.save,
        description="Save str, bytes or JSON data under a name, replacing what was there; it "
        "comes back exactly as saved. With ttl (seconds) it expires then. Returns its record.",
        read_only=False,
    )
    load_artifact = Operation(
        "artifacts.load",
        ArtifactStore.load,
        description="The value saved under a name; ArtifactNotFoundError if there is none.",
        read_only=True,
    )
    artifact_info = Operation(
        "artifacts.info",
        ArtifactStore.info,
        description="What is known of an artifact without loading it: size, type, "
        "description, metadata, when it was saved and when it expires.",
        read_only=True,
    )
    list_artifacts = Operation(
        "artifacts.list",
        ArtifactStore.list,
        description="List saved artifacts (data kept across sessions) with name, "
        "description, size, type, creation and expiry time. Load one in code: "
        "artifacts.load('name').",
        read_only=True,
        agent=True,
    )
    delete_artifact = Operation(
        "artifacts.delete",
        ArtifactStore.delete,
        description="Delete an artifact. Returns true if it existed, false if not.",
        read_only=False,
        destructive=True,
    )
    artifact_exists = Operation(
        "artifacts.exists",
        ArtifactStore.exists,
        description="Whether an artifact of that name exists (its data is not read).",
        read_only=True,
    )
    list_deps = Operation(
        "deps.list",
        DepsManager.list,
        description="List the Python packages configured for this session.",
        read_only=True,
        agent=True,
    )
    add_dep = Operation(
        "deps.add",
        DepsManager.add,
        description="Install a Python package for the session's code (e.g. 'pandas>=2') and "
        "record it for later sessions. Returns what was installed.",
        read_only=False,
        agent=True,
        needs=RUNTIME_DEPS,
    )
    remove_dep = Operation(
        "deps.remove",
        DepsManager.remove,
        description="Remove a Python package from this session's list and uninstall it. "
        "Returns what was removed.",
        read_only=False,
        destructive=True,
        agent=True,
        needs=RUNTIME_DEPS,
    )
    install_deps = Operation(
        "deps.sync",
        DepsManager.sync,
        description="Install whatever on the session's package list is not installed yet. "
        "Returns what was installed and what was already there.",
        read_only=False,
        # Code that can write requirements.txt (any executor but the sandbox) would get an
        # install through a sync the session forbids.
        needs=RUNTIME_DEPS,
    )


# --- the facades: the table's entries as methods ---------------------------------------------


class AsyncOperations(Operations):
    """Base of `Session`: each operation of the table is an async method of it."""

    async def _perform(self, operation: Operation[Any, Any, Any], arguments: dict[str, Any]) -> Any:
        """Validate and run an operation for this facade."""
        raise NotImplementedError

    def _bind_operation(self, operation: Operation[Any, Any, Any]) -> Callable[..., Any]:
        async def method(*args: Any, **kwargs: Any) -> Any:
            return await self._perform(operation, operation.bind(args, kwargs))

        return method


class SyncOperations(Operations):
    """Base of `SyncSession`: each operation of the table is a blocking method of it."""

    def _perform_sync(self, operation: Operation[Any, Any, Any], arguments: dict[str, Any]) -> Any:
        """Validate and run an operation for this facade, blocking until it is done."""
        raise NotImplementedError

    def _bind_operation(self, operation: Operation[Any, Any, Any]) -> Callable[..., Any]:
        def method(*args: Any, **kwargs: Any) -> Any:
            return self._perform_sync(operation, operation.bind(args, kwargs))

        return method


def operations() -> Iterator[Operation[Any, Any, Any]]:
    """Every operation of the table, in table order."""
    for value in vars(Operations).values():
        if isinstance(value, Operation):
            yield value


@functools.cache
def operation_specs() -> tuple[dict[str, Any], ...]:
    """What the worker needs to build its namespaces: `Operation.spec` of each code method."""
    return tuple(op.spec() for op in operations() if op.code)


@functools.cache
def by_verb() -> Mapping[str, Operation[Any, Any, Any]]:
    """The table keyed by verb: the host's dispatch."""
    return types.MappingProxyType({op.verb: op for op in operations()})
