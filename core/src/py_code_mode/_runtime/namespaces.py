"""`tools`, `skills`, `artifacts` and `deps` as agent code sees them: thin proxies.

Every method is one request over the channel, except running a skill: skills are code, so
the worker fetches a skill's source from the host and runs it here, with these same four
namespaces in scope, which is what lets skills compose.

Standard library only: this runs inside the worker.
"""

from __future__ import annotations

import _thread
import importlib
import sys
import time
import types

from py_code_mode import errors
from py_code_mode._runtime.engine import (
    AWAIT_HELPER,
    AsyncCapable,
    _await_call,
    drive,
    parse_module,
    remember_source,
)
from py_code_mode._runtime.protocol import artifact_refusal

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the worker ~8 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from py_code_mode._runtime.channel import Channel


class _Method(AsyncCapable):
    """A namespace method, built from its operation's spec: one request per call.

    The spec (`py_code_mode._operations.Operation.spec`) is plain data from the host: the
    verb, the parameters with their defaults and annotations, and the description. Binding
    follows Python's rules, so a wrong call is a `TypeError` here; the host validates the
    values. ``help()`` and ``inspect.signature`` show the real signature, built only when
    asked for, since `inspect` costs the worker's start more than the whole runtime.
    """

    def __init__(
        self,
        channel: Channel,
        spec: dict[str, Any],
        after: Callable[[], None] | None = None,
        before: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._channel = channel
        self._before = before
        self._verb = spec["verb"]
        self._params: list[list[Any]] = spec["params"]
        self._returns: str = spec["returns"]
        self._after = after
        self.__name__ = spec["name"]
        self.__qualname__ = spec["verb"]
        self.__doc__ = spec["doc"]

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The call's arguments by name, or the `TypeError` Python would raise."""
        where = self.__qualname__
        positional = [p[0] for p in self._params if not p[4]]
        if len(args) > len(positional):
            raise TypeError(
                f"{where}() takes {len(positional)} positional argument(s) but {len(args)} "
                "were given"
            )
        bound = dict(zip(positional, args, strict=False))
        names = [p[0] for p in self._params]
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(
                    f"{where}() got an unexpected keyword argument {key!r}; its arguments "
                    f"are {', '.join(names) or 'none'}"
                )
            if key in bound:
                raise TypeError(f"{where}() got multiple values for argument {key!r}")
            bound[key] = value
        missing = [p[0] for p in self._params if p[2] and p[0] not in bound]
        if missing:
            raise TypeError(
                f"{where}() missing required argument(s): {', '.join(map(repr, missing))}"
            )
        return bound

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        bound = self._bind(args, kwargs)
        if self._before is not None:
            self._before(bound)
        return bound

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Make the request and block until the host answers."""
        value = self._channel.request(self._verb, self._arguments(args, kwargs))
        if self._after is not None:
            self._after()
        return value

    async def call_async(self, *args: Any, **kwargs: Any) -> Any:
        """Same call, awaitable: several can run at once under `asyncio.gather`."""
        value = await self._channel.request_async(self._verb, self._arguments(args, kwargs))
        if self._after is not None:
            self._after()
        return value

    def __get__(self, instance: Any, owner: Any = None) -> _Method:
        # A method-like descriptor is what pydoc documents as a routine, with its signature.
        return self

    @property
    def __signature__(self) -> Any:
        # Imported here: only help() and inspect ask for this, and importing `inspect`
        # would cost every worker's start more than the whole runtime does.
        import inspect

        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        return inspect.Signature(
            [
                inspect.Parameter(
                    name,
                    kinds[keyword_only],
                    default=inspect.Parameter.empty if required else default,
                    annotation=_Shown(annotation),
                )
                for name, annotation, required, default, keyword_only in self._params
            ],
            return_annotation=_Shown(self._returns),
        )

    def brief(self) -> str:
        """``name(required, optional=default)``, for the namespace's repr."""
        shown = [p[0] if p[2] else f"{p[0]}={p[3]!r}" for p in self._params]
        return f"{self.__name__}({', '.join(shown)})"

    def __repr__(self) -> str:
        return f"<{self._verb}>"


class _Shown(str):
    """An annotation as text that signatures show without quotes: ``str | None``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


class _Namespace:
    """A namespace whose methods come from the host's operation specs."""

    _extras: tuple[str, ...] = ()
    """What the namespace offers beyond its operations, for its repr."""

    def __init__(self, name: str, channel: Channel, specs: Sequence[dict[str, Any]]) -> None:
        self._name = name
        self._methods = [
            _Method(channel, spec, self._after(spec), self._before(spec)) for spec in specs
        ]
        for method in self._methods:
            setattr(self, method.__name__, method)

    def _after(self, spec: dict[str, Any]) -> Callable[[], None] | None:
        """What to do in the worker once the operation has been performed."""
        return None

    def _before(self, spec: dict[str, Any]) -> Callable[[dict[str, Any]], None] | None:
        """What to do in the worker with the arguments before the request is sent."""
        return None

    def __repr__(self) -> str:
        listed = [method.brief() for method in self._methods] + list(self._extras)
        return f"<{self._name}: {', '.join(listed)}>"


class ToolCall(AsyncCapable):
    """`tools.<tool>.<callable>(**kw)` (or `tools.<tool>(**kw)`): runs on the host.

    With its spec from the host (`tools.callables`), ``help()``, ``__doc__`` and
    ``inspect.signature`` show the callable's real keyword-only signature.
    """

    def __init__(
        self, channel: Channel, tool: str, name: str | None, spec: dict[str, Any] | None = None
    ) -> None:
        self._channel = channel
        self._tool = tool
        self._recipe = name
        self._spec = spec
        if spec is not None:
            self.__name__ = spec["name"]
            self.__qualname__ = spec["qualname"]
            self.__doc__ = spec["doc"]

    def _args(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if args:
            where = f"{self._tool}.{self._recipe}" if self._recipe else self._tool
            raise TypeError(f"tools.{where}() takes keyword arguments only, e.g. url=...")
        return {"tool": self._tool, "recipe": self._recipe, "args": kwargs}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the tool on the host and return its result."""
        return self._channel.request("tools.call", self._args(args, kwargs))

    def call_async(self, *args: Any, **kwargs: Any) -> Any:
        """Same call, as a coroutine (what `asyncio.create_task` wants).

        Arguments are checked now; the request is sent when the coroutine first runs.
        """
        return self._request(self._args(args, kwargs))

    async def _request(self, request: dict[str, Any]) -> Any:
        return await self._channel.request_async("tools.call", request)

    def __get__(self, instance: Any, owner: Any = None) -> ToolCall:
        # A method-like descriptor is what pydoc documents as a routine, with its signature.
        return self

    @property
    def __signature__(self) -> Any:
        import inspect  # only help() and inspect ask: see `_Method.__signature__`

        if self._spec is None:
            raise AttributeError("__signature__")
        keyword = inspect.Parameter.KEYWORD_ONLY
        return inspect.Signature(
            [
                inspect.Parameter(
                    name,
                    keyword,
                    default=inspect.Parameter.empty if required else default,
                    annotation=_Shown(annotation),
                )
                for name, annotation, required, default, _ in self._spec["params"]
            ],
            return_annotation=_Shown(self._spec["returns"]),
        )

    def __repr__(self) -> str:
        return f"<tool {self._tool}{'.' + self._recipe if self._recipe else ''}>"


class Tool(ToolCall):
    """`tools.<tool>`: callable itself; its callables (recipes, server tools) are attributes.

    Their names and signatures are fetched from the host at the first attribute access, so
    a mistyped name fails there, naming the close matches, and `hasattr` works.
    """

    def __init__(self, channel: Channel, name: str, description: str) -> None:
        super().__init__(channel, name, None)
        self.__doc__ = description
        self._description = description
        self._specs: dict[str, dict[str, Any]] | None = None
        self._calls: dict[str, ToolCall] = {}

    def _callables(self) -> dict[str, dict[str, Any]]:
        if self._specs is None:
            listed = self._channel.request("tools.callables", {"tool": self._tool})
            self._specs = {spec["name"]: spec for spec in listed}
        return self._specs

    def __getattr__(self, name: str) -> ToolCall:
        if name.startswith("_"):
            raise AttributeError(name)
        call = self._calls.get(name)
        if call is None:
            specs = self._callables()
            spec = specs.get(name)
            if spec is None:
                raise _not_found("callable", f"{self._tool}.{name}", name, list(specs))
            call = self._calls[name] = ToolCall(self._channel, self._tool, name, spec)
        return call

    def __dir__(self) -> list[str]:
        return sorted(self._callables())

    def __repr__(self) -> str:
        return f"<tool {self._tool}: {self._description}>"


class Tools(_Namespace):
    """CLI commands, MCP servers and HTTP APIs of the host, as Python callables."""

    _extras = ("<name>.<callable>(**kwargs)",)

    def __init__(self, channel: Channel, specs: Sequence[dict[str, Any]]) -> None:
        self._channel = channel
        self._index: dict[str, str] | None = None
        self._tools: dict[str, Tool] = {}
        super().__init__("tools", channel, specs)

    def _known(self) -> dict[str, str]:
        """Every tool's name and description, asked of the host once per worker."""
        if self._index is None:
            self._index = dict(self._channel.request("tools.index", {}))
        return self._index

    def __getattr__(self, name: str) -> Tool:
        if name.startswith("_"):
            raise AttributeError(name)
        tool = self._tools.get(name)
        if tool is None:
            known = self._known()
            if name not in known:
                raise _not_found("tool", name, name, list(known))
            tool = self._tools[name] = Tool(self._channel, name, known[name])
        return tool

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._known()})

    def __repr__(self) -> str:
        lines = [super().__repr__()]
        for name, description in sorted(self._known().items()):
            line = f"tools.{name}: {description}"
            lines.append(line if len(line) <= 120 else line[:117] + "...")
        if len(lines) == 1:
            lines.append("(no tools: they come from tools/*.yaml in the workspace)")
        return "\n".join(lines)


