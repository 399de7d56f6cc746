"""The tokenizer trains like LLaMA's (digits split, byte fallback, exact round trips) and deterministically."""
import bz2
import gzip
import hashlib
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from curation.schema import DOC_SCHEMA, SOURCES, make_doc, to_row
from orchestration.tokens_cli import tokenizer
from tokens.tokenizer import MAX_SENTENCE_BYTES, load, sentences, train

PAPER_MIX = Path(__file__).parents[1] / "configs" / "mix.yaml"
VOCAB = 600


def fake_text(rng: random.Random, source: str, words: list[str]) -> str:
    """An English-ish document with numbers, a few paragraphs, and a flavour of its source."""
    paragraphs = []
    for _ in range(rng.randint(1, 4)):
        sentence = [rng.choice(words) for _ in range(rng.randint(8, 40))]
        sentence[rng.randrange(len(sentence))] = str(rng.randint(0, 100_000))
        paragraphs.append(" ".join(sentence).capitalize() + ".")
    if source == "github":
        paragraphs.append(f"def {rng.choice(words)}(x):\n    return x + {rng.randint(0, 99)}")
    if source == "arxiv":
        paragraphs.append(f"\\begin{{equation}} {rng.choice(words)}^2 = \\frac{{1}}{{{rng.randint(2, 9)}}} \\end{{equation}}")
    return "\n\n".join(paragraphs)


