"""jieba's dictionary with the civil-affairs words already in it, from one file that loads in a tenth of a second.

jieba keeps its parsed main dictionary in a marshal cache (~0.35 s to load
its 350k entries), then the user dictionary is added word by word. Every
fresh process pays that before its first query. Here the finished state —
``FREQ`` (words and their prefixes), ``total``, the user words' tags and the
words to force-split — is written once to a flat file (frequencies as an
array, words as one newline-joined UTF-8 string), and later processes rebuild
the dict with ``dict(zip(…))`` in C. The file is keyed by everything the
state depends on (jieba's version and dictionary file, the user dictionary's
content), written atomically, and any problem falls back to jieba's own loading.

Both caches (this file and jieba's own marshal cache) live in a private
per-user folder (``$XDG_CACHE_HOME/policy-search`` or ``~/.cache/policy-search``,
mode 0700), never under a fixed name in the world-writable temporary folder: a
file planted there would silently change segmentation (or, for marshal, worse).
A cache file is trusted only if this user owns it and no one else can write it.

This module is the file format only; the tokenizer's state is read and set by
:mod:`indexer.text.segmentation` (``load_cached``, ``save_cached``), the one module
that touches jieba's internals.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path

FORMAT = 1
_HEADER = struct.Struct("<4sIQQI")  # magic, format, total, word count, extras length
_MAGIC = b"PSJB"


def _cache_path(tokenizer, user_dictionary: Path) -> Path | None:
    import jieba

    try:
        main = Path(tokenizer.dictionary or jieba.DEFAULT_DICT_NAME)
        if not main.is_absolute():
            main = Path(jieba.__file__).parent / main
        status = main.stat()
        user = hashlib.sha256(user_dictionary.read_bytes()).hexdigest() if user_dictionary.exists() else "none"
    except OSError:
        return None
    key = hashlib.sha256(json.dumps([FORMAT, jieba.__version__, str(main), status.st_size, status.st_mtime_ns,
                                     user]).encode()).hexdigest()[:20]
    return Path(tokenizer.tmp_dir or private_cache_dir()) / f"policy-search-{key}.jieba"


def private_cache_dir() -> Path:
    """This user's cache folder, made 0700; a fresh private temporary folder if that cannot be had."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "policy-search"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        if _is_private(base):
            return base
    except (OSError, RuntimeError):
        pass
    return Path(tempfile.mkdtemp(prefix="policy-search-jieba-"))


def _is_private(path: Path) -> bool:
    """Owned by this user and writable by no one else (a file or folder another user could swap is not)."""
    status = path.lstat()
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


@dataclass
class CachedDictionary:
    """jieba's parsed dictionary as a cache file holds it: words with their frequencies (prefixes at 0), the
    total, the user words' tags, and the user words jieba must force-split."""

    freq: dict[str, int]
    total: int
    tags: dict[str, str]
    force_split: list[str]


def read(tokenizer, user_dictionary: Path) -> CachedDictionary | None:
    """The cached dictionary for ``tokenizer``'s main dictionary and ``user_dictionary``; None if there is none."""
    path = _cache_path(tokenizer, user_dictionary)
    try:
        if path is None or not _is_private(path) or not _is_private(path.parent):
            return None
        data = path.read_bytes()
        magic, version, total, count, extras_length = _HEADER.unpack_from(data)
        if magic != _MAGIC or version != FORMAT:
            return None
        start = _HEADER.size
        freqs = array("q")
        freqs.frombytes(data[start:start + 8 * count])
        start += 8 * count
        extras = json.loads(data[start:start + extras_length].decode("utf-8"))
        words = data[start + extras_length:].decode("utf-8", "surrogatepass").split("\n")
        if len(words) != count or len(freqs) != count:
            return None
    except (OSError, ValueError, struct.error):
        return None
    return CachedDictionary(dict(zip(words, freqs)), total, dict(extras["tags"]), list(extras["force_split"]))


def write(tokenizer, user_dictionary: Path, cached: CachedDictionary) -> None:
    """Write a dictionary for later processes (best effort: a failure only costs speed)."""
    path = _cache_path(tokenizer, user_dictionary)
    if path is None:
        return
    words = list(cached.freq)
    if any("\n" in word for word in words):
        return
    extras = json.dumps({"tags": cached.tags, "force_split": cached.force_split}, ensure_ascii=False).encode("utf-8")
    freqs = array("q", (cached.freq[w] for w in words))
    blob = (_HEADER.pack(_MAGIC, FORMAT, cached.total, len(words), len(extras)) + freqs.tobytes() + extras
            + "\n".join(words).encode("utf-8", "surrogatepass"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".jieba-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(temporary, path)
    except OSError:
        pass


def user_words(user_dictionary: Path) -> list[str]:
    """The words of a user dictionary, as jieba's ``load_userdict`` reads them."""
    import jieba

    words = []
    if not user_dictionary.exists():
        return words
    for line in user_dictionary.read_bytes().decode("utf-8").lstrip("\ufeff").splitlines():
        line = line.strip()
        if line:
            words.append(jieba.re_userdict.match(line).group(1))
    return words
