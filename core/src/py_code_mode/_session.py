"""Session: one storage, one tool registry, one executor, wired together.

The session is a facade: agent code reaches the host through the executor's channel, and
integrations that do not send code perform the same operations through the methods the
session inherits from the operations table (`list_skills`, `save_artifact`, ...). Those
return plain data and raise typed errors (`py_code_mode.errors`) for rejected input; only
`run` turns errors into results, because only `run` executes agent code.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from py_code_mode._artifacts import ArtifactStore
from py_code_mode._deps.installer import Installer
from py_code_mode._deps.manager import DepsManager
from py_code_mode._execution.base import (
    CAPABILITIES,
    Executor,
    OutputCallback,
    WorkerContext,
    check_flag,
)
from py_code_mode._execution.inprocess import InProcessExecutor
from py_code_mode._execution.subprocess import SubprocessExecutor
from py_code_mode._host import CallBudget, Host
from py_code_mode._operations import RUNTIME_DEPS, AsyncOperations, Operation, operation_specs
from py_code_mode._packages import (
    WORKSPACE_CONFIG,
    CapabilityPackage,
    resolve_packages,
    workspace_packages,
)
from py_code_mode._result import ExecutionResult
from py_code_mode._runtime.protocol import is_exact
from py_code_mode._skills.embedders import Embedder, choose_embedder
from py_code_mode._skills.library import SkillLibrary
from py_code_mode._storage.base import Storage
from py_code_mode._storage.file import FileStorage
from py_code_mode._storage.layered import LayeredStorage
from py_code_mode._tools.python import PythonTools, python_tools
from py_code_mode._tools.registry import ToolRegistry
from py_code_mode._tools.service import ToolService
from py_code_mode.errors import (
    CodeModeError,
    InputError,
    SessionClosedError,
    UsageError,
    error_class,
)

__all__ = ["Session"]

logger = logging.getLogger("py_code_mode")

_WARNED_TOOLS = 10
"""Broken tool definitions logged one by one at start; the rest are counted."""

DEFAULT_MAX_TOOL_CALLS = 1000
"""Tool calls one run may make unless the session says otherwise."""

VERIFICATION_TIMEOUT = 60.0
"""Seconds a facade call may spend in the worker (a skill's examples and tests) when the
session has no default timeout."""

_STORAGE_METHODS = (
    "open",
    "revision",
    "list_skills",
    "save_artifact",
    "load_tool_definitions",
    "list_deps",
    "close",
)
_EXECUTOR_METHODS = ("start", "run", "reset", "close", "capabilities")


def default_deps_target(storage: Storage) -> Path:
    """Where a storage's deps are installed: inside the workspace, else in the user cache.

    One directory per interpreter and machine kind, since installed packages may hold
    compiled code for exactly one of each.
    """
    tag = f"{sys.implementation.cache_tag}-{os.uname().machine}"
    if storage.root is not None:
        return storage.root / ".py-code-mode" / "deps" / tag
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(repr(storage).encode()).hexdigest()[:16]
    return cache / "py-code-mode" / "deps" / key / tag


def _check_kind(value: Any, methods: tuple[str, ...], what: str, example: str) -> None:
    # Storage and Executor are protocols; a clear TypeError beats an AttributeError later.
    missing = [m for m in methods if not callable(getattr(type(value), m, None))]
    if missing:
        raise TypeError(f"{what} must be {example}, got {value!r} (it lacks {', '.join(missing)})")


class Session(AsyncOperations):
    """A persistent Python session for agent code, with tools, skills, artifacts and deps.

    Besides `run`, every namespace operation is a method: `list_tools`, `create_skill`,
    `save_artifact`, `add_dep`, ... (the table in `py_code_mode._operations`), with the
    arguments agent code passes to the same operation.

    Args:
        storage: Where skills, artifacts, the deps list and tool definitions live, e.g.
            `FileStorage(base_path="./data")`.
        executor: What runs the code; defaults to `SubprocessExecutor()`.
        sync_deps: Install the stored deps list when the session starts.
        allow_runtime_deps: Let agent code call `deps.add`/`deps.remove`.
        installer: How packages are installed (target directory, find-links, index);
            defaults to the workspace's own environment and the default index.
        default_timeout: Seconds a `run` may take when it names no timeout of its own.
        max_tool_calls: Tool calls one run of agent code may make (default 1,000), so a
            program that loops cannot hammer an API; past it, a call raises
            `ToolCallLimitError` in agent code. None for no limit.
        tools: The host's own Python functions, offered to agent code beside the stored
            tools: functions (each `tools.<name>(...)`), `FunctionTools` groups
            (`tools.<group>.<name>(...)`), `MCPTools` (an MCP client you have open), or a
            mapping of group names to functions.
            They run on the host, with their arguments checked against their type hints.
        strict_tools: Fail at start for a broken tool definition. By default the session
            starts, the broken tool is listed by `tools.list()` with its error and how to
            fix it, and a warning is logged.
        packages: Capability packages to layer beneath the workspace, read-only: shipped
            ones by name (``["web", "git", "github"]``) or package directories by path.
            Their tools and skills are offered as the workspace's own are; the workspace
            wins where both define a name. A workspace's ``workspace.yaml`` may list more
            (``packages: [web]``).
        skill_search: How `skills.search` ranks. "auto" (the default) is hybrid (words fused
            with the nearest vectors of the bundled static model) where the `[semantic]`
            extra is installed, else words alone; "lexical" is words alone; "hybrid"
            requires the extra; an `Embedder` (e.g. `Model2VecEmbedder`,
            `LangChainEmbedder(...)`) is hybrid with that model. Vectors are stored with
            the skills and made once per skill version.
    """

    def __init__(
        self,
        storage: Storage | None = None,
        executor: Executor | None = None,
        *,
        sync_deps: bool = False,
        allow_runtime_deps: bool = True,
        installer: Installer | None = None,
        default_timeout: float | None = None,
        tools: PythonTools | None = None,
        max_tool_calls: int | None = DEFAULT_MAX_TOOL_CALLS,
        strict_tools: bool = False,
        packages: Sequence[str | os.PathLike[str]] = (),
        skill_search: str | Embedder = "auto",
    ) -> None:
        if storage is None:
            raise TypeError(
                "Session needs a storage: Session(storage=FileStorage(base_path='./data')) "
                "or Session.from_base('./data')"
            )
        _check_kind(
            storage, _STORAGE_METHODS, "storage", "a Storage such as FileStorage(base_path=...)"
        )
        if executor is not None:
            _check_kind(
                executor, _EXECUTOR_METHODS, "executor", "an Executor such as SubprocessExecutor()"
            )
        if default_timeout is not None and default_timeout <= 0:
            raise ValueError(
                f"default_timeout must be a positive number of seconds, got {default_timeout!r}"
            )
        self._storage = storage
        self._executor: Executor = executor or SubprocessExecutor()
        self._sync_deps = sync_deps
        self._allow_runtime_deps = allow_runtime_deps
        self._installer = installer or Installer(default_deps_target(storage))
        self._default_timeout = default_timeout
        self._strict_tools = check_flag(strict_tools, "strict_tools")
        if max_tool_calls is not None and (
            not isinstance(max_tool_calls, int)
            or isinstance(max_tool_calls, bool)
            or max_tool_calls < 1
        ):
            raise ValueError(
                f"max_tool_calls must be a positive integer or None, got {max_tool_calls!r}"
            )
        self._max_tool_calls = max_tool_calls
        self._python_tools = python_tools(tools) if tools is not None else []
        if isinstance(packages, str | os.PathLike):
            raise TypeError(f"packages= takes a list of names or paths, e.g. [{packages!r}]")
        self._packages = resolve_packages(packages)
        self._embedder = choose_embedder(skill_search)
        self._host: Host | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._start_lock = asyncio.Lock()
        self._closed = False

    @classmethod
    def from_base(cls, base_path: str | os.PathLike[str], **kwargs: Any) -> Session:
        """A session on a workspace directory (`FileStorage`), in one call."""
        return cls(storage=FileStorage(base_path), **kwargs)

    @classmethod
    def subprocess(cls, base_path: str | os.PathLike[str], **kwargs: Any) -> Session:
        """A session on a workspace directory, running code in a child process."""
        return cls(storage=FileStorage(base_path), executor=SubprocessExecutor(), **kwargs)

    @classmethod
    def inprocess(cls, base_path: str | os.PathLike[str], **kwargs: Any) -> Session:
        """A session on a workspace directory, running code in this process."""
        return cls(storage=FileStorage(base_path), executor=InProcessExecutor(), **kwargs)

    @property
    def storage(self) -> Storage:
        """The session's storage."""
        return self._storage

    @property
    def executor(self) -> Executor:
        """The session's executor."""
        return self._executor

    @property
    def packages(self) -> list[CapabilityPackage]:
        """The capability packages layered in: those given, then the workspace's (at start)."""
        return list(self._packages)

    @property
    def default_timeout(self) -> float | None:
        """Seconds a `run` may take when it names no timeout of its own (None: no limit)."""
        return self._default_timeout

    @property
    def sync_deps_on_start(self) -> bool:
        """Whether the stored deps list is installed when the session starts (`sync_deps=`)."""
        return self._sync_deps

    @property
    def allow_runtime_deps(self) -> bool:
        """Whether packages may be added and removed after the session is built."""
        return self._allow_runtime_deps

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop the session started on (it owns the worker), None before start."""
        return self._loop

    def supported_capabilities(self) -> frozenset[str]:
        """What this session really provides: its executor's, plus runtime deps if allowed.

        Names are upstream py-code-mode's: `timeout`, `process_isolation`,
        `network_isolation`, `filesystem_isolation`, `memory_limit`, `cpu_limit`, `reset`,
        `deps_install`, `deps_uninstall`.
        """
        found = set(self._executor.capabilities())
        if self._allow_runtime_deps:
            found |= {"deps_install", "deps_uninstall"}
        return frozenset(found & set(CAPABILITIES))

    def supports(self, capability: str) -> bool:
        """Whether this session provides `capability` (see `supported_capabilities`).

        Raises:
            ValueError: `capability` is not one of the known names.
        """
        if capability not in CAPABILITIES:
            raise ValueError(f"unknown capability {capability!r}; known: {', '.join(CAPABILITIES)}")
        return capability in self.supported_capabilities()

    async def __aenter__(self) -> Session:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def add_tools(self, tools: PythonTools) -> None:
        """Offer more of the host's functions to agent code, as `tools=` does.

        Adapters use this to offer a framework's tools inside `run_code`.

        Raises:
            UsageError: The session has started: its tools are fixed from then on.
            TypeError, ValueError: As for `tools=`, or a name is already taken.
        """
        if self._host is not None or self._closed:
            raise UsageError(
                "add_tools() must come before the session starts; pass tools= to Session, "
                "or add them before the first run"
            )
        added = python_tools(tools)
        taken = {tool.name for tool in self._python_tools}  # the host's tools given so far
        clash = [tool.name for tool in added if tool.name in taken]
        if clash:
            raise ValueError(f"tools named {', '.join(map(repr, clash))} are already offered")
        self._python_tools += added

    async def start(self) -> None:
        """Load tools, prepare the workspace and start the worker; idempotent.

        Raises:
            StorageError: The storage cannot be reached (e.g. Redis is down).
            ToolDefinitionError: With `strict_tools`, a stored tool definition is broken.
        """
        async with self._start_lock:
            if self._closed:
                raise SessionClosedError("this session is closed; create a new Session")
            if self._host is not None:
                return
            try:
                await self._start()
            except BaseException:
                await self._storage.close()  # a failed start leaves no connection open
                raise

    async def _start(self) -> None:
        await self._storage.open()
        cwd = self._storage.root or Path.cwd()
        target = self._installer.target
        await asyncio.to_thread(target.mkdir, parents=True, exist_ok=True)
        storage = await self._layered()
        tools = ToolRegistry.from_definitions(
            await storage.load_tool_definitions(),
            cwd=cwd,
            strict=self._strict_tools,
            extra=self._python_tools,
        )
        broken = tools.broken
        for tool in broken[:_WARNED_TOOLS]:
            logger.warning("tool %r is not available: %s", tool.name, tool.error)
        if len(broken) > _WARNED_TOOLS:
            logger.warning(
                "%d more tools are not available; tools.list() shows each with its error",
                len(broken) - _WARNED_TOOLS,
            )
        host = Host(
            tools=ToolService(tools),
            skills=SkillLibrary(storage, self._embedder),
            artifacts=ArtifactStore(storage),
            deps=DepsManager(storage, self._installer),
            withheld=frozenset() if self._allow_runtime_deps else frozenset({RUNTIME_DEPS}),
            budget=CallBudget(self._max_tool_calls),
        )
        if self._sync_deps:
            await host.deps.sync()
        await self._executor.start(
            WorkerContext(host.handle, cwd, (str(target),), operation_specs())
        )
        self._host = host
        self._loop = asyncio.get_running_loop()

    async def _layered(self) -> Storage:
        """The storage the namespaces use: the session's, with its packages beneath."""
        root = self._storage.root
        if root is not None:
            listed = await asyncio.to_thread(workspace_packages, root)
            given = [package.path for package in self._packages]
            try:
                self._packages = await asyncio.to_thread(
                    resolve_packages, [*given, *listed], relative_to=root
                )
            except ValueError as exc:
                raise ValueError(f"{root / WORKSPACE_CONFIG}: {exc}") from None
        if not self._packages:
            return self._storage
        return LayeredStorage(self._storage, self._packages)

    async def close(self) -> None:
        """Stop the worker and release the storage's connections; the storage keeps everything."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._host is not None:
                try:
                    await self._executor.close()
                finally:
                    try:
                        await self._host.skills.flush()
                    finally:
                        await self._host.tools.close()
        finally:
            await self._storage.close()

    async def _ready(self) -> Host:
        if self._closed:
            raise SessionClosedError("this session is closed; create a new Session")
        if self._host is None:
            await self.start()
        assert self._host is not None
        return self._host

    # --- running code ------------------------------------------------------------------

    async def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        on_output: OutputCallback | None = None,
    ) -> ExecutionResult:
        """Run agent code; errors in it are returned in the result, never raised.

        Args:
            code: Python source; may use top-level `await`; its last expression is the value.
            timeout: Seconds before the code is interrupted (default: the session's).
            on_output: Called with ("stdout" | "stderr", text) as output is produced.
        """
        if not isinstance(code, str):
            raise TypeError(f"code must be a string of Python source, got {type(code).__name__}")
        if timeout is not None and (isinstance(timeout, bool) or timeout <= 0):
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        host = await self._ready()
        host.budget.begin_run()
        return await self._executor.run(
            code, timeout=timeout or self._default_timeout, on_output=on_output
        )

    async def reset(self) -> None:
        """Forget every variable of agent code; tools, skills, artifacts and deps stay."""
        await self._ready()
        await self._executor.reset()

    async def _perform(self, operation: Operation[Any, Any, Any], arguments: dict[str, Any]) -> Any:
        checked = operation.validate(arguments, where=f"{operation.facade}()")
        return await self._perform_validated(operation, checked)

    async def _perform_validated(
        self, operation: Operation[Any, Any, Any], arguments: Mapping[str, Any]
    ) -> Any:
        """Perform an operation whose arguments a model already checked (agent tools)."""
        host = await self._ready()
        if operation.in_worker is not None and operation.in_worker(arguments):
            return await self._perform_in_worker(operation, arguments)
        return await host.perform(operation, arguments)

    async def _perform_in_worker(
        self, operation: Operation[Any, Any, Any], arguments: Mapping[str, Any]
    ) -> Any:
        """Perform an operation as agent code: the worker's proxy does its part, then asks.

        The run's timeout is the session's, or `VERIFICATION_TIMEOUT`: a skill's example
        that never returns must not hang the caller.
        """
        if not is_exact(dict(arguments)):
            raise InputError(
                f"{operation.facade}(): the arguments must be JSON values (str, int, float, "
                "bool, None, bytes, lists, dicts) to reach the worker"
            )
        code = f"{operation.verb}(**{dict(arguments)!r})"
        timeout = self._default_timeout or VERIFICATION_TIMEOUT
        result = await self.run(code, timeout=timeout)
        if result.is_ok:
            return result.value
        raise _raised_in_worker(operation, result, timeout)

    async def invoke_skill(self, name: str, /, **kwargs: Any) -> ExecutionResult:
        """Run a skill in the worker, like `skills.invoke(name, **kwargs)` in agent code.

        The skill is agent code, so its failures come back in the result; an unknown name or
        arguments that cannot cross to the worker raise.
        """
        await self._skill_source(name)  # raises SkillNotFoundError / InvalidNameError
        if not is_exact(kwargs):
            raise InputError(
                "skill arguments must be JSON values "
                "(str, int, float, bool, None, bytes, lists, dicts)"
            )
        return await self.run(f"skills.invoke({name!r}, **{kwargs!r})")


def _raised_in_worker(
    operation: Operation[Any, Any, Any], result: ExecutionResult, timeout: float
) -> Exception:
    """The error a call performed in the worker ended with, as its own class where known."""
    text = (result.error or "").strip()
    last = text.splitlines()[-1] if text else ""
    kind, _, message = last.partition(": ")
    if kind.rsplit(".", 1)[-1] != result.error_type:
        message = last
    if result.timed_out:
        return TimeoutError(
            f"{operation.facade}() timeout: the worker's part (a skill's examples or tests) "
            f"did not finish within {timeout:g} s, so nothing was saved"
        )
    ours = error_class(result.error_type or "")
    if ours is not None:
        return ours(message)
    builtin = getattr(builtins, result.error_type or "", None)
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        return builtin(message)
    return CodeModeError(f"{operation.facade}() failed in the worker: {last or text}")
