"""Hybrid skill search on File and Redis storage, with the real bundled static model.

The vectors come from tokenlearn-static-model (the `[semantic]` extra's default embedder),
never from random numbers; embedders that fail are real ones wrapped to fail.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence

import pytest
from py_code_mode import InProcessExecutor, Session, Storage
from py_code_mode._skills.dense import index_name
from py_code_mode._skills.embedders import StaticModelEmbedder
from py_code_mode._skills.library import SkillLibrary

from bench import skill_corpus as corpus
from tests._support import missing

pytestmark = pytest.mark.anyio

SKILLS = {
    "rgb_to_hex": (
        "Turn an RGB tuple into a hex colour code",
        "def run(r: int, g: int, b: int) -> str:\n"
        "    for v in (r, g, b):\n"
        "        if not 0 <= v <= 255:\n"
        "            raise ValueError(f'channel out of range: {v}')\n"
        "    return f'#{r:02x}{g:02x}{b:02x}'\n",
    ),
    "hash_password": (
        "Hash a password with PBKDF2 for storage",
        "def run(password: str, iterations: int = 600_000) -> str:\n"
        '    """PBKDF2-SHA256 hash in iterations$salt$hash form for storing."""\n'
        "    return password\n",
    ),
    "verify_checksum": (
        "",
        "def run(path: str, expected: str, algo: str = 'sha256') -> bool:\n"
        '    """Compare a file\'s digest against a published checksum."""\n'
        "    return True\n",
    ),
    "find_dupe_files": (
        "Find duplicate files by content hash",
        "def run(root: str) -> list[list[str]]:\n"
        '    """Groups of identical files under a directory."""\n'
        "    return []\n",
    ),
    "age_from_dob": (
        "Compute someone's age in years from a birth date",
        "def run(dob: str, on: str | None = None) -> int:\n    return 0\n",
    ),
    "gunzip_file": (
        "",
        "def run(gz_path: str) -> str:\n"
        '    """Decompress a .gz file next to it."""\n'
        "    return gz_path\n",
    ),
}
PARAPHRASE = "css hash notation for red 255 green 128 blue 0"


@pytest.fixture(autouse=True)
def _semantic() -> None:
    for module in ("faiss", "numpy", "static_model"):
        if importlib.util.find_spec(module) is None:
            missing(f"{module} is not installed: semantic search needs the [semantic] extra")


class Counting:
    """The bundled model, counting the texts it embeds; optionally breaking as told."""

    def __init__(self, identity: str | None = None, fail: str | None = None) -> None:
        self.model = StaticModelEmbedder()
        self.identity = identity or self.model.identity
        self.texts: list[str] = []
        self.fail = fail

    def __repr__(self) -> str:
        return f"Counting({self.identity!r})"

    def embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        self.texts += texts
        if self.fail == "raise":
            raise RuntimeError("the model server is down")
        vectors = self.model.embed(texts)
        if self.fail == "short":
            return [list(v)[:16] for v in vectors]
        return vectors


async def fill(storage: Storage) -> None:
    await storage.open()
    library = SkillLibrary(storage)
    for name, (description, source) in SKILLS.items():
        await library.create(name, source, description or None)


async def top(library: SkillLibrary, query: str) -> list[str]:
    return [skill["name"] for skill in await library.search(query, 3)]


async def test_on_a_real_library_hybrid_finds_paraphrases_that_words_alone_miss(
    storage: Storage,
) -> None:
    # The benchmark's library: 256 skills as agents save them, and queries written blind.
    await storage.open()
    lexical = SkillLibrary(storage)
    for skill in corpus.SKILLS:
        await lexical.create(skill["name"], skill["source"], skill["description"] or None)
    hybrid = SkillLibrary(storage, StaticModelEmbedder())

    for query, expected in [
        ("css hash notation for red 255 green 128 blue 0", "rgb_to_hex"),
        ("calendar file someone can import into outlook", "ics_event"),
    ]:
        assert expected not in await top(lexical, query), query
        assert (await top(hybrid, query))[0] == expected, query

    found = {"lexical": 0, "hybrid": 0}
    for query, expected in corpus.QUERIES:
        found["lexical"] += expected in await top(lexical, query)
        found["hybrid"] += expected in await top(hybrid, query)
    assert found["hybrid"] > found["lexical"], found


