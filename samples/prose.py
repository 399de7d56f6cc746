"""Sentences, titles and names in English, French, German and Spanish, drawn from the word lists."""
from __future__ import annotations

import re
from random import Random

from samples.words import (
    EN_ADJECTIVES, EN_ADVERBS, EN_CONJUNCTIONS, EN_FIRST_NAMES, EN_NAMES, EN_NOUNS, EN_OPENERS, EN_PLURALS,
    EN_PREPOSITIONS, EN_VERBS, FOREIGN, TOPICS,
)

FOREIGN_LANGS = ("fr", "de", "es")


def _plural(noun: str) -> str:
    if noun in EN_PLURALS:
        return EN_PLURALS[noun]
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def _verb_forms(entry: str) -> tuple[str, str, str]:
    """(base, third person singular, past) from a `base` or `base:past` word-list entry."""
    base, _, past = entry.partition(":")
    if base.endswith("y") and base[-2] not in "aeiou":
        third, past = base[:-1] + "ies", past or base[:-1] + "ied"
    else:
        third = base + ("es" if base.endswith(("s", "x", "ch", "sh")) else "s")
    return base, third, past or base + ("d" if base.endswith("e") else "ed")


VERBS = [_verb_forms(v) for v in EN_VERBS]
DET_SINGULAR = ["the", "the", "the", "a", "a", "this", "that", "every", "its", "their", "our", "one"]
DET_PLURAL = ["the", "the", "many", "some", "these", "several", "most", "their", "our", "few", "", ""]
MODALS = ["can", "could", "will", "may", "should", "must", "would", "might"]
AN = re.compile(r"\b([Aa]) (?=[aeioAEIO]|[uU](?!ni|s[eu]))")


def _article_fix(text: str) -> str:
    """"a" -> "an" before a vowel sound ("an urban", but "a unique", "a useful")."""
    return AN.sub(r"\1n ", text)


