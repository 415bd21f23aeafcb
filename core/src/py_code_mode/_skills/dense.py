"""The dense half of skill search: one vector per skill version, searched with faiss.

Vectors are kept by the SHA-256 of the text they were made from, so a skill is embedded once
per version, whichever host or session embeds it first; the cache is stored with the
skills (`Storage.save_search_index`) and loaded at the first search, so a restart embeds
nothing it has seen. The stored form is checked (a magic line, a header, a SHA-256 of the
body) and a damaged one is dropped and rebuilt, never trusted.

numpy and faiss come with the `[semantic]` extra and are imported only here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from py_code_mode._skills.embedders import Embedder

__all__ = ["DenseIndex", "EmbedderError", "VectorCache", "index_name"]

logger = logging.getLogger("py_code_mode")

_MAGIC = b"py-code-mode vectors 1\n"
_BATCH = 256


class EmbedderError(Exception):
    """The embedder failed or broke its contract; the message says how."""


def index_name(identity: str) -> str:
    """The storage name of an embedder's vector cache: safe as a file or key name."""
    return "vectors-" + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]


def text_key(text: str) -> bytes:
    """The key of a text's vector."""
    return hashlib.sha256(text.encode("utf-8")).digest()


class VectorCache:
    """Vectors by text key for one embedder, with the stored form it loads from and saves to.

    Args:
        identity: The embedder's identity; a stored cache of another identity is ignored.
    """

    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.dimension: int | None = None
        self._vectors: dict[bytes, Any] = {}
        self.changed = False

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, key: bytes) -> Any | None:
        return self._vectors.get(key)

    def load(self, data: bytes | None, where: str) -> None:
        """Take the vectors of a stored cache; a damaged or foreign one is logged and dropped."""
        import numpy as np

        if not data:
            return
        try:
            if not data.startswith(_MAGIC):
                raise ValueError("it does not start with the format's magic line")
            header_end = data.index(b"\n", len(_MAGIC))
            header = json.loads(data[len(_MAGIC) : header_end])
            body = data[header_end + 1 :]
            if hashlib.sha256(body).hexdigest() != header["sha256"]:
                raise ValueError("its checksum does not match its contents")
            if header["identity"] != self.identity:
                return  # another embedder's vectors: of no use, not damage
            count, dimension = int(header["count"]), int(header["dimension"])
            if len(body) != count * (32 + 4 * dimension) or dimension < 1:
                raise ValueError("its length does not match its header")
            keys = body[: 32 * count]
            matrix = np.frombuffer(body[32 * count :], dtype="<f4").reshape(count, dimension)
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("the skill search index %s is damaged (%s); rebuilding it", where, exc)
            self.changed = True
            return
        self.dimension = dimension
        for i in range(count):
            self._vectors[keys[32 * i : 32 * (i + 1)]] = matrix[i]

    def dump(self, keep: Sequence[bytes]) -> bytes:
        """The stored form, holding the vectors of `keep` only (the library's current texts)."""
        import numpy as np

        kept = [key for key in dict.fromkeys(keep) if key in self._vectors]
        dimension = self.dimension or 0
        matrix = (
            np.stack([self._vectors[key] for key in kept]).astype("<f4")
            if kept
            else np.zeros((0, dimension), dtype="<f4")
        )
        body = b"".join(kept) + matrix.tobytes()
        header = {
            "identity": self.identity,
            "dimension": dimension,
            "count": len(kept),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        return _MAGIC + json.dumps(header).encode("utf-8") + b"\n" + body

    def fill(self, embedder: Embedder, texts: Mapping[bytes, str]) -> None:
        """Embed the texts that have no vector yet, in batches.

        Raises:
            EmbedderError: The embedder raised, or returned the wrong number of vectors, or
                vectors of another length than before, or values that are not finite.
        """
        import numpy as np

        missing = [key for key in texts if key not in self._vectors]
        for start in range(0, len(missing), _BATCH):
            batch = missing[start : start + _BATCH]
            try:
                raw = embedder.embed([texts[key] for key in batch])
                matrix = np.asarray(raw, dtype="<f4")
            except Exception as exc:  # noqa: BLE001 - any failure of foreign code is reported
                raise EmbedderError(f"{embedder!r} failed: {type(exc).__name__}: {exc}") from exc
            if matrix.ndim != 2 or matrix.shape[0] != len(batch) or matrix.shape[1] < 1:
                raise EmbedderError(
                    f"{embedder!r} returned {matrix.shape[0] if matrix.ndim else 0} vectors of "
                    f"shape {matrix.shape[1:]} for {len(batch)} texts; it must return one "
                    "vector per text, all of one length"
                )
            if self.dimension is not None and matrix.shape[1] != self.dimension:
                raise EmbedderError(
                    f"{embedder!r} returned vectors of length {matrix.shape[1]}, but its "
                    f"earlier vectors have length {self.dimension}; give it a new identity "
                    "if the model changed"
                )
            if not np.isfinite(matrix).all():
                raise EmbedderError(f"{embedder!r} returned values that are not finite")
            self.dimension = matrix.shape[1]
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            matrix = matrix / np.where(norms == 0, 1, norms)
            for key, vector in zip(batch, matrix, strict=True):
                self._vectors[key] = vector
            self.changed = True


class DenseIndex:
    """Cosine similarity over the current skills' vectors, with faiss."""

    def __init__(self) -> None:
        self._names: list[str] = []
        self._index: Any = None

    def rebuild(self, vectors: Mapping[str, Any]) -> None:
        """Index exactly these skills' vectors (name -> unit vector)."""
        import faiss
        import numpy as np

        self._names = list(vectors)
        if not self._names:
            self._index = None
            return
        matrix = np.stack([vectors[name] for name in self._names]).astype("float32")
        index = faiss.IndexFlatIP(matrix.shape[1])
        index.add(matrix)
        self._index = index

    def search(self, query: Any, limit: int) -> list[tuple[str, float]]:
        """The `limit` nearest skills to a unit query vector, with a positive similarity."""
        import numpy as np

        if self._index is None:
            return []
        found = min(limit, len(self._names))
        scores, rows = self._index.search(np.asarray([query], dtype="float32"), found)
        return [
            (self._names[row], float(score))
            for score, row in zip(scores[0], rows[0], strict=True)
            if row >= 0 and score > 0
        ]
