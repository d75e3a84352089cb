"""Thesaurus candidates from any corpus, each with the passage that justifies it.

Three sources, all read from the texts themselves so that vocabulary from every
decade is found, not only the words a curator already knows:

* definitions: 「新型农村合作医疗（以下简称“新农合”）」, 「…（简称…）」;
* abbreviations checked against their full forms: a short word of the
  dictionary whose characters stand, in order, at the head of each part of a
  longer phrase of the corpus (新农合 → 新型农村合作医疗), both found in the texts;
* renamings and glosses: 「X改为Y」「X转型为Y」「X（Y）」, and pairs of dictionary
  terms that share passages far more often than chance (pointwise mutual
  information), for a curator to judge as related or not.

A candidate is a proposal, never an entry: ``dictionaries/thesaurus.toml`` takes
only what a curator has read and kept, with the document and quote shown here.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.config import DICTIONARY_DIR
from indexer.ingest.corpus import corpus_files
from indexer.ingest.readers import UnreadableFile, read_document
from indexer.text.script import to_simplified

HAN = "\u4e00-\u9fff"
# 「全称（以下简称“简称”）」 and its variants: the full name is the run of ideographs before the bracket.
_DEFINED = re.compile(rf"([{HAN}]{{3,20}})[”》]?[（(](?:以下)?(?:简称|统称)[为：:]?[“\"「《]?([{HAN}]{{2,10}})[”\"」》]?[）)]")
# 「“简称”：“全称”的简称」, as the notes (名词解释) at the end of a report define them.
_EXPLAINED = re.compile(rf"“([{HAN}]{{2,10}})”[：:，,]\s*(?:是|即|指)?“?([{HAN}]{{4,30}})”?(?:工程|计划|行动)?的简称")
# 「X改为Y」「X更名为Y」「X转型为Y」…: a measure or an institution renamed.
_RENAMED = re.compile(rf"([{HAN}]{{2,12}})(?:改为|更名为|改称|改名为|转型为|转型升级为|整合为|调整为|转为)([{HAN}]{{2,12}})")
# 「X（Y）」 with both sides plain words: a gloss or the other name of the same thing.
_GLOSSED = re.compile(rf"([{HAN}]{{2,10}})[（(]([{HAN}]{{2,10}})[）)]")
_SENTENCE = re.compile(r"[^。！？；\n]*[。！？；]?")
QUOTE_WIDTH = 60


@dataclass
class Candidate:
    method: str  # defined, abbreviation, renamed, glossed, cooccurs
    terms: tuple[str, ...]
    count: int  # passages that support it
    doc_id: str  # where the quote is from
    quote: str  # verbatim, in the source's script


@dataclass
class Passage:
    doc_id: str
    text: str  # as the source writes it
    folded: str  # Simplified, same length (script folding keeps every character in place)


def read_passages(corpus_dirs: list[Path]) -> Iterator[Passage]:
    """Every non-blank paragraph of every readable file; the document id is the file's stem."""
    for corpus in corpus_dirs:
        for path in corpus_files(corpus):
            try:
                text = read_document(path)
            except UnreadableFile:
                continue
            for paragraph in text.split("\n"):
                if paragraph.strip():
                    yield Passage(path.stem, paragraph.strip(), to_simplified(paragraph.strip()))


def dictionary_words(path: Path = DICTIONARY_DIR / "civil_affairs.dict") -> dict[str, str]:
    """Word → part-of-speech tag of the civil-affairs dictionary."""
    words = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _freq, pos = line.split(" ")
        words[word] = pos
    return words


def candidates(passages: list[Passage], words: dict[str, str], min_count: int = 2) -> list[Candidate]:
    found = _patterned(passages, min_count) + _abbreviations(passages, words, min_count) + _cooccurring(passages, words, min_count)
    return sorted(found, key=lambda c: (c.method, -c.count, c.terms))


