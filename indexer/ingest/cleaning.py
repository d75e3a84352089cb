"""From a captured text to its article lines: page chrome, garbage and captions out.

Rules are about kinds of lines seen in web captures and newspaper layouts
(breadcrumbs, share counters, legal notices, recommended-headline blocks,
photo captions, bylines), never about a particular document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# Lines that are page furniture wherever they stand.
_CHROME_LINE = re.compile(
    r"""^(?:
        .{0,12}首页\s*[>＞›].*                                  # breadcrumb: 网易首页 > 网易号 > 正文
      | 您的位置[:：]?.*
      | 当前位置[:：]?.*
      | 分享至 | 分享到.{0,12} | 申请入驻 | 打印(?:本页)? | 下载 | 全屏 | 关闭(?:窗口)? | 返回顶部
      | 扫一扫.{0,20} | 无障碍浏览.{0,12} | 进入关怀版 | 首页 | [>＞›】【]
      | 【?字[体号][:：]?.{0,12} | [大中小]
      | \d{1,7}                                                 # share / like counters
      | (?:来源|作者|编辑|责任编辑|发布时间|浏览次数|点击数|阅读量)[:：].{0,40}
      | 分享[:：].{0,20}                                          # share buttons: 分享： 微信 微博
      | (?:发布|更新)?(?:时间|日期)[:：]\s*(?:\d{4}\s*[-年./]\s*\d{1,2}\s*[-月./]\s*\d{1,2}\s*日?)?
        (?:\s*\d{1,2}\s*[:：时]\s*\d{2}\s*分?(?:[:：]\d{2})?)?      # 时间：2026-02-02 (a time stamp only)
      | \d{4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?  # page timestamps
      | \d{4}年\d{1,2}月\d{1,2}日\s*\d{1,2}\s*(?:[:：]|时)\s*\d{2}\s*分?(?:[:：]\d{2})?  # 2026年02月10日 07时41分
      | [\u4e00-\u9fff]{0,16}(?:省长|市长|主席|区长|县长|州长|旗长|盟长|总理|书记|部长|厅长|局长|主任)
        \s+[\u4e00-\u9fff·](?:\s?[\u4e00-\u9fff·]){1,9}        # a speaker's byline: 河北省人民政府省长 王正谱
    )$""",
    re.VERBOSE,
)

# Lines after which a capture has nothing of the article left.
_TRAILER_START = re.compile(
    r"^(?:特别声明|免责声明|版权声明|Notice:|热点推荐|延伸阅读|推荐阅读|往期回顾|法律支持单位|责任编辑[:：]"
    r"|相关[\u4e00-\u9fff]{2}\s*[:：>》]*$)"
)

# Photo captions: marked with a triangle or square, or credited to a photographer.
_CAPTION = re.compile(r"^[▲▼△▽■□◆◇●]|^.{2,80}(?:供图|摄影?|图/.{1,10})$")

# Bylines: 记者 赖皓阳 / 青岛早报/观海新闻记者 徐小钦 吴涵 / 本版撰稿.
_BYLINE = re.compile(
    r"^(?:.{0,16}(?:记者|通讯员|撰稿|作者)[:：]?\s*[\u4e00-\u9fff]{2,4}(?:[\s、，,]+[\u4e00-\u9fff]{2,4})*"
    r"|本[版报刊]撰稿)$"
)

# Runs of "? ? ?" left where a converter lost the characters (often padding spaces).
_GARBAGE_RUN = re.compile(r"(?:[?？\ufffd][ \t\u3000]*){3,}")

MIN_ARTICLE_CHARS = 200

_OPENING_BRACKETS = "“‘《（(「『【"
_CLOSING_BRACKETS = "”’》）)」』】"
_WORD_END = re.compile(r"[0-9A-Za-z\u3400-\u9fff“‘《（(「『]$")
_WORD_START = re.compile(r"^[0-9A-Za-z\u3400-\u9fff”’》）)」』，,、。；;：:%]")
_STRUCTURAL_START = re.compile(r"^(?:#|\*\*|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[、.．](?!\d))")


def split_lines(text: str) -> list[str]:
    """Lines as every reader delimits them: at \\r\\n, \\r or \\n (nothing else)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


# A re-joined paragraph stops growing here, so a file of wrapped lines streams in bounded memory.
MAX_JOINED_CHARS = 20_000


# A letter's or speech's salutation: 各位代表： / 各区（市）民政局： / 同志们：
_SALUTATION = re.compile(r"^(?:各[\u4e00-\u9fff、，,（）()]{1,30}|同志们|女士们、先生们|尊敬的[\u4e00-\u9fff、，,]{1,30})[:：！!]$")
_SENTENCE_END = re.compile(r"[。！？!?；;]$")
# How far into a text a salutation may stand for the lines above it to be its masthead.
MASTHEAD_LINES = 16
MAX_MASTHEAD_LINE = 60


def iter_clean_lines(lines: Iterable[str]) -> Iterator[str]:
    """The article's lines (:func:`iter_article_lines`) without the masthead above a salutation.

    A speech or a letter opens with its title, delivery line, source, date and the speaker's byline,
    then 各位代表： (or 各区民政局：). Those short lines above the salutation, none of them a
    sentence, are neither headings nor passages; a text without a salutation near its top, or with
    a sentence before it (a news story quoting a speech), keeps every line.
    """
    head: list[str] = []
    lines = iter_article_lines(lines)
    for line in lines:
        if _SALUTATION.match(line):
            yield line  # the masthead above it goes
            break
        head.append(line)
        if len(head) > MASTHEAD_LINES or _SENTENCE_END.search(line) or len(line) > MAX_MASTHEAD_LINE:
            yield from head
            break
    else:
        yield from head
    yield from lines


def iter_article_lines(lines: Iterable[str]) -> Iterator[str]:
    """The article's non-empty lines, read as they come, holding one paragraph at a time.

    In one pass: garbage runs out; everything from the first trailer marker
    that follows some article text cut (recommended-headline blocks can be far
    longer than the article, so the marker is judged by the text before it,
    not by line count); chrome out; a paragraph that a layout split
    mid-sentence (退休人员基 / 本养老金) re-joined — a line is a broken
    paragraph's first half when it stops on a word character and is either
    too long to be a heading or leaves a quote or bracket open, and the next
    line continues it rather than starting a heading.
    """
    text_before = 0
    pending: str | None = None
    for line in lines:
        line = _GARBAGE_RUN.sub("", line).strip().replace("\u3000", " ").strip()
        if not line:
            continue
        if text_before >= MIN_ARTICLE_CHARS and _TRAILER_START.match(line):
            break
        text_before += len(line)
        if is_chrome(line):
            continue
        if pending is not None and len(pending) < MAX_JOINED_CHARS and _continues(pending, line):
            pending += line
            continue
        if pending is not None:
            yield pending
        pending = line
    if pending is not None:
        yield pending


def is_chrome(line: str) -> bool:
    """Page furniture, photo captions and bylines: not part of the article's body."""
    return bool(_CHROME_LINE.match(line) or _CAPTION.match(line) or _BYLINE.match(line))


def _continues(previous: str, line: str) -> bool:
    if previous.startswith(("#", "**")):
        return False  # a heading a reader marked (Word styles, HTML h1–h6) is whole on its line, however long
    if _STRUCTURAL_START.match(previous) and len(previous) <= 40 and not _has_open_bracket(previous):
        return False  # a heading, unless a quote left open says the line broke inside it
    if not _WORD_END.search(previous) or not _WORD_START.match(line) or _STRUCTURAL_START.match(line):
        return False
    return len(previous) > 40 or _has_open_bracket(previous)


def _has_open_bracket(text: str) -> bool:
    return sum(text.count(c) for c in _OPENING_BRACKETS) > sum(text.count(c) for c in _CLOSING_BRACKETS)
