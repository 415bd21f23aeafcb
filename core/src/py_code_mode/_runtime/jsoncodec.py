"""JSON for the channel without importing the `json` package.

`import json` costs the worker about 5 ms of its start (json.decoder pulls in `re`, which
pulls in `enum`), and the worker's start is the floor of every session's start. The C
accelerator `_json` that `json` itself uses has no such imports, so the channel calls it
directly with exactly the settings `json.dumps(obj, separators=(",", ":"))` and
`json.loads(text, object_hook=...)` would pass. Where `_json` is missing (not CPython),
this falls back to the `json` package with the same settings.

Standard library only: this runs inside the worker.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the worker ~8 ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["dumps", "loads"]


class _ScannerContext:
    """The attributes `_json.make_scanner` reads, as `json.JSONDecoder` sets them."""

    strict = True
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float  # like json.loads: NaN, Infinity, -Infinity become floats

    def __init__(self, object_hook: Callable[[dict[str, Any]], Any] | None) -> None:
        self.object_hook = object_hook
        self.memo: dict[str, str] = {}


def _cannot_encode(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_accelerator: Any
try:
    import _json as _accelerator
except ImportError:  # pragma: no cover - every CPython has it
    _accelerator = None


def dumps(value: Any) -> str:
    """Compact JSON text, ASCII only, like ``json.dumps(value, separators=(",", ":"))``."""
    if _accelerator is None:  # pragma: no cover
        import json

        return json.dumps(value, separators=(",", ":"))
    encode = _accelerator.make_encoder(
        {}, _cannot_encode, _accelerator.encode_basestring_ascii, None, ":", ",", False, False, True
    )
    return "".join(encode(value, 0))


def loads(text: str, object_hook: Callable[[dict[str, Any]], Any] | None = None) -> Any:
    """Parse one JSON document, like ``json.loads(text, object_hook=object_hook)``."""
    if _accelerator is None:  # pragma: no cover
        import json

        return json.loads(text, object_hook=object_hook)
    scan = _accelerator.make_scanner(_ScannerContext(object_hook))
    start = _skip_space(text, 0)
    try:
        value, end = scan(text, start)
    except StopIteration as exc:
        raise ValueError(f"invalid JSON: expecting a value at character {exc.value}") from None
    if _skip_space(text, end) != len(text):
        raise ValueError(f"invalid JSON: extra data at character {end}")
    return value


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\n\r":
        index += 1
    return index
