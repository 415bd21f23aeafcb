"""Artifacts over any storage: names checked, values turned into bytes and back exactly.

str is stored as UTF-8 text, bytes as they are, and JSON values (dict, list, int, float,
bool, None) as JSON, so ``42`` comes back as ``42`` and ``"42"`` as ``"42"``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from py_code_mode._params import ArtifactData, ArtifactName, Description, Metadata, Ttl
from py_code_mode._runtime.protocol import artifact_refusal, is_exact
from py_code_mode._storage.base import (
    ArtifactInfo,
    DataType,
    Storage,
    artifact_not_found,
    utc_after,
    utc_now,
)
from py_code_mode.errors import ArtifactDataError, InputError

MAX_TTL_SECONDS = 100 * 365 * 24 * 3600
"""The longest TTL an artifact may have; beyond it, save without one."""


def encode(data: Any) -> tuple[bytes, DataType]:
    """Return (payload, data type) for a value, or raise `ArtifactDataError`."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data), "bytes"
    if isinstance(data, str):
        return data.encode("utf-8", errors="surrogatepass"), "text"
    refusal = artifact_refusal(data)
    if refusal is not None:
        raise ArtifactDataError(refusal)
    # surrogatepass, as for text: a lone surrogate in a string comes back exactly.
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return text.encode("utf-8", errors="surrogatepass"), "json"


def check_ttl(ttl: Any) -> float | None:
    """Return `ttl` as seconds (None: never expires), or raise `InputError`."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise InputError(
            f"ttl must be a number of seconds (e.g. ttl=3600) or None, got {type(ttl).__name__}"
        )
    if not math.isfinite(ttl) or ttl <= 0 or ttl > MAX_TTL_SECONDS:
        raise InputError(
            f"ttl must be a positive number of seconds up to {MAX_TTL_SECONDS}, got {ttl!r}; "
            "leave it out to keep the artifact until it is deleted"
        )
    return float(ttl)


def decode(payload: bytes, data_type: DataType | None, name: str = "") -> Any:
    """Give back the value `encode` was given (or a best guess for files made by hand)."""
    if data_type == "bytes":
        return payload
    if data_type == "text":
        return payload.decode("utf-8", errors="surrogatepass")
    if data_type == "json":
        return json.loads(payload.decode("utf-8", errors="surrogatepass"))
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload
    if name.endswith(".json"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


class ArtifactStore:
    """Artifacts of one storage: names checked, values encoded, records kept."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def save(
        self,
        name: ArtifactName,
        data: ArtifactData,
        description: Description = None,
        metadata: Metadata = None,
        *,
        ttl: Ttl = None,
    ) -> dict[str, Any]:
        """Store `data` under `name`, replacing what was there; return its record.

        With `ttl` (seconds) the artifact expires that long after this save: it is then
        gone for loads, listings and `exists` in every session, and removed from storage.
        """
        seconds = check_ttl(ttl)
        if metadata is not None and not is_exact(metadata):
            raise ArtifactDataError("metadata must be a dict of JSON values (str keys)")
        payload, data_type = encode(data)
        info = ArtifactInfo(
            name=name,
            data_type=data_type,
            size=len(payload),
            created_at=utc_now(),
            description=description or "",
            metadata=dict(metadata or {}),
            expires_at=utc_after(seconds) if seconds is not None else None,
        )
        await self._storage.save_artifact(info, payload)
        return info.to_dict()

    async def load(self, name: ArtifactName) -> Any:
        """The value saved under `name`; raise `ArtifactNotFoundError` if there is none."""
        info, payload = await self._storage.load_artifact(name)
        return decode(payload, info.data_type, info.name)

    async def info(self, name: ArtifactName) -> dict[str, Any]:
        """An artifact's record without its data; raise `ArtifactNotFoundError` if absent."""
        infos = await self._storage.list_artifacts()
        for info in infos:
            if info.name == name:
                return info.to_dict()
        raise artifact_not_found(name, [info.name for info in infos])

    async def list(self) -> list[dict[str, Any]]:
        """Records of every artifact, sorted by name."""
        return [info.to_dict() for info in await self._storage.list_artifacts()]

    async def delete(self, name: ArtifactName) -> bool:
        """Delete an artifact; False if there was none."""
        return await self._storage.delete_artifact(name)

    async def exists(self, name: ArtifactName) -> bool:
        """Whether an artifact of that name exists (its bytes are not read)."""
        return await self._storage.artifact_exists(name)
