"""Corpus files → documents with metadata and a stream of passages, and a report of what was skipped.

A file is read twice, as a stream both times, so its size never decides the
memory a build needs: the first pass collects metadata and the content hash
(:func:`load`), the second yields passages (:meth:`Loaded.passages`) straight
into the index writer. Small files are decoded once and kept for the second pass.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer.documents import Document, Passage
from indexer.ingest.front_matter import FRONT_MATTER_DELIMITERS, MAX_FRONT_MATTER_LINES, checked_values, parse_front_matter
from indexer.ingest.metadata import FIELDS, MANIFEST_NAME, Inference, resolve_layers
from indexer.names import display_name, display_path
from indexer.ingest.passages import iter_passages
from indexer.ingest.readers import (Source, UnreadableFile, check_file, detect_encoding, file_format, open_source,
                             supported, tolerable_errors)

# Fewer Chinese characters than this and a file is not a Chinese text (an English page, a data dump).
MIN_CJK_CHARS = 20
# Files describing a corpus rather than belonging to it.
_CORPUS_DOCS = re.compile(r"^(?:readme|source|sources|license|licence|changelog)(?:\.[a-z]+)?$", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff]")
HASH_CHUNK = 1024 * 1024


@dataclass
class Skipped:
    """A file not indexed, and why (``kind`` is "skipped" for bad files, "duplicate" for repeats)."""

    path: str
    reason: str
    kind: str = "skipped"


@dataclass
class Loaded:
    """A file after the metadata pass: its document record (no passages yet) and its source."""

    document: Document
    source: Source
    notes: list[str] = field(default_factory=list)

    def passages(self) -> Iterator[Passage]:
        """The second pass: passages as the file streams past (nothing is kept)."""
        return iter_passages(_body_lines(self.source)[1], self.document.title)


# -- finding files -------------------------------------------------------------

def walk(corpus_dirs: list[Path], follow_links: bool = False,
         missing: str = "语料目录不存在") -> Iterator[tuple[Path, Path] | Skipped]:
    """The one corpus walk (build, update, add, tools): each file of ``corpus_dirs`` as ``(path, corpus)``,
    in a stable order, or a :class:`Skipped` with the reason it is left out — a corpus that is not a
    folder is skipped with ``missing``."""
    for corpus in corpus_dirs:
        corpus = Path(corpus)
        if not corpus.is_dir():
            yield Skipped(str(corpus), missing)
            continue
        for item in scan(corpus, follow_links=follow_links):
            yield item if isinstance(item, Skipped) else (item, corpus)


def corpus_files(corpus_dir: Path) -> Iterator[Path]:
    """Supported files under a corpus directory, in a stable order (what :func:`walk` finds, minus reports)."""
    for item in walk([corpus_dir]):
        if not isinstance(item, Skipped):
            yield item[0]


def unique_id(stem: str, content_hash: str, taken) -> str:
    """The file name's stem, or stem-<hash prefix> when another document has that id."""
    return stem if stem not in taken else f"{stem}-{content_hash[:8]}"


def scan(corpus_dir: Path, follow_links: bool = False) -> Iterator[Path | Skipped]:
    """Every file under a corpus directory in a stable order, or why it is left out.

    Symlinks that stay inside the corpus are followed (a folder once; a folder
    reached again through a link, a symlink loop, is reported, not walked); a
    link that leads out of the corpus is reported and not read unless
    ``follow_links``. Hidden files, manifests and corpus notes (README, SOURCE,
    LICENSE) are passed over silently.
    """
    visited: set[tuple[int, int]] = set()
    root = None if follow_links else Path(corpus_dir).resolve()
    yield from _scan_dir(Path(corpus_dir), visited, root)


def _outside(path: Path, root: Path | None) -> str | None:
    """Where a symlink leads when that is outside ``root`` (None: inside, not a link, or links allowed)."""
    if root is None or not path.is_symlink():
        return None
    try:
        target = path.resolve()
    except (OSError, RuntimeError):
        return None  # a loop or a dangling link: reported by the reader as before
    if target == root or root in target.parents:
        return None
    return str(target)


