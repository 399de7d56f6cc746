"""Decontamination: a planted evaluation passage is found through case and punctuation; common phrases are not."""
from curation.decontaminate import Index, ngram_hashes

QUESTION = ("Which of the following best explains why the boiling point of water decreases at higher altitudes "
            "where atmospheric pressure is lower than at sea level")
OTHER = "The quick brown fox jumps over the lazy dog while the cat sleeps quietly under the warm afternoon sun"


def _index():
    index = Index(n=13)
    index.add("mmlu", QUESTION)
    index.add("hellaswag", OTHER)
    index.add("mmlu", "Too short to hold a 13-gram.")
    return index


def test_a_copied_passage_is_found_despite_case_and_punctuation():
    index = _index()
    page = ("Study notes.\n\nQ: WHICH of the following best explains why the boiling-point of water decreases, "
            "at higher altitudes where... (answer below)")
    assert index.match(page) == "mmlu"
    assert index.match("Story time: " + OTHER.upper() + "!") == "hellaswag"


def test_twelve_shared_words_are_not_a_copy():
    index = _index()
    twelve = " ".join(QUESTION.split()[:12])
    assert index.match(f"Intro. {twelve} banana split recipe follows.") is None
    assert index.match("") is None


def test_counts_and_short_examples():
    index = _index()
    assert index.examples == {"mmlu": 1, "hellaswag": 1} and index.short == {"mmlu": 1}
    assert len(index.grams) == (len(QUESTION.split()) - 12) + (len(OTHER.split()) - 12)


def test_hashes_are_stable_values():
    # the same words give the same hashes in any process (no string hash randomisation involved)
    a = list(ngram_hashes("one two three", 2))
    assert a == list(ngram_hashes("ONE, two; three.", 2)) == [21014137541790017, -7175186074441423031]
