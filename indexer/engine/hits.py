"""A passage and its document's record made into what a reader gets: a hit, a figure row (backend-free:
a backend hands over the passage as stored and its document's record)."""

from __future__ import annotations

from indexer.engine.citation import citation, gbt7714
from indexer.engine.highlight import highlight_and_snippet
from indexer.ingest.places import NATIONAL, facet_province
from indexer.records import FigureRow, Hit


def passage_hit(rank: int, score: float, doc_id: str, order: int, passage: str, section: list[str], meta: dict,
                needles: list[str], duplicates: list[dict]) -> Hit:
    """A ranked passage, highlighted on ``needles``, with its citation; ``duplicates``: its folded reprints."""
    highlighted, snippet = highlight_and_snippet(passage, needles)
    return Hit(
        rank=rank, score=round(float(score), 4), doc_id=doc_id, order=order,
        title=meta.get("title", ""), city=meta.get("city", ""), year=meta.get("year"),
        date=meta.get("date", ""), source=meta.get("source", ""), doc_type=meta.get("doc_type", ""),
        section=section, passage=passage, highlight=highlighted, snippet=snippet,
        citation=citation(passage, meta, section), reference=gbt7714(meta),
        duplicates=duplicates,
        url=meta.get("url", ""), date_estimated=bool(meta.get("date_estimated")),
        level=meta.get("level", ""), province=meta.get("province", ""), county=meta.get("county", ""),
    )


def figure_rows(doc_id: str, order: int, passage: str, section: list[str], meta: dict, folded: str, found: list,
                quote) -> list[FigureRow]:
    """Rows for the figures ``found`` in a passage's folded text, quoted as the passage writes them."""
    place, level = place_and_level(meta)
    return [FigureRow(figure=f.text, value=f.value, high=f.high, unit=f.unit, rate=f.rate, approx=f.approx,
                      change=f.change, measure=f.measure, phrase=f.phrase, place=place, level=level,
                      year=meta.get("year"), date=meta.get("date", ""), doc_id=doc_id,
                      order=order, title=meta.get("title", ""), section=section, passage=passage)
            for f in quote(found, folded, passage)]


def place_and_level(meta: dict) -> tuple[str, str]:
    """Where a document speaks for: its city, else its province, else the country; and its level."""
    place = meta.get("city") or meta.get("province") or NATIONAL
    level = meta.get("level") or ("市级" if meta.get("city") else "省级" if meta.get("province") else NATIONAL)
    return place, level


def facet_value(meta: dict, name: str):
    """A document's value in a facet, as its passages' facet column holds it."""
    return facet_province(meta.get("level", ""), meta.get("province", "")) if name == "province" else meta.get(name)
