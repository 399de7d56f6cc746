"""The sample corpus: a deterministic multi-source corpus in the real file formats, one module per source.

It is the demo's input and the benchmarks' load generator, so it streams (N can be millions: files are
bounded and nothing holds the corpus in memory) and plants what the curation stages must handle: shared web
boilerplate, near duplicates, other languages, junk, legacy charsets, licenses, markup. The same seed gives
byte-identical files: every random choice comes from `random.Random`, and gzip and tar timestamps are fixed.

The planted duplicates are listed in the manifest, per source under `duplicates`: groups of an original and
its copies, each by native id (what `curation.schema.doc_id` hashes with the source) and URL, every copy with
the exact Jaccard of its word 5-gram shingles to the original's (`curation.minhash`): 1.0 for C4's exact
copies, 0.9-0.99 for Common Crawl's re-posted pages (one word replaced) and 0.92-0.97 for the books' revised
editions (1% of words replaced). Planted copies of a page or row that curation drops are dropped with it.
"""
