"""The frames that cross the channel between a host Session and its worker.

A frame is a 4-byte big-endian length followed by that many bytes of JSON. JSON cannot hold
bytes, so bytes travel tagged as ``{"$bytes": "<base64>"}``; a dict that happens to look
like a tag travels escaped as ``{"$dict": [[key, value], ...]}``. Nothing else is allowed
across: never a pickle, so the host never deserialises code from a worker.

Frame shapes (``kind`` first):

- host -> worker: ``run`` (id, code), ``reset`` (id), ``reply`` (id, value or
  error) answering a worker request.
- worker -> host: ``ready``, ``request`` (id, verb, args, main: made by the thread that
  runs the code, so a timeout abandons it), ``done`` (id, result).

Standard library only: the worker imports this module at start.
"""

from __future__ import annotations

import binascii
import os
import struct

from py_code_mode._runtime import jsoncodec

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the worker ~8 ms
if TYPE_CHECKING:
    from typing import Any

HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = (1 << 32) - 1
"""What the 4-byte header can describe."""

DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024
"""The largest frame a worker may send unless the executor says otherwise."""
BYTES_TAG = "$bytes"
DICT_TAG = "$dict"
_TAGS = frozenset({BYTES_TAG, DICT_TAG})


class WireError(TypeError):
    """A value that cannot cross the channel as data."""


class FrameTooLarge(ValueError):
    """A message that would be larger than the frames the channel carries."""


class ProtocolError(Exception):
    """Bytes on the channel that break the protocol: the other end cannot be believed."""


def to_wire(value: Any) -> Any:
    """Return `value` as plain JSON data, tagging bytes; raise `WireError` for anything else."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return {BYTES_TAG: binascii.b2a_base64(value, newline=False).decode("ascii")}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise WireError(f"dict keys must be str to cross the channel, got {key!r}")
        if len(value) == 1 and next(iter(value)) in _TAGS:
            return {DICT_TAG: [[k, to_wire(v)] for k, v in value.items()]}
        return {k: to_wire(v) for k, v in value.items()}
    raise WireError(
        f"{type(value).__name__} cannot cross the channel: use str, bytes, int, float, bool, "
        "None, or lists and dicts of those"
    )


def _from_wire_object(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if BYTES_TAG in obj:
            return binascii.a2b_base64(obj[BYTES_TAG])
        if DICT_TAG in obj:
            return dict(obj[DICT_TAG])
    return obj


def dumps(message: dict[str, Any], max_bytes: int = MAX_FRAME_BYTES) -> bytes:
    """Serialise one frame, header included.

    Raises:
        FrameTooLarge: The frame would be larger than `max_bytes`.
    """
    payload = jsoncodec.dumps(to_wire(message)).encode("ascii")
    if len(payload) > max_bytes:
        raise FrameTooLarge(
            f"it is {len(payload):,} bytes as data, and the channel carries at most "
            f"{max_bytes:,} bytes per message"
        )
    return HEADER.pack(len(payload)) + payload


def loads(payload: bytes) -> Any:
    """Deserialise one frame's payload (the bytes after the header)."""
    return jsoncodec.loads(payload.decode("utf-8"), object_hook=_from_wire_object)


def roundtrip(value: Any) -> Any:
    """Copy `value` exactly as the channel would: the in-process executor's stand-in for a pipe."""
    return jsoncodec.loads(jsoncodec.dumps(to_wire(value)), object_hook=_from_wire_object)


MAX_DEPTH = 100
"""How deeply lists and dicts may nest in a value that crosses as data."""

MAX_INT_BITS = 14_000
"""The largest int that crosses as data: below the 4,300 digits `str()` gives by default."""


