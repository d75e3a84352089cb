"""The query language readers type, parsed into a small tree the backends compile.

* words separated by spaces are all required;
* ``"…"`` (or “…”) is an exact phrase;
* ``-词`` / ``-"短语"`` excludes;
* ``OR`` (or ``|``) between words makes alternatives.

Nothing a reader types raises anything but :class:`QueryError`, whose message
is meant for the reader; repairs made on the way (an unclosed quote, a stray
``field:``) are reported as notices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.text.terms import WORD_RUN, match_form, query_words
from indexer.errors import QueryError

MAX_QUERY_CHARS = 200
MAX_TERMS = 24
# A word typed without spaces longer than this is a pasted sentence: search its words instead.
MAX_WORD_CHARS = 24

_TOKEN = re.compile(
    r"""(?P<neg>-)?(?:"(?P<q1>[^"]*)(?P<e1>"?)|“(?P<q2>[^”]*)(?P<e2>”?)|(?P<word>[^\s"“]+))""",
)
_FIELD_PREFIX = re.compile(r"^[A-Za-z_]+[:：]")
_OR = {"OR", "|", "｜"}


@dataclass(frozen=True)
class Term:
    text: str
    phrase: bool = False

    @property
    def runs(self) -> list[str]:
        """The Simplified, lower-cased runs of word characters a match must contain."""
        return WORD_RUN.findall(match_form(self.text))


@dataclass(frozen=True)
class Clause:
    """One required part of the query: any of its alternatives will do."""

    alternatives: tuple[Term, ...]


@dataclass
class ParsedQuery:
    raw: str
    required: list[Clause] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def check_text(text, what: str) -> None:
    """A string the engine can read: text with a lone surrogate (half of a character) is refused."""
    if not isinstance(text, str):
        raise QueryError(f"{what}须为文本。")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError(f"{what}含有无法识别的字符（孤立的代理码位），请检查输入。") from None


def parse_query(raw: str) -> ParsedQuery:
    if raw is None or not raw.strip():
        raise QueryError("请输入检索词。")
    check_text(raw, "检索式")
    parsed = ParsedQuery(raw=raw)
    text = raw.replace("\u3000", " ").strip()
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        parsed.notices.append(f"检索词过长，只使用了前 {MAX_QUERY_CHARS} 个字符。")
    pending_or = False
    for match in _TOKEN.finditer(text):
        negative = bool(match.group("neg"))
        term = _term(match, parsed)
        if term is None:  # OR: the next term joins the last clause
            pending_or = bool(parsed.required) and not negative
            continue
        _add(parsed, term, negative, pending_or)
        pending_or = False
    if len(parsed.required) > MAX_TERMS:
        parsed.required = parsed.required[:MAX_TERMS]
        parsed.notices.append(f"检索词过多，只使用了前 {MAX_TERMS} 个。")
    if not parsed.required:
        if parsed.excluded:
            raise QueryError("只有排除词：请至少输入一个要查找的词，例如 养老 -殡葬。")
        raise QueryError("检索词里没有可检索的文字（只有标点或符号），请输入中文或字母数字。")
    return parsed


def _term(match, parsed: ParsedQuery) -> Term | None:
    """The term one token of the query stands for (None for OR), with a notice for what was repaired."""
    quoted = match.group("q1") if match.group("q1") is not None else match.group("q2")
    if quoted is not None:
        if not (match.group("e1") or match.group("e2")):
            parsed.notices.append("引号未闭合，已按短语检索到句末。")
        return Term(quoted.strip(), phrase=True)
    word = match.group("word")
    if word in _OR and not match.group("neg"):
        return None
    if _FIELD_PREFIX.match(word):
        parsed.notices.append(f"不支持字段检索，已把“{word}”当作普通词。")
        word = _FIELD_PREFIX.sub("", word)
    return Term(word)


def _add(parsed: ParsedQuery, term: Term, negative: bool, pending_or: bool) -> None:
    """Put a term where it belongs: excluded, an alternative of the last clause (after OR), or a clause of its own."""
    if not term.runs:
        if term.text.strip("-－") == "":
            parsed.notices.append("单独的“-”或空引号已忽略；排除某词请写成 -词。")
        else:
            parsed.notices.append(f"“{term.text}”没有可检索的文字，已忽略。")
    elif not term.phrase and not negative and sum(map(len, term.runs)) > MAX_WORD_CHARS:
        parsed.notices.append(f"“{term.text[:12]}…”太长，已拆成词语分别检索。")
        parsed.required.extend(Clause((Term(word),)) for word in _words_of(term.text))
    elif negative:
        parsed.excluded.append(term)
    elif pending_or:
        parsed.required[-1] = Clause(parsed.required[-1].alternatives + (term,))
    else:
        parsed.required.append(Clause((term,)))


def _words_of(text: str) -> list[str]:
    """The distinct words of a pasted sentence, single characters only if nothing longer."""
    words = list(dict.fromkeys(query_words(text)))
    return [w for w in words if len(w) > 1] or words