_LISTED = 20
"""Names an unknown-name error lists before pointing at search."""


def _not_found(kind: str, label: str, name: str, known: list[str]) -> errors.ToolNotFoundError:
    """`tools.<label>` does not exist: say so, with close matches and what there is."""
    import difflib  # only when a name is wrong

    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    shown = ", ".join(sorted(known)[:_LISTED]) or "none"
    if len(known) > _LISTED:
        shown += f", ... ({len(known) - _LISTED} more: tools.search(query) finds them)"
    return errors.ToolNotFoundError(f"Unknown {kind}: tools.{label}.{hint} Available: {shown}")


class SkillInvoker(AsyncCapable):
    # `skills.invoke(name, **kw)`, or `skills.<name>(**kw)`: fetch the skill's source and
    # run it in this process. (No docstring: `__doc__` below is the skill's own.)

    def __init__(self, skills: Skills, fixed_name: str | None = None) -> None:
        self._skills = skills
        self._fixed_name = fixed_name
        if fixed_name is not None:
            self.__name__ = fixed_name
            self.__qualname__ = f"skills.{fixed_name}"

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        if self._fixed_name is None:
            return "Run a saved skill: skills.invoke('name', **kwargs)."
        found = self._skills._channel.request("skills.get", {"name": self._fixed_name})
        return str(found.get("description") or "") if isinstance(found, dict) else None

    @property
    def __signature__(self) -> Any:
        if self._fixed_name is None:
            raise AttributeError("__signature__")
        import inspect  # only help() and inspect ask

        return inspect.signature(self._skills.load(self._fixed_name))

    def __get__(self, instance: Any, owner: Any = None) -> SkillInvoker:
        # A method-like descriptor is what pydoc documents as a routine, with its signature.
        return self

    def _split(self, args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        if self._fixed_name is not None:
            return self._fixed_name, args
        if not args:
            raise TypeError("skills.invoke() needs the skill's name: skills.invoke('name', **kw)")
        return args[0], args[1:]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the skill here and return what its `run` returned."""
        name, rest = self._split(args)
        run = self._skills.load(name)
        started, ok = time.perf_counter(), False
        try:
            result = run(*rest, **kwargs)
            if isinstance(result, types.CoroutineType):
                result = drive(result)
            ok = True
            return result
        finally:
            self._skills.count_use(name, ok, time.perf_counter() - started)

    async def call_async(self, *args: Any, **kwargs: Any) -> Any:
        """Same call, awaitable: an `async def run` is awaited on the caller's loop."""
        name, rest = self._split(args)
        run = self._skills.load(name)
        started, ok = time.perf_counter(), False
        try:
            result = run(*rest, **kwargs)
            if isinstance(result, types.CoroutineType):
                result = await result
            ok = True
            return result
        finally:
            self._skills.count_use(name, ok, time.perf_counter() - started)


class Skills(_Namespace):
    """Reusable workflows: saved Python functions, found by search, composable."""

    _extras = ("invoke(name, **kwargs)", "<name>(**kwargs)")

    def __init__(
        self,
        channel: Channel,
        specs: Sequence[dict[str, Any]],
        scope: Callable[[], dict[str, Any]],
    ) -> None:
        self._channel = channel
        self._scope = scope
        self._compiled: dict[tuple[str, str], Callable[..., Any]] = {}
        self._uses: dict[str, list[Any]] = {}
        self._uses_lock = _thread.allocate_lock()
        self._sources: dict[str, str] = {}
        """Skill sources asked of the host during this run."""
        super().__init__("skills", channel, specs)
        self.invoke = SkillInvoker(self)

    def load(self, name: str) -> Callable[..., Any]:
        """Return the skill's `run`, compiled once per version of its source.

        The source is asked of the host once per run (a loop calling a skill a thousand
        times asks once), so a version saved elsewhere is picked up by the next run; a
        save from this worker forgets what was asked at once.
        """
        source = self._sources.get(name)
        if source is None:
            source = self._channel.request("skills.source", {"name": name})
            self._sources[name] = source
        key = (name, source)
        run = self._compiled.get(key)
        if run is None:
            run = self._module(name, source)["run"]
            self._compiled[key] = run
        return run

    def count_use(self, name: str, ok: bool, seconds: float) -> None:
        """Count one invocation; the counts go to the host when the run ends."""
        with self._uses_lock:
            counts = self._uses.setdefault(name, [0, 0, 0.0])
            counts[0] += 1
            counts[1] += not ok
            counts[2] += seconds

    def after_run(self) -> None:
        """Report this run's invocations to the host, without waiting for its answer."""
        self._sources.clear()
        with self._uses_lock:
            uses, self._uses = self._uses, {}
        if uses:
            report = [
                {"name": name, "calls": calls, "failures": failures, "seconds": seconds}
                for name, (calls, failures, seconds) in uses.items()
            ]
            self._channel.notify("skills.record_uses", {"uses": report})

    def _module(self, name: str, source: str) -> dict[str, Any]:
        """Run a skill's source as a module of its own; its globals, with a callable `run`."""
        filename = f"<skill {name}>"
        remember_source(filename, source)
        module_globals = {"__name__": f"skill_{name}", "__builtins__": __builtins__}
        module_globals.update(self._scope())
        module_globals[AWAIT_HELPER] = _await_call
        tree = parse_module(source, filename)
        check_requires(name, declared_requires(tree))
        code = compile(tree, filename, "exec", dont_inherit=True)
        try:
            exec(code, module_globals)  # noqa: S102 - skills are code; running them is the job
        except ModuleNotFoundError as exc:
            if exc.name is None or "deps.add" in str(exc):
                raise
            missing = exc.name.partition(".")[0]
            raise ModuleNotFoundError(
                f"Skill {name!r} imports {exc.name!r}, which this session has not installed: "
                f"deps.add({missing!r}) installs it if its package has that name; declaring "
                f"__requires__ = [...] in the skill says so before it runs",
                name=exc.name,
            ) from exc
        if not callable(module_globals.get("run")):
            raise errors.InvalidSkillError(f"Skill {name!r} does not define run()")
        return module_globals

    def _before(self, spec: dict[str, Any]) -> Callable[[dict[str, Any]], None] | None:
        return self._verify if spec["verb"] == "skills.create" else None

    def _after(self, spec: dict[str, Any]) -> Callable[[], None] | None:
        # A skill saved, rolled back or deleted from here is run in its new form at once.
        return None if spec["read_only"] else self._sources.clear

    def _verify(self, arguments: dict[str, Any]) -> None:
        """Run a new skill's examples and tests here before it is sent to be saved.

        Raises:
            SkillVerificationError: An example or test failed; nothing is sent.
            ModuleNotFoundError: A package it requires is not installed (deps.add fixes it).
        """
        examples, tests = arguments.get("examples"), arguments.get("tests")
        if not examples and not tests:
            return
        from py_code_mode._runtime import verify  # only a save with examples pays for it

        name, source = arguments.get("name"), arguments.get("source")
        if not isinstance(name, str) or not name.isidentifier() or not isinstance(source, str):
            return  # the host refuses it, saying why
        if any(len(text) > verify.MAX_SOURCE_CHARS for text in (source, tests or "")):
            return  # the host refuses sources this large before running anything
        if examples is not None and not verify.examples_shaped(examples):
            return  # the host refuses the shape, saying what an example looks like
        requires = arguments.get("requires")
        if isinstance(requires, list | tuple):
            check_requires(name, [str(item) for item in requires])
        try:
            tree = parse_module(source, f"<skill {name}>")
        except SyntaxError:
            return  # the host says where
        if not any(getattr(node, "name", None) == "run" for node in tree.body):
            return  # the host says what a skill must define
        module_globals = self._module(name, source)
        verify.run_examples(name, module_globals["run"], list(examples or ()))
        if isinstance(tests, str) and tests.strip():
            verify.run_tests(name, tests, module_globals)

    def __getattr__(self, name: str) -> SkillInvoker:
        if name.startswith("_"):
            raise AttributeError(name)
        return SkillInvoker(self, name)


def declared_requires(tree: Any) -> list[str]:
    """The strings of a module-level ``__requires__ = [...]`` (the host checked them)."""
    declared: list[str] = []
    for node in tree.body:
        if type(node).__name__ != "Assign":
            continue
        if any(getattr(target, "id", None) == "__requires__" for target in node.targets):
            declared = [getattr(item, "value", "") for item in getattr(node.value, "elts", ())]
    return declared


def check_requires(name: str, declared: Sequence[str]) -> None:
    """Raise ModuleNotFoundError, naming the deps.add that fixes it, for a missing package.

    Only the distribution names matter here: is each installed where this worker imports
    from? Only a skill that declares requirements pays for importing importlib.metadata.
    """
    if not declared:
        return
    import importlib.metadata

    missing, names = [], []
    for requirement in declared:
        text = str(requirement)
        end = 0
        while end < len(text) and (text[end].isalnum() or text[end] in "._-"):
            end += 1
        try:
            importlib.metadata.distribution(text[:end])
        except importlib.metadata.PackageNotFoundError:
            missing.append(text)
            names.append(text[:end])
    if missing:
        fix = "; ".join(f"deps.add({requirement!r})" for requirement in missing)
        error = ModuleNotFoundError(
            f"Skill {name!r} needs {', '.join(missing)}, which this session has not "
            f"installed: {fix} installs it"
        )
        error.name = names[0]
        raise error


class Artifacts(_Namespace):
    """Data that outlives the session: str, bytes and JSON values come back exactly."""

    def _before(self, spec: dict[str, Any]) -> Callable[[dict[str, Any]], None] | None:
        return _check_artifact_data if spec["verb"] == "artifacts.save" else None


def _check_artifact_data(arguments: dict[str, Any]) -> None:
    """Refuse what would not come back exactly before it crosses, as the host would."""
    refusal = artifact_refusal(arguments.get("data"))
    if refusal is not None:
        raise errors.ArtifactDataError(refusal)


class Deps(_Namespace):
    """Python packages for this session, installed into the workspace's own environment."""

    def __init__(
        self, channel: Channel, specs: Sequence[dict[str, Any]], paths: Sequence[str]
    ) -> None:
        self._paths = list(paths)
        super().__init__("deps", channel, specs)

    def _after(self, spec: dict[str, Any]) -> Callable[[], None] | None:
        return None if spec["read_only"] else self.refresh

    def refresh(self) -> None:
        """Make freshly installed packages importable without a restart."""
        add_import_paths(self._paths)
        importlib.invalidate_caches()


def add_import_paths(paths: Sequence[str]) -> None:
    """Put `paths` on sys.path after the standard library and before site-packages."""
    for path in paths:
        if path in sys.path:
            continue
        index = next(
            (
                i
                for i, entry in enumerate(sys.path)
                if entry.endswith(("site-packages", "dist-packages"))
            ),
            len(sys.path),
        )
        sys.path.insert(index, path)


def build_namespaces(
    channel: Channel, paths: Sequence[str], operations: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The four namespaces bound to one channel, as they appear in agent globals.

    `operations` are the specs of the namespace methods, as the host sends them.
    """
    specs: dict[str, list[dict[str, Any]]] = {
        "tools": [],
        "skills": [],
        "artifacts": [],
        "deps": [],
    }
    for spec in operations:
        specs[spec["namespace"]].append(spec)
    scope: dict[str, Any] = {}
    scope["tools"] = Tools(channel, specs["tools"])
    scope["skills"] = Skills(channel, specs["skills"], lambda: scope)
    scope["artifacts"] = Artifacts("artifacts", channel, specs["artifacts"])
    scope["deps"] = Deps(channel, specs["deps"], paths)
    return scope