def _scan_dir(directory: Path, visited: set[tuple[int, int]], root: Path | None = None) -> Iterator[Path | Skipped]:
    try:
        status = directory.stat()
    except OSError as error:
        yield Skipped(str(directory), "符号链接循环" if error.errno == 40 else f"无法读取目录：{error.strerror}")
        return
    key = (status.st_dev, status.st_ino)
    if key in visited:
        yield Skipped(str(directory), "符号链接循环（目录已经读过），未再次进入")
        return
    visited.add(key)
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as error:
        yield Skipped(str(directory), f"无法读取目录：{error.strerror}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        target = _outside(path, root)
        if target is not None:
            yield Skipped(str(path), f"符号链接指向语料目录之外（{target}），未读取；确需读取请加 --follow-links")
            continue
        try:
            is_dir = entry.is_dir()  # follows symlinks; False for a broken or looping link
        except OSError:
            is_dir = False
        if is_dir:
            yield from _scan_dir(path, visited, root)
        elif entry.name != MANIFEST_NAME and not _CORPUS_DOCS.match(entry.name):
            if supported(path):
                yield path
            else:
                try:
                    file_format(path)
                except UnreadableFile as error:
                    yield Skipped(str(path), str(error))


# -- manifests -----------------------------------------------------------------

class Manifests:
    """Curated entries from ``manifest.toml`` files: the one in a file's folder, else the nearest above it
    up to the corpus root; entries are keyed by path relative to the manifest (a file name when beside it)."""

    def __init__(self) -> None:
        self._cache: dict[Path, dict[str, dict]] = {}
        self.errors: list[Skipped] = []
        self.notes: list[str] = []

    def entry(self, path: Path, corpus_dir: Path) -> dict:
        directory = path.parent
        while True:
            entries = self._load(directory)
            key = path.relative_to(directory).as_posix() if _is_within(path, directory) else path.name
            if key in entries:
                return entries[key]
            if directory == corpus_dir or not _is_within(directory, corpus_dir) or directory.parent == directory:
                return {}
            directory = directory.parent

    def _load(self, directory: Path) -> dict[str, dict]:
        if directory not in self._cache:
            manifest = directory / MANIFEST_NAME
            self._cache[directory] = self._read(manifest) if manifest.is_file() else {}
        return self._cache[directory]

    def _read(self, manifest: Path) -> dict[str, dict]:
        """A manifest's entries by file; a manifest that cannot be used is reported and ignored, never fatal."""
        import tomllib

        try:
            data = manifest.read_bytes()
        except OSError as error:
            self.errors.append(Skipped(str(manifest), f"清单无法读取，已忽略：{error.strerror or error}"))
            return {}
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                encoding, _ = detect_encoding(data)
                text = data.decode(encoding)
            except (UnreadableFile, UnicodeDecodeError, LookupError):
                self.errors.append(Skipped(str(manifest), "清单不是 UTF-8 文本，无法读取，已忽略"))
                return {}
            self.notes.append(f"{display_path(manifest)}：清单不是 UTF-8 编码，已按 {encoding} 读取（TOML 应存为 UTF-8）")
        try:
            documents = tomllib.loads(text).get("document", [])
        except tomllib.TOMLDecodeError as error:
            self.errors.append(Skipped(str(manifest), f"清单无法读取，已忽略：{error}"))
            return {}
        if not isinstance(documents, list):
            self.errors.append(Skipped(str(manifest), "清单格式不对：document 应写成 [[document]] 表，已忽略"))
            return {}
        return {str(entry["file"]): entry for entry in documents if isinstance(entry, dict) and "file" in entry}


def curated_hash(entry: dict) -> str:
    """Identifies a manifest entry's content, so an edited entry re-indexes its file."""
    return hashlib.sha256(json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:16] if entry else ""


# -- reading one file ----------------------------------------------------------

def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes: how an update tells a changed file from an unchanged one."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
    except OSError as error:
        raise UnreadableFile(f"无法读取：{error.strerror or error}") from error
    return digest.hexdigest()


def load(path: Path, corpus_dir: Path, curated: dict | None = None) -> Loaded:
    """The metadata pass over one file; raises UnreadableFile with the reason it cannot be indexed."""
    path, corpus_dir = Path(path), Path(corpus_dir)
    check_file(path)
    source = open_source(path)
    front_matter, lines = _body_lines(source)
    inference = Inference()
    inference.url = source.url
    digest = hashlib.sha256()
    characters = visible = cjk = 0
    for line in lines:
        inference.feed(line)
        stripped = line.strip()
        if stripped:  # blank lines and indentation differ between formats of one text
            digest.update(stripped.encode("utf-8", errors="surrogatepass"))
            digest.update(b"\n")
        characters += len(line)
        visible += len(stripped)
        if cjk < MIN_CJK_CHARS:
            cjk += len(_CJK.findall(line))
    if source.kind == "text" and source.replaced > tolerable_errors(characters):
        raise UnreadableFile(f"无法解码：{source.replaced} 处字节按 {source.encoding} 无法解码（文件损坏或不是文本）")
    if not visible:
        raise UnreadableFile("没有文字内容")
    if cjk < MIN_CJK_CHARS:
        raise UnreadableFile(f"没有中文内容（{cjk} 个汉字）" if cjk else "没有中文内容")
    manifest_values, notices = checked_values(curated or {}, "清单")
    front_matter_values, front_matter_notices = checked_values(front_matter, "文件头")
    layers = [("manifest", manifest_values), ("front-matter", front_matter_values)]
    name = display_name(path)
    values, provenance = resolve_layers(layers, inference, fallback_title=Path(name.text).stem)
    document = Document(
        doc_id=Path(name.text).stem, path=str(path), corpus=str(corpus_dir),
        content_hash=digest.hexdigest(), provenance=provenance,
        **{name: values[name] for name in FIELDS},
    )
    document.indexed = datetime.date.today().isoformat()
    document.format = source.kind
    document.encoding = source.encoding
    document.file_hash = file_hash(path)
    document.curated_hash = curated_hash(curated or {})
    document.notes = [*name.notes, *source.notes, *notices, *front_matter_notices]
    if source.replaced and not source.notes:
        document.notes.append(f"有 {source.replaced} 个字符无法解码，已替换为 �")
    return Loaded(document=document, source=source, notes=document.notes)


def _body_lines(source: Source) -> tuple[dict, Iterator[str]]:
    """Front-matter fields (text files only) and the lines after the block."""
    lines = source.lines()
    if source.kind != "text":
        return {}, lines
    head: list[str] = []
    for line in lines:
        head.append(line)
        if line.strip():
            break
    delimiter = head[-1].strip().lstrip("\ufeff") if head else ""
    if delimiter not in FRONT_MATTER_DELIMITERS:
        return {}, _chain(head, lines)
    block: list[str] = []
    for line in lines:
        if line.strip() == delimiter:
            return parse_front_matter(delimiter, block), lines
        block.append(line)
        if len(block) > MAX_FRONT_MATTER_LINES:
            break
    return {}, _chain(head + block, lines)  # no closing delimiter: not front-matter


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _is_within(path: Path, directory: Path) -> bool:
    try:
        path.relative_to(directory)
        return True
    except ValueError:
        return False


# -- whole documents in memory (tools and benchmarks on small corpora) -----------

def iter_corpus(corpus_dirs: list[Path]) -> Iterator[Document | Skipped]:
    """Documents with their passages in memory, one by one; duplicates and bad files as Skipped.

    The index build streams instead (:mod:`indexer.backends.whoosh.build`); this is for
    tools that want whole documents, such as the benchmark's sampler.
    """
    manifests = Manifests()
    seen_hashes: dict[str, str] = {}
    for item in walk([Path(os.path.abspath(corpus_dir)) for corpus_dir in corpus_dirs]):
        if isinstance(item, Skipped):
            yield item
            continue
        path, corpus_dir = item
        try:
            loaded = load(path, corpus_dir, manifests.entry(path, corpus_dir))
            document = loaded.document
            document.passages = list(loaded.passages())
        except UnreadableFile as error:
            yield Skipped(str(path), str(error))
            continue
        if not document.passages:
            yield Skipped(str(path), "没有可检索的正文（清理后为空）")
            continue
        if document.content_hash in seen_hashes:
            yield Skipped(str(path), f"内容与 {seen_hashes[document.content_hash]} 相同，按重复跳过", "duplicate")
            continue
        document.doc_id = unique_id(document.doc_id, document.content_hash, set(seen_hashes.values()))
        seen_hashes[document.content_hash] = document.doc_id
        yield document
