"""`tools`, `skills`, `artifacts` and `deps` as agent code sees them: thin proxies.

Every method is one request over the channel, except running a skill: skills are code, so
the worker fetches a skill's source from the host and runs it here, with these same four
namespaces in scope, which is what lets skills compose.

Standard library only: this runs inside the worker.
"""

from __future__ import annotations

import importlib
import sys
import types

from py_code_mode import errors
from py_code_mode.runtime.engine import (
    AWAIT_HELPER,
    AsyncCapable,
    _await_call,
    drive,
    parse_module,
    remember_source,
)

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the worker ~8 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from py_code_mode.runtime.channel import Channel


class _Request(AsyncCapable):
    """A namespace method: its binder gives the signature and builds the request's args."""

    def __init__(
        self,
        channel: Channel,
        verb: str,
        binder: Callable[..., dict[str, Any]],
        after: Callable[[], None] | None = None,
    ) -> None:
        self._channel = channel
        self._verb = verb
        self._binder = binder
        self._after = after
        self.__wrapped__ = binder  # inspect.signature() and help() follow this
        self.__doc__ = binder.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        value = self._channel.request(self._verb, self._binder(*args, **kwargs))
        if self._after is not None:
            self._after()
        return value

    async def call_async(self, *args: Any, **kwargs: Any) -> Any:
        """Same call, awaitable: several can run at once under `asyncio.gather`."""
        value = await self._channel.request_async(self._verb, self._binder(*args, **kwargs))
        if self._after is not None:
            self._after()
        return value

    def __repr__(self) -> str:
        return f"<{self._verb}>"


# Binders: the public signatures of the namespace methods. Each returns the request's args.


def _no_args() -> dict[str, Any]:
    return {}


def _query(query: str, limit: int = 10) -> dict[str, Any]:
    return {"query": query, "limit": limit}


def _name(name: str) -> dict[str, Any]:
    return {"name": name}


def _skill_create(name: str, source: str, description: str | None = None) -> dict[str, Any]:
    return {"name": name, "source": source, "description": description}


def _artifact_save(
    name: str,
    data: Any,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
    ttl: float | None = None,
) -> dict[str, Any]:
    """Save str, bytes or JSON data under `name`; with `ttl` (seconds) it expires then."""
    return {
        "name": name,
        "data": data,
        "description": description,
        "metadata": metadata,
        "ttl": ttl,
    }


def _spec(spec: str) -> dict[str, Any]:
    return {"spec": spec}


