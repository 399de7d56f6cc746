"""Train the SentencePiece BPE tokenizer as the LLaMA paper does, on a mix-weighted sample of curated documents.

The settings are those of LLaMA's own tokenizer.model (BPE, digits split into single digits, unknown characters
decomposed into UTF-8 byte pieces, identity normalisation with whitespace kept as is, unk=0 bos=1 eos=2, no pad)
with one change: no dummy prefix. LLaMA's model prepends "▁" to every input; Hugging Face's Llama tokenizer
(a Metaspace pre-tokenizer) skips that prefix when the text already starts with a space, so the two disagree on
every document that starts with whitespace. Without the prefix they agree on every input, a document's first
word is encoded like a word at the start of any other line, and training lines look like encoded lines.
Beside tokenizer.model we write the Hugging Face files that make `LlamaTokenizer(Fast).from_pretrained(folder)`
give sentencepiece's ids exactly: no prefix space, and `<s>`/`</s>` written in a text read as text, not as
special tokens (`split_special_tokens`), as sentencepiece does; and tokenizer.json, the fast tokenizer itself,
so that loading needs only `transformers` (converting tokenizer.model at load time needs protobuf).
Training is single-threaded on a sample chosen by a seeded hash of document ids, so the same curated data, weights
and seed give a byte-identical tokenizer.model.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import time
from pathlib import Path

from curation.schema import SOURCES
from readers import documents
from llama_data import layout
from llama_data.files import atomic_write

UNK_ID, BOS_ID, EOS_ID, PAD_ID = 0, 1, 2, -1
MAX_SENTENCE_BYTES = 4192  # LLaMA's max_sentence_length; longer lines are cut, never dropped silently
MAX_SENTENCE_CHARS = MAX_SENTENCE_BYTES // 4  # a UTF-8 character takes at most 4 bytes

TRAINER_SPEC = dict(
    model_type="bpe",
    split_digits=True,
    byte_fallback=True,
    normalization_rule_name="identity",
    remove_extra_whitespaces=False,
    add_dummy_prefix=False,  # see the module docstring
    allow_whitespace_only_pieces=True,
    character_coverage=0.99995,
    max_sentence_length=MAX_SENTENCE_BYTES,
    unk_id=UNK_ID, bos_id=BOS_ID, eos_id=EOS_ID, pad_id=PAD_ID,
    num_threads=1,  # deterministic output
    minloglevel=2,
)


# Hugging Face's view of the model: the LLaMA convention of bos added and eos not (`tok(text)` = [bos] + ids),
# and with add_special_tokens=False exactly sentencepiece's ids.
HF_TOKENIZER_CONFIG = {
    "tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
    "pad_token": None, "add_bos_token": True, "add_eos_token": False, "legacy": False, "add_prefix_space": False,
    "split_special_tokens": True, "clean_up_tokenization_spaces": False,
}
HF_SPECIAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}


def hf_tokenizer_json(processor) -> bytes:
    """The model as a Hugging Face fast tokenizer (tokenizer.json): a BPE over the same pieces whose merges are
    ranked by the id of the piece they make. Sentencepiece's BPE applies first the merge whose piece scores
    highest, and its piece ids follow the scores, so the two merge in the same order. Only normal pieces merge:
    byte pieces come from byte fallback, control pieces are the special tokens."""
    from tokenizers import AddedToken, Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import BPE

    pieces = [processor.id_to_piece(i) for i in range(len(processor))]
    normal = {p for i, p in enumerate(pieces) if not (processor.is_control(i) or processor.is_unknown(i)
                                                       or processor.is_byte(i) or processor.is_unused(i))}
    merges = [(p[:k], p[k:]) for p in pieces if p in normal for k in range(1, len(p))
              if p[:k] in normal and p[k:] in normal]
    unk, bos, eos = (pieces[i] for i in (processor.unk_id(), processor.bos_id(), processor.eos_id()))
    tok = Tokenizer(BPE(vocab={p: i for i, p in enumerate(pieces)}, merges=merges, unk_token=unk, fuse_unk=True,
                        byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="never", split=False)
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in (unk, bos, eos)])
    tok.post_processor = processors.TemplateProcessing(  # LLaMA's convention: bos, no eos
        single=f"{bos}:0 $A:0", pair=f"{bos}:0 $A:0 {bos}:1 $B:1", special_tokens=[(bos, processor.bos_id())])
    return (tok.to_str(pretty=True) + "\n").encode()


def model_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / layout.TOKENIZER / "tokenizer.model"


def load(run_dir: str | Path):
    """The run's trained tokenizer as a `sentencepiece.SentencePieceProcessor`."""
    import sentencepiece as spm

    path = model_path(run_dir)
    if not path.is_file():
        raise FileNotFoundError(f"no tokenizer at {path}; run `llama-data tokenizer train --run {run_dir}` first")
    return spm.SentencePieceProcessor(model_file=str(path))