async def test_vectors_are_made_once_per_skill_version_and_shared_through_storage(
    storage: Storage,
) -> None:
    await fill(storage)
    first = Counting()
    await top(SkillLibrary(storage, first), "unzip an archive")
    assert len(first.texts) == len(SKILLS) + 1  # every skill, then the query

    second = Counting()  # another session, or another host, on the same storage
    library = SkillLibrary(storage, second)
    assert await top(library, "unzip an archive")
    assert second.texts == ["unzip an archive"]

    await library.create("gzip_file", "def run(path: str) -> str:\n    return path\n", None)
    await top(library, "compress")
    assert second.texts[1:] == ["gzip file. . path", "compress"]


async def test_a_damaged_index_is_rebuilt_and_a_new_embedder_never_reuses_old_vectors(
    storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    await fill(storage)
    await top(SkillLibrary(storage, Counting()), "age")
    name = index_name(StaticModelEmbedder.identity)
    stored = await storage.load_search_index(name)
    assert stored is not None
    await storage.save_search_index(name, stored[:-7] + b"garbage")

    with caplog.at_level(logging.WARNING, logger="py_code_mode"):
        rebuilt = Counting()
        assert (await top(SkillLibrary(storage, rebuilt), "how old is a person"))[
            0
        ] == "age_from_dob"
    assert "damaged" in caplog.text and len(rebuilt.texts) == len(SKILLS) + 1
    assert await storage.load_search_index(name) != stored[:-7] + b"garbage"
    again = Counting()
    await top(SkillLibrary(storage, again), "age")
    assert again.texts == ["age"]  # the rebuilt index is sound

    other = Counting(identity="another-model")
    await top(SkillLibrary(storage, other), "age")
    assert len(other.texts) == len(SKILLS) + 1


@pytest.mark.parametrize(
    ("fail", "said"), [("raise", "the model server is down"), ("short", "length 16")]
)
async def test_a_failing_embedder_leaves_search_working_on_words(
    storage: Storage, caplog: pytest.LogCaptureFixture, fail: str, said: str
) -> None:
    await fill(storage)
    if fail == "short":  # vectors of one length first, then of another
        await top(SkillLibrary(storage, Counting()), "x")
        await storage.open()
        await SkillLibrary(storage).create("later", "def run() -> None:\n    pass\n", None)
    with caplog.at_level(logging.WARNING, logger="py_code_mode"):
        found = await top(SkillLibrary(storage, Counting(fail=fail)), "decompress gz file")
    assert found[0] == "gunzip_file"
    assert "falls back to words alone" in caplog.text and said in caplog.text


async def test_the_session_chooses_hybrid_by_default_and_checks_its_argument(
    tmp_path: pytest.TempPathFactory,
) -> None:
    with pytest.raises(ValueError, match="skill_search must be 'auto', 'lexical', 'hybrid'"):
        Session.from_base(str(tmp_path), skill_search="semantic")
    for choice, stored in (("lexical", False), ("auto", True), ("hybrid", True)):
        workspace = f"{tmp_path}/{choice}"
        session = Session.from_base(workspace, executor=InProcessExecutor(), skill_search=choice)
        async with session:
            await session.create_skill(name="rgb_to_hex", source=SKILLS["rgb_to_hex"][1])
            await session.search_skills(PARAPHRASE)
            index = await session.storage.load_search_index(
                index_name(StaticModelEmbedder.identity)
            )
        assert (index is not None) is stored, choice
