"""Fixture makers for the ingestion tests: Chinese policy texts, Word files and PDFs written at run time.

Nothing here is a test; ``test_formats``, ``test_ingest`` and ``test_incremental`` import it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXTRA_CORPUS = PROJECT_ROOT.parent / "shared" / "extra-corpus"


def cli_command() -> list[str]:
    for candidate in (Path(sys.executable).parent / "policy-search", PROJECT_ROOT / ".venv" / "bin" / "policy-search"):
        if candidate.exists():
            return [str(candidate)]
    return [sys.executable, "-m", "indexer.cli.commands"]


def run_cli(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    """``policy-search`` as a real process."""
    environment = dict(os.environ, PYTHONIOENCODING="utf-8")
    environment.pop("POLICY_SEARCH_DEBUG", None)
    return subprocess.run(cli_command() + [str(a) for a in args], capture_output=True, text=True,
                          encoding="utf-8", env=environment, timeout=timeout)


def notice(city: str, topic: str, marker: str, date: str = "2025年3月18日") -> str:
    """A short policy notice about ``topic`` in ``city``; ``marker`` makes its content unique and searchable."""
    return (
        f"{city}市民政局关于做好{topic}工作的通知\n"
        f"各区（市）民政局：\n"
        f"为贯彻落实{topic}有关政策，进一步提高社会救助和养老服务水平，切实保障困难群众基本生活，"
        f"现就做好{topic}工作通知如下。\n"
        f"一、提高保障标准\n"
        f"{city}市城乡低保标准每人每月提高到1000元，特困人员基本生活标准同步提高。{marker}\n"
        f"二、加强服务管理\n"
        f"各区要加强{topic}工作的统筹协调，社区养老服务中心要覆盖全部街道，确保政策落实到位。\n"
        f"{city}市民政局\n"
        f"{date}\n"
    )


def write_docx(path: Path, blocks: list[tuple[str, str]], table: list[list[str]] | None = None) -> Path:
    """A Word file; ``blocks`` are (style, text) with style "Title", "Heading 1".. or "" for body text."""
    import docx

    document = docx.Document()
    for style, text in blocks:
        if style == "Title":
            document.add_heading(text, level=0)
        elif style.startswith("Heading "):
            document.add_heading(text, level=int(style.split()[1]))
        else:
            document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return path


def make_pdf(pages: list[list[str]]) -> bytes:
    """A PDF showing the given lines per page, in a CJK font with a ToUnicode map: a real text layer.

    A page given as an empty list holds only a filled rectangle (no text), like a scan.
    """
    ranges = [f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256)]
    blocks = [f"{len(ranges[i:i + 100])} beginbfrange\n" + "\n".join(ranges[i:i + 100]) + "\nendbfrange"
              for i in range(0, 256, 100)]
    cmap = ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + "\n".join(blocks) + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n").encode()
    kids = " ".join(f"{6 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /DW 1000 >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
    ]
    for number, lines in enumerate(pages):
        if lines:
            ops = ["BT", "/F1 12 Tf", "14 TL", "50 800 Td"]
            ops += ["<" + "".join(f"{ord(c):04X}" for c in line) + "> Tj T*" for line in lines] + ["ET"]
        else:
            ops = ["0 0 1 rg", "100 100 200 200 re f"]
        content = "\n".join(ops).encode()
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {7 + 2 * number} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


PHRASES = ["城乡低保标准稳步提高", "特困人员救助供养全面落实", "社区养老服务中心覆盖全部街道", "困难残疾人生活补贴按时发放",
           "儿童福利机构优化提质", "殡葬服务收费规范透明", "婚姻登记实现全省通办", "社会组织登记管理持续规范",
           "慈善事业健康发展", "临时救助及时有效", "养老服务人才队伍不断壮大", "居家社区养老服务网络更加完善"]


def write_big_text(path: Path, size: int, head: str, tail: str) -> int:
    """A text file of at least ``size`` bytes: ``head``, then 40 distinct ~380-character paragraphs repeated, then ``tail``.

    Written block by block (fast, little memory). Returns the number of bytes written.
    """
    paragraphs = []
    for number in range(40):
        words = [PHRASES[(number + k) % len(PHRASES)] for k in range(24)]
        paragraphs.append(f"第{number + 1}项：" + "，".join(words)[:370] + "。")
    block = ("\n".join(paragraphs) + "\n").encode("utf-8")
    written = 0
    with open(path, "wb") as handle:
        for part in (head.encode("utf-8"),):
            handle.write(part)
            written += len(part)
        tail_bytes = tail.encode("utf-8")
        while written + len(tail_bytes) < size:
            handle.write(block)
            written += len(block)
        handle.write(tail_bytes)
        written += len(tail_bytes)
    return written
