"""Hostile input and configs: YAML tags that build objects are refused, XML entities are never expanded (nothing
is read from a file an entity names), bombs stop at the decompression limit, archive paths write nothing, no
pickle is loaded without weights_only=True (but the Dask runner's steps, which its own driver pickled with Beam's
pickler, as every Beam runner ships DoFns to its workers), no command runs through a shell, and curation needs no
network."""
import ast
import gzip
import io
import json
import socket
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from llama_data.config import ConfigError
from orchestration.curate import load_params, run_curation
from pipelines.registry import get_source
from readers import jsonl
from readers.limits import DecompressionLimit, Limits, Oversized, limited, read_lines
from samples.make import make_samples

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("llama_data", "curation", "readers", "orchestration", "pipelines", "samples", "pretrain", "tokens", "bench")


def all_rows(run: Path) -> list[dict]:
    return [r for p in sorted(run.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]


def test_yaml_that_builds_objects_is_refused(tmp_path):
    marker = tmp_path / "ran"
    config = tmp_path / "curation.yaml"
    config.write_text(f"c4: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_params(config, get_source("c4"))
    assert not marker.exists()


@pytest.mark.parametrize("source", ["wikipedia", "stackexchange"])
def test_xml_entities_are_never_expanded(tmp_path, source):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    src = tmp_path / "in"
    doctype = (f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY a "aaaaaaaaaa">'
               + "".join(f'<!ENTITY a{i} "{("&a;" if i == 1 else f"&a{i - 1};") * 10}">' for i in range(1, 9))
               + "]>\n")
    if source == "wikipedia":
        (src).mkdir()
        (src / "enwiki-x.xml").write_text(
            doctype + '<mediawiki xml:lang="en"><siteinfo><dbname>enwiki</dbname></siteinfo><page><title>&xxe;'
            '</title><ns>0</ns><id>1</id><revision><text>&a8; &xxe;</text></revision></page></mediawiki>')
    else:
        (src / "x.stackexchange.com").mkdir(parents=True)
        (src / "x.stackexchange.com" / "Posts.xml").write_text(
            doctype + '<posts><row Id="1" PostTypeId="1" Body="&xxe; &a8;" Title="t" /></posts>')
    stats = run_curation(source, str(src), tmp_path / "run")
    assert stats["dropped"] == {"refused_doctype": 1} and stats["kept"] == 0
    assert not any("TOP-SECRET" in r["text"] + r["meta"] for r in all_rows(tmp_path / "run"))


def test_a_bomb_stops_at_the_limit_and_a_long_line_is_never_held():
    bomb = gzip.compress(b"\n" * 100 + b"x" * (64 << 20))
    stream = limited(gzip.GzipFile(fileobj=io.BytesIO(bomb)), 1 << 20)
    with pytest.raises(DecompressionLimit):
        stream.read()
    lines = list(read_lines(io.BytesIO(b"short\n" + b"y" * 5000 + b"\nafter\n"), max_bytes=1000))
    assert lines[0] == b"short\n" and lines[2] == b"after\n"
    assert isinstance(lines[1], Oversized) and lines[1].size == 5001 and len(lines[1].head) <= 1001


def test_a_reader_holds_to_the_limits_it_is_given_and_to_no_others():
    line = json.dumps({"text": "x" * 2000}).encode() + b"\n"
    [small] = jsonl.read_pages("p.jsonl", io.BytesIO(line), Limits(max_document_bytes=1000))
    assert small["reason"] == "too_large" and small["meta"]["bytes"] == len(line)
    [page] = jsonl.read_pages("p.jsonl", io.BytesIO(line), Limits())  # nothing of the call before carries over
    assert page["text"] == "x" * 2000 and "reason" not in page
    bomb = io.BytesIO(gzip.compress(line * 100))
    pages = jsonl.read_pages("p.jsonl.gz", bomb, Limits(max_decompressed_bytes=100_000))
    assert next(pages)["text"] == "x" * 2000
    with pytest.raises(DecompressionLimit):
        list(pages)


def test_archive_paths_outside_write_nothing_and_are_counted(tmp_path):
    import tarfile

    src = tmp_path / "in" / "deep"
    src.mkdir(parents=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in {"r-1/LICENSE": b"MIT License\n", "r-1/../../../escaped.py": b"x = 1\n",
                           "/tmp/absolute.py": b"y = 2\n", "r-1/ok.py": b"print('fine')\n"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (src / "me__r.tar.gz").write_bytes(buf.getvalue())
    stats = run_curation("github", str(src), tmp_path / "run")
    assert stats["dropped"]["bad_path"] == 2
    assert not list(tmp_path.rglob("escaped.py")) and not Path("/tmp/absolute.py").exists()


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield ast.unparse(node.func), {k.arg: k.value for k in node.keywords}


def project_modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not any(part.startswith(".") for part in path.relative_to(ROOT).parts):
                yield path, ast.parse(path.read_text())


def test_pickles_load_with_weights_only_and_no_command_runs_through_a_shell():
    torch_loads = 0
    for path, tree in project_modules():
        for func, keywords in _calls(tree):
            where = f"{path.relative_to(ROOT)}: {func}"
            if func == "torch.load":
                torch_loads += 1
                assert ast.unparse(keywords.get("weights_only", ast.Constant(None))) == "True", where
            assert func not in ("os.system", "os.popen", "pickle.load", "pickle.loads", "cloudpickle.loads",
                                "yaml.load"), where
            if func == "pickler.loads":
                assert path == ROOT / "orchestration" / "runners.py", where
            if "shell" in keywords:
                assert ast.unparse(keywords["shell"]) == "False", where
    assert torch_loads >= 1  # pretrain/convert.py reads Meta checkpoints


def test_curation_runs_with_the_network_cut_off(tmp_path, monkeypatch):
    def refuse(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise OSError(f"network access attempted: {address}")
        return real_connect(self, address)

    real_connect = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", refuse)
    make_samples(tmp_path / "samples", docs=10, seed=0)
    stats = run_curation("c4", str(tmp_path / "samples" / "c4"), tmp_path / "run")
    assert stats["kept"] > 0 and "read_error" not in stats["dropped"]


def test_a_warc_gzip_bomb_stops_at_the_limit_after_the_pages_before_it(tmp_path, samples_dir):
    warc = (samples_dir / "commoncrawl_warc" / "whirlwind_CC-MAIN-2024-22.warc.gz").read_bytes()
    src = tmp_path / "in"
    src.mkdir()
    (src / "bomb.warc.gz").write_bytes(warc + gzip.compress(b"\0" * (4 << 20)))  # one page, then 4 MiB of zeros
    config = tmp_path / "curation.yaml"
    config.write_text("limits: {max_decompressed_bytes: 1048576}\n"
                      "commoncrawl: {perplexity_models: null, classifier_model: null, languages: [an]}\n")
    stats = run_curation("commoncrawl", str(src), tmp_path / "run", config)
    # The page before the bomb is read and judged (its language is not Aragonese to lid.176), the zeros start a
    # record that cannot be parsed, and the file stops at the limit instead of inflating 4 MiB.
    assert stats["dropped"] == {"lang": 1, "bad_record": 1, "decompression_limit": 1} and stats["read"] == 3