def is_exact(value: Any, _depth: int = 0) -> bool:
    """Whether `value` comes back from `roundtrip` equal and of the same types.

    False for what JSON could hold but the channel should not carry: nesting deeper than
    `MAX_DEPTH` (which also ends the walk of a structure that contains itself) and ints
    beyond `MAX_INT_BITS`, which `str()` refuses.
    """
    if value is None or isinstance(value, str | bool | bytes):
        return True
    if isinstance(value, int):
        return value.bit_length() <= MAX_INT_BITS
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if _depth >= MAX_DEPTH:
        return False
    if isinstance(value, list):
        return all(is_exact(item, _depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_exact(v, _depth + 1) for k, v in value.items())
    return False


def artifact_refusal(data: Any) -> str | None:
    """Why `data` cannot be saved as an artifact that comes back exactly; None if it can.

    One rule for the host's `save_artifact` and the worker's `artifacts.save`, which checks
    before sending: the channel itself would turn a tuple into a list, and refuse a set
    with a message about the channel rather than about artifacts.
    """
    if isinstance(data, str | bytes | bytearray | memoryview):
        return None
    if is_exact(data) and not _contains_bytes(data):
        return None
    return (
        f"artifacts.save cannot store a value of type {type(data).__name__} exactly: save "
        "str, bytes, or JSON values (dict with str keys, list, int, float, bool, None); "
        "convert other values first, e.g. list(a_set) or json.dumps(obj, default=str)"
    )


def _contains_bytes(data: Any) -> bool:
    if isinstance(data, bytes):
        return True
    if isinstance(data, list):
        return any(_contains_bytes(item) for item in data)
    if isinstance(data, dict):
        return any(_contains_bytes(item) for item in data.values())
    return False


def error_payload(exc: BaseException) -> dict[str, str]:
    """Describe an exception for a reply frame: its class name and its message."""
    return {"type": type(exc).__name__, "message": str(exc)}


def write_frame(fd: int, message: dict[str, Any], max_bytes: int = MAX_FRAME_BYTES) -> None:
    """Write one whole frame to a blocking file descriptor.

    Raises:
        FrameTooLarge: The frame would be larger than `max_bytes`; nothing was written.
    """
    data = memoryview(dumps(message, max_bytes))
    while data:
        written = os.write(fd, data)
        data = data[written:]


_SMALL_READ = 1 << 16
_LARGE_READ = 1 << 24


class FrameBuffer:
    """Bytes read from a pipe, cut into frames: one read may carry several, or part of one.

    With `max_bytes`, the other end is not trusted: a header announcing a larger frame,
    a payload that is not JSON, or JSON that is not an object raises `ProtocolError` as
    soon as it is seen, before anything is buffered for it.
    """

    __slots__ = ("_data", "_max")

    def __init__(self, max_bytes: int = MAX_FRAME_BYTES) -> None:
        self._data = bytearray()
        self._max = max_bytes

    def feed(self, chunk: bytes) -> None:
        """Append bytes as they were read."""
        self._data += chunk

    def read_size(self) -> int:
        """How many bytes the next read should ask for.

        64 KiB, or what the frame in progress still lacks when that is more (up to 16 MiB
        per read). Never more by default: a read buffer above the allocator's mmap
        threshold costs an mmap and a munmap per read, ~15x a small read of a small frame.
        """
        wanted = _SMALL_READ
        if len(self._data) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._data)
            size = min(size, self._max)
            wanted = max(wanted, min(HEADER.size + size - len(self._data), _LARGE_READ))
        return wanted

    def pop(self) -> Any | None:
        """The next whole frame, decoded, or None until more bytes arrive.

        Raises:
            ProtocolError: The bytes break the protocol (see the class).
        """
        data = self._data
        if len(data) < HEADER.size:
            return None
        (size,) = HEADER.unpack_from(data)
        if size > self._max:
            raise ProtocolError(f"a frame of {size:,} bytes, and the most allowed is {self._max:,}")
        end = HEADER.size + size
        if len(data) < end:
            return None
        payload = bytes(data[HEADER.size : end])
        del data[:end]
        try:
            frame = loads(payload)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError too
            raise ProtocolError("a frame that is not JSON") from None
        if not isinstance(frame, dict):
            raise ProtocolError(f"a frame that is not an object but {type(frame).__name__}")
        return frame