class Prose:
    """Sentences for one document in one language. English comes from a small grammar so that texts vary;
    topic words recur within a document, giving each its own flavour as real pages have."""

    def __init__(self, rng: Random, lang: str = "en", topic: str | None = None):
        self.rng, self.lang = rng, lang
        self.topic = TOPICS[topic or rng.choice(sorted(TOPICS))]
        self.tense = rng.choice(("past", "present", "present", "modal"))

    def sentence(self) -> str:
        s = _article_fix(self._english()) if self.lang == "en" else self._foreign()
        return s[0].upper() + s[1:] + "."

    def sentences(self, k: int) -> str:
        return " ".join(self.sentence() for _ in range(k))

    def paragraph(self, lo: int = 3, hi: int = 7) -> str:
        return self.sentences(self.rng.randint(lo, hi))

    def title(self) -> str:
        r = self.rng
        if self.lang != "en":
            words = FOREIGN[self.lang]
            text = f"{r.choice(words['subjects'])} {r.choice(words['verbs'])[0]} {r.choice(words['objects'])}"
            return text[0].upper() + text[1:]
        noun, topic = r.choice(EN_NOUNS), r.choice(self.topic)
        return r.choice([
            f"The {r.choice(EN_ADJECTIVES)} {noun} of the {topic}".title(),
            f"How {_plural(noun)} {r.choice(VERBS)[0]} the {topic}".capitalize(),
            f"{r.choice(EN_ADJECTIVES)} {_plural(topic)} and the {noun}".capitalize(),
            f"Why the {topic} {r.choice(VERBS)[1]} {r.choice(EN_ADJECTIVES)} {_plural(noun)}".capitalize(),
        ])

    def noun(self, plural: bool = False) -> str:
        noun = self.rng.choice(self.topic if self.rng.random() < 0.35 else EN_NOUNS)
        return _plural(noun) if plural else noun

    def _np(self, plural: bool | None = None) -> str:
        r = self.rng
        plural = r.random() < 0.4 if plural is None else plural
        det = r.choice(DET_PLURAL if plural else DET_SINGULAR)
        words = ([det] if det else []) + ([r.choice(EN_ADJECTIVES)] if r.random() < 0.45 else [])
        words.append(self.noun(plural))
        if r.random() < 0.12:
            words += ["of", "the", self.noun(r.random() < 0.3)]
        return " ".join(words)

    def _clause(self) -> str:
        r = self.rng
        if r.random() < 0.08:
            subject, plural = r.choice(("Professor ", "Dr. ", "")) + r.choice(EN_NAMES), False
        else:
            plural = r.random() < 0.4
            subject = self._np(plural)
        base, third, past = r.choice(VERBS)
        tense = self.tense if r.random() < 0.7 else r.choice(("past", "present", "modal"))
        adverb = r.choice(EN_ADVERBS) + " " if r.random() < 0.2 else ""
        if tense == "modal":
            verb = f"{r.choice(MODALS)} {adverb}{base}"
        else:
            verb = adverb + (past if tense == "past" else base if plural else third)
        tail = f" {r.choice(EN_PREPOSITIONS)} {self._np()}" if r.random() < 0.4 else ""
        return f"{subject} {verb} {self._np()}{tail}"

    def _english(self) -> str:
        r = self.rng
        pattern = r.randrange(11)
        if pattern <= 2:
            return self._clause()
        if pattern == 3:
            return f"{r.choice(EN_OPENERS)} {self._clause()}"
        if pattern == 4:
            return f"{self._clause()}, {r.choice(EN_CONJUNCTIONS)} {self._clause()}"
        if pattern == 5:
            return f"{r.choice(EN_PREPOSITIONS)} {self._np()}, {self._clause()}"
        if pattern == 6:
            plural = r.random() < 0.5
            be = ("were" if plural else "was") if self.tense == "past" else ("are" if plural else "is")
            return f"there {be} {self._np(plural)} {r.choice(EN_PREPOSITIONS)} {self._np()}"
        if pattern == 7:
            return f"it is {r.choice(EN_ADJECTIVES)} that {self._clause()}"
        if pattern == 8:
            return f"{r.choice(('when', 'after', 'before', 'if', 'once'))} {self._clause()}, {self._clause()}"
        if pattern == 9:
            return f"in {r.randint(1600, 2022)}, {self._clause()}"
        return f"{r.choice(EN_FIRST_NAMES)} {r.choice(EN_NAMES)}, a {r.choice(EN_ADJECTIVES)} {self.noun()}, " \
               f"{r.choice(VERBS)[2]} {self._np()}"

    def _foreign(self) -> str:
        r, words = self.rng, FOREIGN[self.lang]
        plural = r.random() < 0.35
        subject = r.choice(words["subjects_pl" if plural else "subjects"])
        verb = r.choice(words["verbs"])[plural]
        rest = [r.choice(words["objects"])] + ([r.choice(words["complements"])] if r.random() < 0.7 else [])
        if r.random() < 0.3:
            opener = r.choice(words["openers"])
            if self.lang == "de":  # German puts the verb second: "Heute plant die Stadt ..."
                return " ".join([opener, verb, subject[0].lower() + subject[1:], *rest])
            return " ".join([opener, subject, verb, *rest])
        return " ".join([subject, verb, *rest])


SYLLABLES = ["ba", "ker", "lo", "mi", "ran", "sel", "tor", "vin", "da", "fel", "gor", "hal", "in", "jor", "ka",
             "lin", "mar", "nor", "os", "pel", "qua", "ris", "sam", "tal", "ul", "ven", "wil", "yar", "zen",
             "bri", "cas", "dor"]


def coined_name(i: int, offset: int) -> str:
    """A pronounceable name, unique per i: an odd multiplier permutes the 32**k syllable codes."""
    k = 3 if i < 32 ** 3 else 4 if i < 32 ** 4 else 5
    code = (i * 2654435761 + offset) % 32 ** k
    return "".join(SYLLABLES[code >> (5 * j) & 31] for j in range(k)).capitalize()
