"""The exec loop: run agent code in persistent globals and describe what happened.

Agent code may use top-level ``await``; the value of a final expression is returned; a
traceback names the agent's own lines (``File "<run 3>", line 2``) and none of ours.

Namespace methods work both plainly and awaited. A plain call blocks on the channel; an
awaited one must not, so that ``asyncio.gather`` can overlap requests. The compiler rewrites
every ``await f(...)`` into ``await __pcm_await__(f, ...)``, which picks the async variant
of our namespace methods and leaves every other callable exactly as it was. Calls handed
straight to asyncio's schedulers get the same treatment, because that is how models write
concurrent code: in ``asyncio.gather(tools.a.b(), ...)`` (and ``asyncio.wait``,
``wait_for``, ``shield``, ``as_completed``, ``ensure_future``, ``create_task``) each
argument that is a call, or the element of a comprehension given as one, goes through the
helper too. These functions accept only awaitables, so our methods give one there and
everything else is unchanged.

Standard library only: this runs inside the worker.
"""

from __future__ import annotations

import _ast  # not `ast`: its enums import `enum`, milliseconds of the worker's start
import _thread
import itertools
import sys

from py_code_mode._runtime import limits, protocol

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the worker ~8 ms
if TYPE_CHECKING:
    from typing import Any

AWAIT_HELPER = "__pcm_await__"
RESULT_NAME = "__pcm_result__"
CO_COROUTINE = 0x0080
_PACKAGE_DIR = __file__.rsplit("/", 2)[0]
_PLUMBING = ("/concurrent/futures/", "/asyncio/")
_AGENT_FILES = ("<run ", "<skill ")


class AsyncCapable:
    """Base of namespace callables: ``obj(...)`` blocks, ``obj.call_async(...)`` is awaitable."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Make the call and block until its result."""
        raise NotImplementedError

    def call_async(self, *args: Any, **kwargs: Any) -> Any:
        """Return an awaitable of the same call."""
        raise NotImplementedError


def _await_call(func: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(func, AsyncCapable):
        return func.call_async(*args, **kwargs)
    return func(*args, **kwargs)


def _located(new: Any, old: Any) -> Any:
    for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        if hasattr(old, attr):
            setattr(new, attr, getattr(old, attr))
    return new


_ASYNCIO_SCHEDULERS = frozenset(
    {"gather", "wait", "wait_for", "shield", "as_completed", "ensure_future", "create_task"}
)
_COMPREHENSIONS = (_ast.GeneratorExp, _ast.ListComp, _ast.SetComp)


def _through_helper(call: Any) -> Any:
    """``f(*a, **kw)`` as ``__pcm_await__(f, *a, **kw)``, at the same place in the source."""
    helper = _located(_ast.Name(id=AWAIT_HELPER, ctx=_ast.Load()), call.func)
    rewritten = _ast.Call(func=helper, args=[call.func, *call.args], keywords=call.keywords)
    return _located(rewritten, call)


def _schedules_awaitables(call: Any) -> bool:
    """Whether `call` is ``asyncio.<scheduler>(...)``, whose arguments must be awaitables.

    Only the ``asyncio.`` spelling: a method of another object named ``create_task`` (a
    to-do API, say) may well want a tool's plain result.
    """
    func = call.func
    return (
        isinstance(func, _ast.Attribute)
        and func.attr in _ASYNCIO_SCHEDULERS
        and isinstance(func.value, _ast.Name)
        and func.value.id == "asyncio"
    )


def _awaitable_argument(arg: Any) -> Any:
    """An argument of a scheduler with its calls routed through the helper."""
    if isinstance(arg, _ast.Call):
        return _through_helper(arg)
    if isinstance(arg, _ast.Starred):
        arg.value = _awaitable_argument(arg.value)
    elif isinstance(arg, _COMPREHENSIONS) and isinstance(arg.elt, _ast.Call):
        arg.elt = _through_helper(arg.elt)
    elif isinstance(arg, _ast.List | _ast.Tuple | _ast.Set):
        arg.elts = [_through_helper(e) if isinstance(e, _ast.Call) else e for e in arg.elts]
    return arg


def _rewrite_awaits(node: Any) -> Any:
    """Route awaited calls and calls given to asyncio's schedulers through the helper."""
    for field in node._fields:
        value = getattr(node, field, None)
        if isinstance(value, _ast.AST):
            _rewrite_awaits(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, _ast.AST):
                    _rewrite_awaits(item)
    if isinstance(node, _ast.Call) and _schedules_awaitables(node):
        node.args = [_awaitable_argument(arg) for arg in node.args]
    if isinstance(node, _ast.Await) and isinstance(node.value, _ast.Call):
        node.value = _through_helper(node.value)
    return node


def parse_module(source: str, filename: str) -> Any:
    """Parse agent or skill source and apply the await rewrite; raise SyntaxError as Python does."""
    tree = compile(source, filename, "exec", _ast.PyCF_ONLY_AST, dont_inherit=True)
    if "await" not in source and "asyncio." not in source:
        return tree  # nothing to rewrite, and the walk costs as much as the parse
    return _rewrite_awaits(tree)


MAX_REMEMBERED_SOURCES = 1000
_SOURCES: dict[str, str] = {}
_CELL_NUMBERS = itertools.count(1)


def remember_source(filename: str, source: str) -> None:
    """Let tracebacks show the agent's lines for a file that only exists in memory.

    `linecache` and `traceback` cost the worker's start several milliseconds, so they are
    imported only when an error is formatted; until then the sources wait here.
    """
    linecache = sys.modules.get("linecache")
    _SOURCES.pop(filename, None)
    _SOURCES[filename] = source
    if len(_SOURCES) > MAX_REMEMBERED_SOURCES:
        oldest = next(iter(_SOURCES))  # its traceback is long gone
        del _SOURCES[oldest]
        if linecache is not None:
            linecache.cache.pop(oldest, None)
    if linecache is not None:  # already imported (always, in-process): keep it current
        _register(linecache, filename, source)


def _register(linecache: Any, filename: str, source: str) -> None:
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)