def curated_parts(run_dir: str | Path, source: str) -> list[Path]:
    """The final documents' Parquet parts of `source` (llama_data.layout.documents), in a stable order; an error
    if there are none."""
    folder = layout.documents(run_dir) / source
    parts = documents.parts(folder)
    if not parts:
        raise FileNotFoundError(f"no curated documents for '{source}' in {folder}; "
                                f"run `llama-data curate --source {source} ...` and `llama-data dedup` first")
    return parts


def sample_key(seed: int, doc_id: str) -> bytes:
    """A document's place in the seeded sampling order: independent of file layout and document order."""
    return hashlib.blake2b(f"{seed}\x00{doc_id}".encode(), digest_size=8).digest()


def sample_ids(parts: list[Path], budget_chars: int, seed: int) -> tuple[set[str], int]:
    """Ids of the documents that come first in the seeded order until `budget_chars` is reached, and their chars."""
    import pyarrow.compute as pc

    docs = []  # (key, id, chars): small per document, the texts are not kept
    for part in parts:
        for batch in documents.batches(part, ["id", "text"]):
            lengths = pc.utf8_length(batch.column("text")).to_pylist()
            docs += [(sample_key(seed, i), i, n) for i, n in zip(batch.column("id").to_pylist(), lengths)]
    chosen, chars = set(), 0
    for _, doc_id, n in sorted(docs):
        if chars >= budget_chars:
            break
        chosen.add(doc_id)
        chars += n
    return chosen, chars


def sentences(text: str):
    """The lines of a document, long ones cut (at a space where there is one) to fit max_sentence_length.

    Newlines are not in any training sentence: like LLaMA's tokenizer, ours encodes them as the byte piece <0x0A>.
    """
    for line in text.split("\n"):
        while len(line) > MAX_SENTENCE_CHARS:
            cut = line.rfind(" ", 1, MAX_SENTENCE_CHARS)
            cut = cut if cut > 0 else MAX_SENTENCE_CHARS
            yield line[:cut]
            line = line[cut:]
        if line:
            yield line


def sample_sentences(parts: list[Path], ids: set[str]):
    for part in parts:
        for batch in documents.batches(part, ["id", "text"]):
            for doc_id, text in zip(batch.column("id").to_pylist(), batch.column("text").to_pylist()):
                if doc_id in ids:
                    yield from sentences(text)


def train(run_dir: str | Path, weights: dict[str, float], vocab_size: int = 32000,
          sample_chars: int = 100_000_000, seed: int = 0) -> dict:
    """Train on about `sample_chars` characters drawn from each source in proportion to `weights` (normalised);
    write RUN/tokenizer/tokenizer.model and .vocab atomically; return a summary."""
    import sentencepiece as spm

    start = time.time()
    total = sum(weights.values())
    parts = {s: curated_parts(run_dir, s) for s in SOURCES if s in weights}  # all missing data fails up front
    chosen, chars = {}, {}
    for source, files in parts.items():
        chosen[source], chars[source] = sample_ids(files, round(sample_chars * weights[source] / total), seed)

    def all_sentences():
        for source, files in parts.items():
            yield from sample_sentences(files, chosen[source])

    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(sentence_iterator=all_sentences(), model_writer=model,
                                       vocab_size=vocab_size, **TRAINER_SPEC)
    except RuntimeError as e:
        limit = re.search(r"Vocabulary size too high \((\d+)\)\. Please set it to a value <= (\d+)", str(e))
        if not limit:
            raise
        raise ValueError(f"--vocab-size {limit[1]} is too large for the {sum(chars.values()):,} sampled characters: "
                         f"they make at most {limit[2]} pieces; pass a smaller --vocab-size "
                         f"(or train on more text)") from None

    processor = spm.SentencePieceProcessor(model_proto=model.getvalue())
    vocab = "".join(f"{processor.id_to_piece(i)}\t{processor.get_score(i):g}\n" for i in range(len(processor)))
    path = model_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path.with_suffix(".vocab"), vocab.encode())
    atomic_write(path.parent / "tokenizer_config.json", (json.dumps(HF_TOKENIZER_CONFIG, indent=2) + "\n").encode())
    atomic_write(path.parent / "special_tokens_map.json", (json.dumps(HF_SPECIAL_TOKENS, indent=2) + "\n").encode())
    atomic_write(path.parent / "tokenizer.json", hf_tokenizer_json(processor))
    atomic_write(path, model.getvalue())  # last: its presence means the tokenizer is complete
    return {"path": str(path), "vocab_size": len(processor), "chars": chars,
            "documents": {s: len(ids) for s, ids in chosen.items()}, "seconds": time.time() - start}
