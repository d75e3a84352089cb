"""File names as a person can read them: on one line, in the characters they were written in.

On Linux a name is bytes. Names from a Windows archive are often GBK, which
Python carries as lone surrogates (``surrogateescape``): they cannot be
printed or stored as UTF-8, so one such name used to end a whole build. A
newline or an escape sequence in a name could forge lines of a report. Every
name that is shown, or becomes a document id, passes through here.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

# Control characters, line and paragraph separators, and bidirectional overrides (which reorder what is shown).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@dataclass(frozen=True)
class Name:
    text: str
    notes: tuple[str, ...] = ()


def display_name(path) -> Name:
    """The path decoded part by part (UTF-8, else GB18030), with unsafe characters written as escapes.

    A part that is not UTF-8 gets a note naming how it was read, so the
    report says why the file's id differs from the bytes of its name.
    """
    parts = []
    notes = []
    for raw in os.fsencode(path).split(b"/"):
        try:
            parts.append(raw.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        try:
            part = raw.decode("gb18030")
            notes.append(f"文件名「{one_line(part)}」不是 UTF-8 编码，已按 GB18030 读出")
        except UnicodeDecodeError:
            part = raw.decode("utf-8", errors="replace")
            notes.append(f"文件名「{one_line(part)}」含无法解码的字节，已替换为 �")
        parts.append(part)
    return Name(one_line("/".join(parts)), tuple(notes))


def display_path(path) -> str:
    """A path safe to print on one line of a report."""
    return display_name(path).text


def one_line(text: str) -> str:
    """``text`` with control characters and the like written as visible escapes (``\\n``, ``\\x1b``)."""
    return _UNSAFE.sub(lambda match: match.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def json_text(value, **options) -> str:
    """JSON that any UTF-8 writer accepts: a name's undecodable bytes (lone surrogates) as ``\\udcxx`` escapes.

    ``json.loads`` gives the same string back, so a stored path still opens its file.
    """
    return json.dumps(value, ensure_ascii=False, **options).encode("utf-8", "backslashreplace").decode("utf-8")
