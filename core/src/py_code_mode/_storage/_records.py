"""Artifact records as every store keeps them: upstream's index entry, and the way back.

An index entry is ``{"description", "created_at", "metadata": {..., "_data_type"}}`` (the
upstream py-code-mode format), plus ``"expires_at"`` for an artifact saved with a TTL and,
in Redis, ``"size"``. Upstream readers ignore the extra keys; entries upstream wrote (or a
person wrote by hand) load too, with the type guessed from the bytes.
"""

from __future__ import annotations

from typing import Any

from py_code_mode._artifacts import decode
from py_code_mode._storage.base import ArtifactInfo, DataType, seconds_until

DATA_TYPE_KEY = "_data_type"
_DATA_TYPES: dict[Any, DataType] = {"bytes": "bytes", "text": "text", "json": "json"}


def index_entry(info: ArtifactInfo) -> dict[str, Any]:
    """The entry that describes `info` in an artifact index."""
    entry: dict[str, Any] = {
        "description": info.description,
        "created_at": info.created_at,
        "metadata": {**info.metadata, DATA_TYPE_KEY: info.data_type},
    }
    if info.expires_at is not None:
        entry["expires_at"] = info.expires_at
    return entry


def as_entry(value: Any) -> dict[str, Any]:
    """An index entry as found in storage; anything that is not a mapping counts as none."""
    return value if isinstance(value, dict) else {}


def stored_type(entry: dict[str, Any]) -> DataType | None:
    """The data type the entry records, or None if it records none (a foreign entry)."""
    metadata = entry.get("metadata")
    return _DATA_TYPES.get(metadata.get(DATA_TYPE_KEY)) if isinstance(metadata, dict) else None


def guess_type(payload: bytes, name: str) -> DataType:
    """What bytes saved without a record hold, judged the way `decode` reads them."""
    value = decode(payload, None, name)
    if isinstance(value, bytes):
        return "bytes"
    return "text" if isinstance(value, str) else "json"


def expires_at(entry: dict[str, Any]) -> str | None:
    """The entry's expiry time, or None if it has none (or one that cannot be read)."""
    value = entry.get("expires_at")
    if not isinstance(value, str):
        return None
    try:
        seconds_until(value)
    except (ValueError, TypeError):
        return None
    return value


def is_expired(entry: dict[str, Any]) -> bool:
    """Whether the entry's artifact has expired by this machine's clock."""
    when = expires_at(entry)
    return when is not None and seconds_until(when) <= 0


def info_from_entry(
    name: str, entry: dict[str, Any], *, size: int, data_type: DataType, created_at: str
) -> ArtifactInfo:
    """The record of an artifact from its index entry; `created_at` fills a missing time."""
    metadata = entry.get("metadata")
    user_metadata = {
        key: value
        for key, value in (metadata.items() if isinstance(metadata, dict) else ())
        if key != DATA_TYPE_KEY
    }
    created = entry.get("created_at")
    return ArtifactInfo(
        name=name,
        data_type=data_type,
        size=size,
        created_at=created if isinstance(created, str) else created_at,
        description=str(entry.get("description") or ""),
        metadata=user_metadata,
        expires_at=expires_at(entry),
    )