def compile_agent_code(source: str, filename: str) -> Any:
    """Compile a cell whose last expression statement stores its value in `RESULT_NAME`."""
    tree = parse_module(source, filename)
    if tree.body and isinstance(tree.body[-1], _ast.Expr):
        last = tree.body[-1]
        target = _located(_ast.Name(id=RESULT_NAME, ctx=_ast.Store()), last)
        tree.body[-1] = _located(_ast.Assign(targets=[target], value=last.value), last)
    remember_source(filename, source)
    flags = _ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    return compile(tree, filename, "exec", flags=flags, dont_inherit=True)


def format_exception(exc: BaseException) -> str:
    """Format `exc` like Python does, minus the frames that belong to py-code-mode."""
    import linecache  # deferred: see remember_source
    import traceback

    for filename, source in _SOURCES.items():
        if filename not in linecache.cache:
            _register(linecache, filename, source)
    te = traceback.TracebackException.from_exception(exc)
    _strip_runtime_frames(te, set())
    return "".join(te.format()).rstrip("\n")


def _strip_runtime_frames(te: Any, seen: set[int]) -> None:
    if id(te) in seen:
        return
    seen.add(id(te))
    kept = [frame for frame in te.stack if not frame.filename.startswith(_PACKAGE_DIR)]
    # Frames above the agent's first line (the loop driving a top-level await) and below its
    # last one that only carry a namespace call's answer back (futures, the loop) are ours
    # too, even though they live in the standard library.
    agent = [i for i, f in enumerate(kept) if f.filename.startswith(_AGENT_FILES)]
    if agent:
        tail = kept[agent[-1] + 1 :]
        if all(any(part in f.filename for part in _PLUMBING) for f in tail):
            kept = kept[: agent[-1] + 1]
        kept = kept[agent[0] :]
    te.stack = type(te.stack).from_list(kept)
    for chained in (te.__cause__, te.__context__):
        if chained is not None:
            _strip_runtime_frames(chained, seen)


SHOWN_INT_DIGITS = 100_000
"""The longest int a value's text may hold: converting more takes seconds."""

MAX_SHOWN_CHARS = 1_000_000
"""The longest text of a value that is not data; the middle of a longer one is cut."""


def describe_value(value: Any) -> tuple[Any, str | None]:
    """Return (value to send, error): exact JSON-like values as they are, anything else as text.

    Nothing a value does may end the worker: its `__repr__` may raise anything (even
    `SystemExit`), contain itself, nest thousands deep or hold an int too long for `str()`.
    Each of those becomes an error that says why, and the session goes on.
    """
    if protocol.is_exact(value):
        return value, None
    try:
        text = _text_of(value)
    except RecursionError:
        return None, _UNSHOWN + "it is nested too deeply to write out"
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            return None, _UNSHOWN + f"it holds an int of over {SHOWN_INT_DIGITS:,} digits"
        return None, _UNSHOWN + "repr() raised ValueError"
    except BaseException as exc:  # noqa: BLE001 - a user __repr__ may raise anything at all
        return None, _UNSHOWN + f"repr() raised {type(exc).__name__}"
    if len(text) > MAX_SHOWN_CHARS:
        half = MAX_SHOWN_CHARS // 2
        cut = len(text) - 2 * half
        text = f"{text[:half]}\n[... {cut:,} characters of the value cut ...]\n{text[-half:]}"
    return text, None


