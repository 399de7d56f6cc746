import json
from dataclasses import dataclass, field

import pyarrow as pa
import pytest

from curation.schema import DOC_SCHEMA, REJECT_SCHEMA, doc_id, from_row, make_doc, reject, to_row, with_meta
from llama_data.config import ConfigError, check, load_config


def test_doc_id_is_stable_and_depends_on_source_and_native_id():
    assert doc_id("c4", "a.json.gz:1") == doc_id("c4", "a.json.gz:1")
    assert doc_id("c4", "a.json.gz:1") == "191ff317cbbce5e5a40d5954a6ac5678"  # blake2b-128, fixed forever
    assert doc_id("c4", "x") != doc_id("books", "x")
    assert doc_id("c4", "x") != doc_id("c4", "y")
    assert len(doc_id("c4", "x")) == 32


def test_document_rows_fit_the_one_schema():
    doc = make_doc("wikipedia", "enwiki/12", "Anarchism is ...", "https://en.wikipedia.org/wiki/Anarchism",
                   language="en", title="Anarchism")
    table = pa.Table.from_pylist([to_row(doc)], schema=DOC_SCHEMA)
    assert table.column_names == ["id", "source", "text", "url", "meta"]
    assert json.loads(table.column("meta")[0].as_py()) == {"language": "en", "title": "Anarchism"}
    dropped = reject(with_meta(doc, language_score=0.2), "lang")
    assert doc["meta"] == {"language": "en", "title": "Anarchism"}  # with_meta changed a copy
    row = from_row(pa.Table.from_pylist([to_row(dropped)], schema=REJECT_SCHEMA).to_pylist()[0])
    assert row == {**dropped, "meta": {"language": "en", "title": "Anarchism", "language_score": 0.2}}


def test_meta_is_a_dict_in_memory_and_sorted_json_with_its_characters_as_they_are_when_stored():
    doc = make_doc("wikipedia", "dewiki/7", "Köln ...", title="Köln am Rhein", page_id=7, language="de")
    assert doc["meta"] == {"title": "Köln am Rhein", "page_id": 7, "language": "de"}
    assert to_row(doc)["meta"] == '{"language": "de", "page_id": 7, "title": "Köln am Rhein"}'
    assert from_row(to_row(doc)) == doc and to_row(from_row(to_row(doc))) == to_row(doc)


def test_make_doc_refuses_unknown_source():
    with pytest.raises(ValueError, match="unknown source 'reddit'"):
        make_doc("reddit", "1", "text")


@dataclass
class Inner:
    threshold: float = 0.5

    def __post_init__(self):
        check(0 <= self.threshold <= 1, "threshold", "must be between 0 and 1")


@dataclass
class Outer:
    name: str = "x"
    tokens: float = 1.0
    weights: dict[str, float] = field(default_factory=dict)
    inner: Inner = field(default_factory=Inner)


def test_config_maps_yaml_onto_dataclasses(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: demo\ntokens: 1.4e12\nweights: {c4: 15, books: 4.5}\ninner: {threshold: 0.7}\n")
    cfg = load_config(path, Outer)
    assert cfg == Outer("demo", 1.4e12, {"c4": 15.0, "books": 4.5}, Inner(0.7))


@pytest.mark.parametrize("text, message", [
    ("nmae: demo\n", "unknown key 'nmae'"),
    ("inner: {treshold: 1}\n", "unknown key 'inner.treshold'"),
    ("inner: {threshold: 2}\n", "'inner.threshold' must be between 0 and 1"),
    ("tokens: lots\n", "'tokens' must be float"),
    ("weights: {c4: heavy}\n", "'weights.c4' must be float"),
    ("name: [1\n", "not valid YAML"),
])
def test_config_mistakes_name_the_key_and_the_file(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(path, Outer)
    assert str(e.value).startswith(str(path)) and message in str(e.value)


@dataclass
class Required:
    seed: int


def test_config_missing_required_key(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("{}\n")
    with pytest.raises(ConfigError, match=f"{path}: missing key 'seed'"):
        load_config(path, Required)
