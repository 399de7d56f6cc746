from curation.schema import make_doc, reject
from pipelines.outcomes import REJECT_KEY, keep_first, keyed, source_counts


def test_keep_first_keeps_the_first_by_order_and_points_the_others_at_it():
    a, b, c = (make_doc("c4", n, "same text") for n in ("a", "b", "c"))
    first, *rest = sorted((a, b, c), key=lambda d: d["id"])
    out = list(keep_first("duplicate")(None, [c, a, b]))
    assert out[0] == first and [r["reason"] for r in out[1:]] == ["duplicate", "duplicate"]
    assert [(r["id"], r["meta"]["duplicate_of"]) for r in out[1:]] == [(d["id"], first["id"]) for d in rest]
    last = list(keep_first("url_duplicate", order=lambda d: -ord(d["text"][0]))(None, [make_doc("c4", "x", "b"),
                                                                                         make_doc("c4", "y", "a")]))
    assert [d["text"] for d in last] == ["b", "a"] and last[1]["reason"] == "url_duplicate"


def test_rejects_are_keyed_apart_and_pass_keep_first_unchanged():
    doc, dropped = make_doc("c4", "a", "same text"), reject(make_doc("c4", "b", "same text"), "lang")
    key = keyed(lambda d: d["text"])
    assert key(doc) == ("same text", doc) and key(dropped) == (REJECT_KEY + dropped["id"], dropped)
    assert list(keep_first("duplicate")(None, [dropped, dropped])) == [dropped, dropped]
    assert list(keep_first("duplicate")(None, [doc, dropped])) == [dropped, doc]


def test_source_counts_sums_documents_per_outcome_of_one_source():
    outcomes = [(("c4", "kept"), (3, 300)), (("c4", "lang"), (2, 50)), (("c4", "too_short"), (1, 5)),
                (("books", "kept"), (7, 7000))]
    assert source_counts(outcomes, "c4") == {"read": 6, "kept": 3, "kept_chars": 300,
                                             "dropped": {"lang": 2, "too_short": 1}}
    assert source_counts(outcomes, "wikipedia") == {"read": 0, "kept": 0, "kept_chars": 0, "dropped": {}}
