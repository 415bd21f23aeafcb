"""The lexical ranker behind skill and tool search: words as code names write them."""

from __future__ import annotations

import pytest
from py_code_mode._ranking import Document, LexicalIndex, rank, tokenize

WEIGHTS = {"name": 3.0, "description": 2.0}


def best(query: str, *documents: tuple[str, str]) -> list[str]:
    docs = [
        Document(key=name, fields={"name": name, "description": text}) for name, text in documents
    ]
    return rank(query, docs, WEIGHTS, 10)


def test_code_names_split_into_stemmed_words() -> None:
    assert tokenize("fetchRepoStars csv2json parse_ISO_ts HTTPServer") == [
        "fetch", "repo", "star", "csv", "2", "json", "pars", "iso", "ts", "http", "server",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("converting temperatures", "convert_temperature"),  # inflections meet
        ("github repository stars", "gh_repo_stars"),  # abbreviations meet their words
        ("remove old backups", "delete_old_backups"),  # a near-synonym meets
        ("image thumbnail", "resize_img"),
    ],
)
def test_a_query_finds_a_name_written_differently(query: str, expected: str) -> None:
    found = best(
        query,
        ("convert_temperature", ""),
        ("gh_repo_stars", ""),
        ("delete_old_backups", ""),
        ("resize_img", "Shrink a picture to fit a box"),
        ("send_invoice", "Email an invoice to a customer"),
    )
    assert found[0] == expected, found


def test_the_words_themselves_outrank_their_synonyms() -> None:
    found = best("delete files", ("remove_files", ""), ("delete_files", ""))
    assert found == ["delete_files", "remove_files"]


def test_nothing_matches_a_query_of_stopwords_or_unknown_words() -> None:
    assert best("the of and", ("a", "b")) == []
    assert best("zebra", ("csv_to_json", "Convert a CSV file")) == []


def test_the_index_adds_replaces_and_removes_documents_one_at_a_time() -> None:
    index = LexicalIndex(WEIGHTS)
    index.add(Document("a", {"name": "parse_csv", "description": "Read a CSV file"}))
    index.add(Document("b", {"name": "parse_json", "description": "Read a JSON file"}))
    assert [key for key, _ in index.search("json", 5)] == ["b"]

    index.add(Document("b", {"name": "parse_yaml", "description": "Read a YAML file"}))
    assert index.search("json", 5) == [] and len(index) == 2
    index.remove("a")
    assert [key for key, _ in index.search("file", 5)] == ["b"]
    index.remove("a")  # twice is harmless
    index.remove("b")
    assert index.search("file", 5) == [] and len(index) == 0
    # Once empty, totals are back at zero: nothing of the old documents remains.
    index.add(Document("c", {"name": "x", "description": ""}))
    assert [key for key, _ in index.search("x", 5)] == ["c"]


def test_equal_scores_come_in_name_order_and_limit_cuts() -> None:
    docs = [("b_report", ""), ("a_report", ""), ("c_report", "")]
    assert best("report", *docs) == ["a_report", "b_report", "c_report"]
    index = LexicalIndex(WEIGHTS)
    for name, text in docs:
        index.add(Document(name, {"name": name, "description": text}))
    assert [key for key, _ in index.search("report", 2)] == ["a_report", "b_report"]