_UNSHOWN = "The last expression's value could not be shown: "


def _text_of(value: Any) -> str:
    """`repr(value)`, with room for ints past `str()`'s default limit (up to a bound)."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(SHOWN_INT_DIGITS)
    try:
        return repr(value)
    finally:
        sys.set_int_max_str_digits(limit)


class Engine:
    """Runs cells of agent code in one set of globals that survives between runs."""

    def __init__(self, namespaces: dict[str, Any]) -> None:
        self._namespaces = namespaces
        self.globals: dict[str, Any] = self._fresh_globals()

    def _fresh_globals(self) -> dict[str, Any]:
        scope: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        scope.update(self._namespaces)
        scope[AWAIT_HELPER] = _await_call
        return scope

    def reset(self) -> None:
        """Forget every variable; the namespaces stay."""
        self.globals = self._fresh_globals()

    def _after_run(self) -> None:
        """Let each namespace report what it gathered during the run (skills: their uses)."""
        for namespace in self._namespaces.values():
            after_run = getattr(type(namespace), "after_run", None)
            if after_run is not None:
                try:
                    after_run(namespace)
                except Exception:  # noqa: BLE001, S110 - a report must not change the result
                    pass

    def run(self, source: str) -> dict[str, Any]:
        """Run one cell; return ``{value, error, error_type}`` and never raise for agent errors."""
        # Numbered per process, not per engine: in-process sessions share one line cache.
        filename = f"<run {next(_CELL_NUMBERS)}>"
        try:
            code = compile_agent_code(source, filename)
        except (SyntaxError, ValueError) as exc:
            # SyntaxError: where the parser stopped is the whole story, the frames are all
            # ours. ValueError: source Python cannot compile at all (a NUL byte, a lone
            # surrogate, which is a UnicodeEncodeError).
            import traceback  # deferred: see remember_source

            text = "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
            return {"value": None, "error": text, "error_type": type(exc).__name__}
        try:
            if code.co_flags & CO_COROUTINE:
                self.run_coroutine(eval(code, self.globals))  # noqa: S307 - running agent code is the job
            else:
                exec(code, self.globals)  # noqa: S102 - running agent code is the job
        except SystemExit as exc:
            return {
                "value": None,
                "error": f"SystemExit: the code called sys.exit({exc.code!r}); the session "
                "keeps running and its variables are intact.",
                "error_type": "SystemExit",
            }
        except BaseException as exc:  # noqa: BLE001 - agent errors become results
            return _failure(exc)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            self._after_run()
        value, error = describe_value(self.globals.pop(RESULT_NAME, None))
        return {"value": value, "error": error, "error_type": "ReprError" if error else None}

    def run_coroutine(self, coro: Any) -> Any:
        """Drive a coroutine to completion on this engine's own event loop."""
        return thread_loop().run_until_complete(coro)


def _failure(exc: BaseException) -> dict[str, Any]:
    text = format_exception(exc)
    breached = limits.explain(exc)
    if breached is not None:
        text = f"{text}\n{breached}"
    return {"value": None, "error": text, "error_type": type(exc).__name__}


_thread_loops = _thread._local()


def thread_loop() -> Any:
    """This thread's own event loop, made on first use and reused after."""
    import asyncio  # deferred: only awaiting code pays for asyncio

    loop = getattr(_thread_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _thread_loops.loop = loop
    return loop


def close_thread_loop() -> None:
    """Close this thread's loop, if it made one: a thread that ends must not leak it."""
    loop = getattr(_thread_loops, "loop", None)
    if loop is not None and not loop.is_closed():
        loop.close()


def drive(coro: Any) -> Any:
    """Run a coroutine to completion from blocking code, inside a running loop or not."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return thread_loop().run_until_complete(coro)
    # Called without `await` from async code: this loop is busy running the caller, so the
    # coroutine gets a thread and a loop of its own; the caller blocks, as it asked to.
    import threading  # deferred with asyncio, which imports it anyway

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = thread_loop().run_until_complete(coro)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller below
            box["error"] = exc

    def target_then_close() -> None:
        try:
            target()
        finally:
            close_thread_loop()

    helper = threading.Thread(target=target_then_close, name="pcm-skill", daemon=True)
    helper.start()
    helper.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