class ToolCall(AsyncCapable):
    """`tools.<tool>(**kw)` or `tools.<tool>.<recipe>(**kw)`: runs on the host."""

    def __init__(self, channel: Channel, tool: str, recipe: str | None) -> None:
        self._channel = channel
        self._tool = tool
        self._recipe = recipe

    def _args(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if args:
            where = f"{self._tool}.{self._recipe}" if self._recipe else self._tool
            raise TypeError(f"tools.{where}() takes keyword arguments only, e.g. url=...")
        return {"tool": self._tool, "recipe": self._recipe, "args": kwargs}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the tool on the host and return its output."""
        return self._channel.request("tools.call", self._args(args, kwargs))

    def call_async(self, *args: Any, **kwargs: Any) -> Any:
        """Same call, as a coroutine (what `asyncio.create_task` wants).

        Arguments are checked now; the request is sent when the coroutine first runs.
        """
        return self._request(self._args(args, kwargs))

    async def _request(self, request: dict[str, Any]) -> Any:
        return await self._channel.request_async("tools.call", request)

    def __repr__(self) -> str:
        return f"<tool {self._tool}{'.' + self._recipe if self._recipe else ''}>"


class Tool(ToolCall):
    """`tools.<tool>`: callable itself, and its recipes are attributes."""

    def __getattr__(self, recipe: str) -> ToolCall:
        if recipe.startswith("_"):
            raise AttributeError(recipe)
        return ToolCall(self._channel, self._tool, recipe)


class Tools:
    """CLI commands and other capabilities of the host, as Python callables."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self.list = _Request(channel, "tools.list", _no_args)
        self.search = _Request(channel, "tools.search", _query)

    def __getattr__(self, name: str) -> Tool:
        if name.startswith("_"):
            raise AttributeError(name)
        return Tool(self._channel, name, None)

    def __repr__(self) -> str:
        return "<tools: tools.list(), tools.search(query), tools.<name>.<recipe>(**kwargs)>"


class SkillInvoker(AsyncCapable):
    """`skills.invoke(name, **kw)`: fetch the skill's source and run it in this process."""

    def __init__(self, skills: Skills, fixed_name: str | None = None) -> None:
        self._skills = skills
        self._fixed_name = fixed_name

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
        result = run(*rest, **kwargs)
        if isinstance(result, types.CoroutineType):
            return drive(result)
        return result

    async def call_async(self, *args: Any, **kwargs: Any) -> Any:
        """Same call, awaitable: an `async def run` is awaited on the caller's loop."""
        name, rest = self._split(args)
        run = self._skills.load(name)
        result = run(*rest, **kwargs)
        if isinstance(result, types.CoroutineType):
            return await result
        return result


class Skills:
    """Reusable workflows: saved Python functions, found by search, composable."""

    def __init__(self, channel: Channel, scope: Callable[[], dict[str, Any]]) -> None:
        self._channel = channel
        self._scope = scope
        self._compiled: dict[tuple[str, str], Callable[..., Any]] = {}
        self.list = _Request(channel, "skills.list", _no_args)
        self.search = _Request(channel, "skills.search", _query)
        self.get = _Request(channel, "skills.get", _name)
        self.create = _Request(channel, "skills.create", _skill_create)
        self.delete = _Request(channel, "skills.delete", _name)
        self.invoke = SkillInvoker(self)

    def load(self, name: str) -> Callable[..., Any]:
        """Return the skill's `run`, compiled once per version of its source."""
        source = self._channel.request("skills.source", {"name": name})
        key = (name, source)
        run = self._compiled.get(key)
        if run is None:
            filename = f"<skill {name}>"
            remember_source(filename, source)
            module_globals = {"__name__": f"skill_{name}", "__builtins__": __builtins__}
            module_globals.update(self._scope())
            module_globals[AWAIT_HELPER] = _await_call
            code = compile(parse_module(source, filename), filename, "exec", dont_inherit=True)
            exec(code, module_globals)  # noqa: S102 - skills are code; running them is the job
            defined = module_globals.get("run")
            if not callable(defined):
                raise errors.InvalidSkillError(f"Skill {name!r} does not define run()")
            self._compiled[key] = run = defined
        return run

    def __getattr__(self, name: str) -> SkillInvoker:
        if name.startswith("_"):
            raise AttributeError(name)
        return SkillInvoker(self, name)

    def __repr__(self) -> str:
        return "<skills: list(), search(q), get(name), create(name, source), invoke(name, **kw)>"


class Artifacts:
    """Data that outlives the session: str, bytes and JSON values come back exactly."""

    def __init__(self, channel: Channel) -> None:
        self.save = _Request(channel, "artifacts.save", _artifact_save)
        self.load = _Request(channel, "artifacts.load", _name)
        self.list = _Request(channel, "artifacts.list", _no_args)
        self.delete = _Request(channel, "artifacts.delete", _name)
        self.exists = _Request(channel, "artifacts.exists", _name)

    def __repr__(self) -> str:
        return (
            "<artifacts: save(name, data, ttl=None), load(name), list(), delete(name), "
            "exists(name)>"
        )


class Deps:
    """Python packages for this session, installed into the workspace's own environment."""

    def __init__(self, channel: Channel, paths: Sequence[str]) -> None:
        self._paths = list(paths)
        self.list = _Request(channel, "deps.list", _no_args)
        self.add = _Request(channel, "deps.add", _spec, after=self.refresh)
        self.remove = _Request(channel, "deps.remove", _spec, after=self.refresh)
        self.sync = _Request(channel, "deps.sync", _no_args, after=self.refresh)

    def refresh(self) -> None:
        """Make freshly installed packages importable without a restart."""
        add_import_paths(self._paths)
        importlib.invalidate_caches()

    def __repr__(self) -> str:
        return "<deps: list(), add(spec), remove(spec), sync()>"


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


def build_namespaces(channel: Channel, paths: Sequence[str]) -> dict[str, Any]:
    """The four namespaces bound to one channel, as they appear in agent globals."""
    scope: dict[str, Any] = {}
    scope["tools"] = Tools(channel)
    scope["skills"] = Skills(channel, lambda: scope)
    scope["artifacts"] = Artifacts(channel)
    scope["deps"] = Deps(channel, paths)
    return scope
