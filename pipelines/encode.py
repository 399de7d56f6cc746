"""The encode stage: curated documents -> token ids, a Beam job with one element per curated Parquet part.

The DoFn reads its part in record batches and encodes each batch with one sentencepiece call (a list of texts
in, lists of ids out); tokens/parts.py writes RUN/encode/<source>/<part>.arrow from them, and, once every part is
done, RUN/encode/manifest.json.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import apache_beam as beam

from readers import documents
from tokens.parts import curated_inputs, part_path, token_dtype, tokens_dir, write_manifest, write_part
from tokens.tokenizer import load, model_path

BATCH_DOCS = 256  # documents per sentencepiece call and per Arrow record batch


class EncodePart(beam.DoFn):
    """Encodes one curated part (source, path) into encode/<source>/<part>.arrow; yields the part's counts.

    Documents are encoded line by line, in one sentencepiece call per batch, and the lines joined with the
    newline's byte piece <0x0A>. That gives exactly the ids of encoding each document whole, because no piece
    of our tokenizer holds a newline (training sentences are lines; checked in `setup`), and it is faster:
    sentencepiece's BPE slows down on long inputs such as whole books.
    """

    def __init__(self, model: bytes, out_dir: str, total_parts: int):
        self.model, self.out_dir, self.total_parts = model, out_dir, total_parts

    def setup(self):
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_proto=self.model)
        self.dtype = token_dtype(len(self.sp))
        newline = self.sp.piece_to_id("<0x0A>")
        no_newline_pieces = all("\n" not in self.sp.id_to_piece(i) for i in range(len(self.sp)))
        self.newline = [newline] if newline != self.sp.unk_id() and no_newline_pieces else None
        self.done = 0

    def encode(self, texts: list[str]) -> list[list[int]]:
        if self.newline is None:
            return self.sp.encode(texts, num_threads=1)
        lines = [text.split("\n") for text in texts]
        encoded = iter(self.sp.encode([line for doc in lines for line in doc], num_threads=1))
        docs = []
        for doc in lines:
            ids = next(encoded)
            for _ in range(len(doc) - 1):
                ids += self.newline
                ids += next(encoded)
            docs.append(ids)
        return docs

    def process(self, item):
        import pyarrow.compute as pc

        source, path = item
        final = part_path(self.out_dir, source, path)
        chars = size = 0

        def batches():
            nonlocal chars, size
            for batch in documents.batches(path, ["id", "text"], BATCH_DOCS):
                texts = batch.column("text")
                yield batch.column("id"), self.encode(texts.to_pylist())
                chars += pc.sum(pc.utf8_length(texts)).as_py() or 0
                size += pc.sum(pc.binary_length(texts)).as_py() or 0

        docs, tokens = write_part(final, self.dtype, batches())
        self.done += 1
        print(f"[encode] {source}/{final.name}: {docs:,} documents, {tokens:,} tokens "
              f"({self.done}/{self.total_parts} parts on this worker)", file=sys.stderr, flush=True)
        yield {"source": source, "path": f"{source}/{final.name}", "curated": Path(path).name,
               "curated_bytes": os.path.getsize(path), "documents": docs, "tokens": tokens, "chars": chars,
               "text_bytes": size}


def run_encode(run_dir: str | Path, sources, beam_args: tuple[str, ...] = ()) -> dict:
    """Encode the curated parts of `sources` with RUN/tokenizer into RUN/encode (replacing what was there);
    return the manifest. Beam options (e.g. --runner=..., --direct_num_workers=N) pass through."""
    import shutil

    from pipelines.launch import run_job

    n_pieces = len(load(run_dir))  # a missing tokenizer fails first
    model = model_path(run_dir).read_bytes()
    inputs = curated_inputs(run_dir, sources)
    out_dir = tokens_dir(run_dir)
    shutil.rmtree(out_dir, ignore_errors=True)  # the stage owns RUN/encode: a rerun replaces it
    out_dir.mkdir(parents=True)
    sha, dtype = hashlib.sha256(model).hexdigest(), token_dtype(n_pieces)

    def build(p):
        _ = (p
             | "Parts" >> beam.Create(inputs)
             | "SpreadParts" >> beam.Reshuffle()
             | "Encode" >> beam.ParDo(EncodePart(model, str(out_dir), len(inputs)))
             | "AllParts" >> beam.combiners.ToList()
             | "WriteManifest" >> beam.Map(lambda parts: write_manifest(str(out_dir), sha, dtype, parts)))
    run_job(build, beam_args)
    return json.loads((out_dir / "manifest.json").read_text())