def write_curated(run: Path, docs: dict[str, int], seed: int = 0) -> dict[str, list[str]]:
    """RUN/dedup/curated/<source>/part-0000{0,1}.parquet with `docs[source]` generated documents; returns the texts."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "ra", "to", "su", "vi", "an", "el", "or", "ith", "ber", "gal", "dun"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(300)]
    texts = {}
    for source, n in docs.items():
        texts[source] = [fake_text(rng, source, words) for _ in range(n)]
        rows = [to_row(make_doc(source, str(i), t, url=f"https://example.org/{i}"))
                for i, t in enumerate(texts[source])]
        folder = run / "dedup" / "curated" / source
        folder.mkdir(parents=True)
        half = len(rows) // 2
        for k, part in enumerate((rows[:half], rows[half:])):
            pq.write_table(pa.Table.from_pylist(part, schema=DOC_SCHEMA), folder / f"part-{k:05d}.parquet")
    return texts


def train_cli(run: Path, *args: str):
    return CliRunner().invoke(tokenizer, ["train", "--run", str(run), "--weights", str(PAPER_MIX), *args])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    write_curated(run, {s: 150 for s in SOURCES})
    result = train_cli(run, "--vocab-size", str(VOCAB))
    assert result.exit_code == 0, result.output
    return run


def test_cli_writes_model_vocab_and_summary(run):
    sp = load(run)
    assert len(sp) == VOCAB
    assert (sp.unk_id(), sp.bos_id(), sp.eos_id(), sp.pad_id()) == (0, 1, 2, -1)
    assert len((run / "tokenizer" / "tokenizer.vocab").read_text().splitlines()) == VOCAB
    assert not list((run / "tokenizer").glob(".*tmp"))


def test_digits_are_split_into_single_digits(run):
    pieces = load(run).encode("In 2023 there were 1234567 llamas and 42 alpacas", out_type=str)
    digit_pieces = [p for p in pieces if any(c.isdigit() for c in p) and not p.startswith("<0x")]
    assert [p.lstrip("\u2581") for p in digit_pieces] == list("2023123456742")


def test_unseen_characters_fall_back_to_bytes_and_decode_exactly(run):
    sp = load(run)
    for text in ["🦙", "世界", "naïve café"]:
        pieces = sp.encode(text, out_type=str)
        assert any(p.startswith("<0x") and p.endswith(">") for p in pieces)
        assert "<unk>" not in pieces
        assert sp.decode(sp.encode(text)) == text
    assert sp.encode("🦙", out_type=str)[-4:] == ["<0xF0>", "<0x9F>", "<0xA6>", "<0x99>"]


@pytest.mark.parametrize("text", ["Hello world", "  two leading spaces", "tabs\tand\n\nnewlines \n",
                                  "def f(x):\n    return x + 1", "trailing  double  spaces  ", "数字 123 ünïcödé"])
def test_encode_decode_round_trips(run, text):
    sp = load(run)
    assert sp.decode(sp.encode(text)) == text


def test_same_seed_gives_identical_model_and_other_seed_differs(run, tmp_path):
    shutil.copytree(run / "dedup" / "curated", tmp_path / "a" / "dedup" / "curated")
    shutil.copytree(run / "dedup" / "curated", tmp_path / "b" / "dedup" / "curated")
    assert train_cli(tmp_path / "a", "--vocab-size", str(VOCAB)).exit_code == 0
    assert train_cli(tmp_path / "b", "--vocab-size", str(VOCAB), "--seed", "1", "--sample-chars", "50000").exit_code == 0

    def digest(r):
        return hashlib.sha256((r / "tokenizer" / "tokenizer.model").read_bytes()).hexdigest()
    assert digest(tmp_path / "a") == digest(run)
    assert digest(tmp_path / "b") != digest(run)
    json_file = Path("tokenizer") / "tokenizer.json"
    assert (tmp_path / "a" / json_file).read_bytes() == (run / json_file).read_bytes()


def test_sample_follows_mix_weights(run, tmp_path):
    shutil.copytree(run / "dedup" / "curated", tmp_path / "dedup" / "curated")
    summary = train(tmp_path, {"c4": 3.0, "wikipedia": 1.0}, vocab_size=VOCAB, sample_chars=40_000, seed=0)
    # whole documents are taken until each share is reached, so each overshoots by less than one document
    longest = max(len(t) for s in ("c4", "wikipedia") for t in pq.read_table(run / "dedup" / "curated" / s)["text"].to_pylist())
    assert 30_000 <= summary["chars"]["c4"] < 30_000 + longest
    assert 10_000 <= summary["chars"]["wikipedia"] < 10_000 + longest
    assert set(summary["chars"]) == {"c4", "wikipedia"}


def test_long_lines_are_cut_to_fit_without_losing_text():
    line = " ".join(["wörd"] * 3000) + "x" * 5000
    pieces = list(sentences(line + "\nshort\n\n"))
    assert "".join(pieces[:-1]) == line and pieces[-1] == "short"
    assert all(len(p.encode()) <= MAX_SENTENCE_BYTES for p in pieces)


def test_too_large_vocab_is_a_clear_error(run, tmp_path):
    shutil.copytree(run / "dedup" / "curated", tmp_path / "dedup" / "curated")
    result = train_cli(tmp_path, "--vocab-size", "32000")
    assert result.exit_code == 1
    assert "--vocab-size 32000 is too large" in result.stderr and "smaller --vocab-size" in result.stderr
    assert not (tmp_path / "tokenizer").exists()


def test_missing_curated_data_is_a_clear_error(tmp_path):
    write_curated(tmp_path, {"c4": 5})
    result = train_cli(tmp_path)
    assert result.exit_code == 1
    assert "no curated documents for 'commoncrawl'" in result.stderr
    assert not (tmp_path / "tokenizer").exists()


def test_bad_weights_config_exits_2_and_writes_nothing(run, tmp_path):
    config = tmp_path / "mix.yaml"
    config.write_text("weights: {c4: 1}\nsequence_length: 10\n")
    result = CliRunner().invoke(tokenizer, ["train", "--run", str(tmp_path), "--weights", str(config)])
    assert result.exit_code == 2
    assert "sequence_length" in result.stderr and str(config) in result.stderr
    assert not (tmp_path / "tokenizer").exists()


# Inputs on which Hugging Face and sentencepiece part ways unless the model and its config agree: leading
# whitespace (a dummy prefix), special tokens written in the text, byte fallback, digits, newlines.
HF_TEXTS = ["Hello world", " leading space", "  two leading spaces", "\n\nnewline first", "\tTab first",
            "<s> a literal bos, </s> eos and <unk>", "x<s>y", "In 2023 there were 1234567 llamas", "🦙 世界 naïve café",
            "def f(x):\n    return x + 1\n", "trailing  double  spaces  ", "", " "]


@pytest.mark.parametrize("class_name", ["LlamaTokenizer", "LlamaTokenizerFast", "AutoTokenizer"])
def test_hugging_face_loads_the_folder_and_gives_sentencepiece_ids(run, class_name):
    import transformers

    hf = getattr(transformers, class_name).from_pretrained(str(run / "tokenizer"))
    sp = load(run)
    texts = HF_TEXTS + pq.read_table(run / "dedup" / "curated" / "github").column("text").to_pylist()[:50]
    assert len(hf) == VOCAB
    assert hf(texts, add_special_tokens=False)["input_ids"] == sp.encode(texts)
    assert hf("Hello world")["input_ids"] == [sp.bos_id()] + sp.encode("Hello world")  # LLaMA: bos, no eos
    assert [hf.decode(ids) for ids in sp.encode(texts)] == texts
    assert (hf.bos_token_id, hf.eos_token_id, hf.unk_token_id) == (1, 2, 0)


def test_no_dummy_prefix_so_a_document_starts_like_a_line_and_no_piece_holds_a_newline(run):
    sp = load(run)
    assert not sp.encode("llamas graze", out_type=str)[0].startswith("\u2581")
    assert sp.encode("\nllamas graze")[1:] == sp.encode("llamas graze")
    assert not any("\n" in sp.id_to_piece(i) for i in range(len(sp)))
    assert sp.encode("\n", out_type=str) == ["<0x0A>"]


# As `pip install transformers sentencepiece` leaves it: no protobuf (the guard fails the import, as a missing
# package does). Prints the ids of the texts on stdin, without and with special tokens.
NO_PROTOBUF_LOAD = """
import json, sys
sys.modules["google.protobuf"] = None
from transformers import AutoTokenizer
from transformers.utils.import_utils import is_protobuf_available
assert not is_protobuf_available()
hf = AutoTokenizer.from_pretrained(sys.argv[1])
texts = json.load(sys.stdin)
print(json.dumps([hf(texts, add_special_tokens=False)["input_ids"], hf(texts[:1])["input_ids"]]))
"""


def real_documents(samples: Path) -> dict[str, list[str]]:
    """Paragraphs of real sample files by source: French and English books, Latgalian Wikipedia XML, C4 pages,
    LaTeX sources, license texts."""
    def paragraphs(text: str, limit: int = 150_000) -> list[str]:
        return [p for p in text[:limit].split("\\n\\n") if p.strip()]

    books = [paragraphs(p.read_text(encoding="utf-8-sig")) for p in sorted((samples / "gutenberg").glob("*.txt"))]
    with bz2.open(samples / "wikipedia" / "ltgwiki-smallwiki-latest-pages-articles.xml.bz2", "rt") as f:
        wiki = paragraphs(f.read(400_000))
    c4 = []
    for path in sorted((samples / "c4").glob("*.json.gz")):
        with gzip.open(path, "rt") as f:
            c4 += [json.loads(line)["text"] for line in f]
    tex = [t for p in sorted((samples / "arxiv" / "2004.14974_tex_only").glob("*.tex")) for t in paragraphs(p.read_text())]
    licenses = [p.read_text() for p in sorted((samples / "github_licenses").glob("*/*")) if p.is_file()]
    return {"books": [t for b in books for t in b], "wikipedia": wiki, "c4": c4, "arxiv": tex, "github": licenses}


def test_tokenizer_json_loads_without_protobuf_and_gives_sentencepiece_ids_on_real_text(samples_dir, tmp_path):
    docs = real_documents(samples_dir)
    for source, texts in docs.items():
        folder = tmp_path / "run" / "dedup" / "curated" / source
        folder.mkdir(parents=True)
        rows = [to_row(make_doc(source, str(i), t)) for i, t in enumerate(texts)]
        pq.write_table(pa.Table.from_pylist(rows, schema=DOC_SCHEMA), folder / "part-00000.parquet")
    train(tmp_path / "run", {s: 1.0 for s in docs}, vocab_size=2000, seed=0)
    sp = load(tmp_path / "run")
    texts = [t for ts in docs.values() for t in ts] + HF_TEXTS + [
        "Emoji and other scripts fall back to bytes: 🦙🐪 👩‍💻 ✓ — 中文字符 日本語 한국어 Ελληνικά русский",
        "Digits one by one: 3.14159, 2,718, 1e-9, 0x1F600, 9876543210."]
    folder = tmp_path / "run" / "tokenizer"
    assert {p.name for p in folder.iterdir()} == {"tokenizer.model", "tokenizer.vocab", "tokenizer.json",
                                                    "tokenizer_config.json", "special_tokens_map.json"}

    def load_without_protobuf(path):
        return subprocess.run([sys.executable, "-c", NO_PROTOBUF_LOAD, str(path)], input=json.dumps(texts),
                              capture_output=True, text=True, timeout=300)
    loaded = load_without_protobuf(folder)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    ids, with_bos = json.loads(loaded.stdout)
    expected = sp.encode(texts)
    assert sum(map(len, expected)) > 100_000 and any(sp.is_byte(i) for doc in expected for i in doc)
    assert ids == expected
    assert with_bos == [[sp.bos_id()] + expected[0]]

    shutil.copytree(folder, tmp_path / "no-json", ignore=shutil.ignore_patterns("tokenizer.json"))
    assert load_without_protobuf(tmp_path / "no-json").returncode != 0  # the guard bites: it needs tokenizer.json
