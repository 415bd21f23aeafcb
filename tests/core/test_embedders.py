"""The embedder adapters, each wrapping its library's own object around the bundled model.

model2vec loads the bundled model's files itself; LangChain's `Embeddings` and LlamaIndex's
`BaseEmbedding` are subclassed the way users write custom ones, so each adapter is shown
to hand its library's real object real vectors.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from py_code_mode import InProcessExecutor, Session
from py_code_mode._skills.embedders import (
    FastEmbedEmbedder,
    LangChainEmbedder,
    LlamaIndexEmbedder,
    Model2VecEmbedder,
    SentenceTransformerEmbedder,
    StaticModelEmbedder,
    choose_embedder,
    default_embedder,
)

from tests._support import missing

pytestmark = pytest.mark.anyio

TEXTS = ["resize an image", "turn celsius into fahrenheit"]


@pytest.fixture(autouse=True)
def _semantic() -> None:
    for module in ("faiss", "numpy", "static_model", "model2vec"):
        if importlib.util.find_spec(module) is None:
            missing(f"{module} is not installed: the embedders need the [semantic] extra")


def model_directory() -> Path:
    import static_model  # type: ignore[import-untyped]

    return Path(static_model.__file__).parent / "model"


@pytest.fixture(scope="module")
def model2vec() -> Model2VecEmbedder:
    """One load for the module: importing model2vec takes seconds."""
    for module in ("static_model", "model2vec"):
        if importlib.util.find_spec(module) is None:
            missing(f"{module} is not installed: the embedders need the [semantic] extra")
    return Model2VecEmbedder(model_directory())


def same_vectors(left: Any, right: Any) -> bool:
    import numpy as np

    a, b = np.asarray(left, dtype="float32"), np.asarray(right, dtype="float32")
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    return bool(a.shape == b.shape and np.allclose(a, b, atol=1e-4))


def test_the_default_is_the_bundled_static_model() -> None:
    chosen = default_embedder()
    assert isinstance(chosen, StaticModelEmbedder)
    vectors = chosen.embed(TEXTS)
    assert len(vectors) == 2 and len(vectors[0]) == 64
    assert choose_embedder("lexical") is None
    assert isinstance(choose_embedder("hybrid"), StaticModelEmbedder)
    with pytest.raises(ValueError, match="an Embedder"):
        choose_embedder(42)


def test_model2vec_loads_a_model_directory_and_gives_the_same_vectors(
    model2vec: Model2VecEmbedder,
) -> None:
    embedder = model2vec
    assert embedder.identity.startswith("model2vec:")
    assert same_vectors(embedder.embed(TEXTS), StaticModelEmbedder().embed(TEXTS))


def test_a_langchain_embeddings_object_is_an_embedder() -> None:
    from langchain_core.embeddings import Embeddings

    class Bundled(Embeddings):
        model = "bundled-static"

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [list(map(float, v)) for v in StaticModelEmbedder().embed(texts)]

        def embed_query(self, text: str) -> list[float]:
            return self.embed_documents([text])[0]

    embedder = LangChainEmbedder(Bundled())
    assert embedder.identity == "langchain:Bundled:bundled-static"
    assert same_vectors(embedder.embed(TEXTS), StaticModelEmbedder().embed(TEXTS))
    with pytest.raises(TypeError, match="embed_documents"):
        LangChainEmbedder(object())


def test_a_llamaindex_embedding_is_an_embedder() -> None:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    class Bundled(BaseEmbedding):
        def _get_text_embedding(self, text: str) -> list[float]:
            return [float(x) for x in StaticModelEmbedder().embed([text])[0]]

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._get_text_embedding(query)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_text_embedding(query)

    embedder = LlamaIndexEmbedder(Bundled(model_name="bundled-static"))
    assert embedder.identity == "llamaindex:Bundled:bundled-static"
    assert same_vectors(embedder.embed(TEXTS), StaticModelEmbedder().embed(TEXTS))
    with pytest.raises(TypeError, match="get_text_embedding_batch"):
        LlamaIndexEmbedder(object())


async def test_a_session_searches_with_the_embedder_it_is_given(
    tmp_path: Path, model2vec: Model2VecEmbedder
) -> None:
    embedder = model2vec
    session = Session.from_base(tmp_path, executor=InProcessExecutor(), skill_search=embedder)
    async with session:
        await session.create_skill(
            name="c_to_f", source="def run(c: float) -> float:\n    return c * 9 / 5 + 32\n"
        )
        found = await session.run("[s['name'] for s in skills.search('celsius to fahrenheit')]")
    assert found.value == ["c_to_f"], found.error
    stored = list((tmp_path / ".py-code-mode" / "search").glob("vectors-*.bin"))
    assert len(stored) == 1


@pytest.mark.parametrize(
    ("adapter", "module", "install"),
    [
        (FastEmbedEmbedder, "fastembed", "pip install fastembed"),
        (SentenceTransformerEmbedder, "sentence_transformers", "pip install sentence-transformers"),
    ],
)
def test_the_adapters_for_heavier_libraries_say_how_to_install_them(
    adapter: Any, module: str, install: str
) -> None:
    # fastembed and sentence-transformers fetch their models from the network (and the
    # latter needs torch), so the suite cannot load one; it checks what a user meets
    # without them, and that an object of the wrong kind is refused by name.
    with pytest.raises(TypeError, match="got object"):
        adapter(object())
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here; loading a named model needs the network")
    with pytest.raises(ImportError, match=install):
        adapter("BAAI/bge-small-en-v1.5")