def _quote(passage: Passage, start: int, end: int) -> str:
    """The sentence holding folded[start:end], cut to a readable width, verbatim from the source."""
    for sentence in _SENTENCE.finditer(passage.text):
        if sentence.start() <= start < sentence.end():
            left = max(sentence.start(), min(start, end - QUOTE_WIDTH // 2) - QUOTE_WIDTH // 2)
            return passage.text[left:max(end, left + QUOTE_WIDTH)][:QUOTE_WIDTH * 2].strip()
    return passage.text[max(0, start - QUOTE_WIDTH // 2):end + QUOTE_WIDTH // 2].strip()


def _patterned(passages: list[Passage], min_count: int) -> list[Candidate]:
    seen: dict[tuple[str, tuple[str, ...]], Candidate] = {}
    for passage in passages:
        for method, pattern in (("defined", _DEFINED), ("explained", _EXPLAINED), ("renamed", _RENAMED),
                                ("glossed", _GLOSSED)):
            for match in pattern.finditer(passage.folded):
                first, second = match.group(1), match.group(2)
                if method == "defined":
                    first = _shortest_full_form(first, second)
                elif method == "explained":
                    method, first, second = "defined", second, first
                if first == second:
                    continue
                key = (method, (first, second))
                if key in seen:
                    seen[key].count += 1
                else:
                    seen[key] = Candidate(method, (first, second), 1, passage.doc_id,
                                          _quote(passage, match.start(), match.end()))
    # A definition is one sentence by design; a renaming or a gloss must recur to be more than chance.
    return [c for c in seen.values() if c.method == "defined" or c.count >= min_count]


def _shortest_full_form(run: str, abbreviation: str) -> str:
    """The tail of the run before the bracket that begins with the abbreviation's first character."""
    start = run.rfind(abbreviation[0])
    while start > 0 and not _in_order(abbreviation, run[start:]):
        start = run.rfind(abbreviation[0], 0, start)
    return run[start:] if start >= 0 and _in_order(abbreviation, run[start:]) else run


def _in_order(short: str, long: str) -> bool:
    rest = iter(long)
    return all(char in rest for char in short)


def _abbreviations(passages: list[Passage], words: dict[str, str], min_count: int) -> list[Candidate]:
    """Dictionary abbreviations (tag ``j``) whose characters head the parts of a longer phrase in the texts."""
    out = []
    texts = [p.folded for p in passages]
    for word, pos in words.items():
        if pos != "j" or len(word) < 2:
            continue
        # Each character of the abbreviation begins a part of 1–4 ideographs: 新(型)农(村)合(作医疗).
        pattern = re.compile("".join(f"{re.escape(char)}[{HAN}]{{0,3}}" for char in word))
        counts: Counter[str] = Counter()
        first_at: dict[str, tuple[int, int, int]] = {}
        for index, text in enumerate(texts):
            for match in pattern.finditer(text):
                phrase = _trim_to_word(match.group(0), word, words)
                if phrase is None:
                    continue
                counts[phrase] += 1
                first_at.setdefault(phrase, (index, match.start(), match.end()))
        for phrase, count in counts.most_common(3):
            if count >= min_count:
                index, start, end = first_at[phrase]
                out.append(Candidate("abbreviation", (word, phrase), count, passages[index].doc_id,
                                     _quote(passages[index], start, end)))
    return out


def _trim_to_word(phrase: str, abbreviation: str, words: dict[str, str]) -> str | None:
    """The longest dictionary word or known head at the start of the matched run, if it is a real expansion."""
    if abbreviation in phrase or len(phrase) <= len(abbreviation) + 1:
        return None
    for end in range(len(phrase), len(abbreviation), -1):
        if phrase[:end] in words and _in_order(abbreviation, phrase[:end]):
            return phrase[:end]
    return None


def _cooccurring(passages: list[Passage], words: dict[str, str], min_count: int) -> list[Candidate]:
    """Pairs of dictionary terms (neither inside the other) sharing passages far beyond chance."""
    terms = [w for w in words if len(w) >= 3]
    holding: list[set[str]] = [{t for t in terms if t in p.folded} for p in passages]
    single = Counter(t for held in holding for t in held)
    pairs, first_at = _pairs(holding)
    total = len(passages) or 1
    out = []
    for (a, b), count in pairs.items():
        if count < max(min_count, 3):
            continue
        pmi = math.log(count * total / (single[a] * single[b]))
        # Both words mostly seen together: a near synonym or a fixed pairing worth a curator's look.
        if pmi >= 4 and count / min(single[a], single[b]) >= 0.5:
            passage = passages[first_at[(a, b)]]
            start = passage.folded.find(a)
            out.append(Candidate("cooccurs", (a, b), count, passage.doc_id, _quote(passage, start, start + len(a))))
    return out


def _pairs(holding: list[set[str]]) -> tuple[Counter, dict[tuple[str, str], int]]:
    """Passages per pair of terms (neither inside the other), and the first passage holding each pair."""
    pairs: Counter[tuple[str, str]] = Counter()
    first_at: dict[tuple[str, str], int] = {}
    for index, held in enumerate(holding):
        ordered = sorted(held)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                if a in b or b in a:
                    continue
                pairs[(a, b)] += 1
                first_at.setdefault((a, b), index)
    return pairs, first_at


def format_candidates(found: list[Candidate]) -> str:
    """One tab-separated line per candidate: method, terms (→), supporting passages, document, quote."""
    lines = ["method\tterms\tpassages\tdoc\tquote"]
    lines += [f"{c.method}\t{' → '.join(c.terms)}\t{c.count}\t{c.doc_id}\t{c.quote}" for c in found]
    return "\n".join(lines)
