"""A query plan written as MATCH(): one keyword per term, every node parenthesised, nothing that matches
nothing left in (Sphinx has no "match nothing"); counting expressions simplified without changing what
they match, ranked ones without changing their scored part."""

from __future__ import annotations

import itertools
import random

from indexer.backends.sphinx.match import Match, all_of, any_of, expression, keyword, leaf, without, written
from indexer.query import plan
from indexer.query.parse import parse_query
from indexer.query.plan import compile_query


def test_a_term_is_one_keyword_whatever_its_characters():
    assert keyword("养老服务") == "养老服务" and keyword("2025年") == "2025年"
    assert keyword("β受体") == "_3b2_受体"  # Sphinx would split at β and find every 受体
    assert keyword("a_b") == "a_5f_b"  # an underscore of the text cannot meet an escape


def test_nodes_that_match_nothing_drop_out_as_they_do_on_whoosh():
    term = plan.FieldTerm("content", "养老")
    assert expression(plan.NOTHING) is None
    assert expression(plan.And((term, plan.NOTHING))) is None
    assert str(expression(plan.Or((term, plan.NOTHING)))) == "(@content 养老)"
    assert str(expression(plan.AndNot(term, plan.NOTHING))) == "(@content 养老)"
    assert expression(plan.Require(term, plan.NOTHING)) is None
    maybe = plan.AndMaybe(term, plan.FieldTerm("grams", "养老"))
    assert str(expression(maybe)) == "((@content 养老) MAYBE (@grams 养老))"
    assert str(expression(maybe, scored=False)) == "(@content 养老)"


def test_phrases_are_substrings_of_the_fields_text():
    assert str(expression(plan.FieldPhrase("grams", ("养老", "老服", "服务")))) == '(@grams "养老 老服 服务")'
    assert str(expression(plan.FieldPhrase("title", ("养老", "服务")))) == '((@title 养老 服务) (@title_grams "养老 老服 服务"))'
    assert str(expression(plan.FieldPrefix("grams", "老"))) == "(@grams 老*)"


def test_a_compiled_query_keeps_its_exclusion_and_operators_in_parentheses():
    compiled = compile_query(parse_query('"养老服务" OR 殡葬 -青岛'))
    text = str(expression(compiled.strict))
    assert text.count("(") == text.count(")")
    assert text.endswith('-((@grams 青岛) MAYBE (@content 青岛)))')
    assert " | " in text and '"养老 老服 服务"' in text


# -- simplifying ------------------------------------------------------------------------------

GRAMS_A, SECTION_A, TITLE_A = leaf("grams", "养老"), leaf("section", "养老"), leaf("title", "养老")
GRAMS_B, SECTION_B = leaf("grams", "服务"), leaf("section", "服务")


def test_a_count_drops_the_parts_another_part_implies_and_reads_a_keyword_once_for_its_fields():
    implied = any_of([all_of([GRAMS_A, GRAMS_B]), GRAMS_A])  # 养老 and 服务, or 养老: 养老
    assert written(implied) == "(@grams 养老)"
    both = all_of([any_of([GRAMS_A, SECTION_A, TITLE_A]), any_of([GRAMS_A, SECTION_A])])
    assert written(both) == "(@(grams,section) 养老)"
    assert written(any_of([both, all_of([GRAMS_B, both])])) == "(@(grams,section) 养老)"


def test_a_ranked_tier_is_its_simplified_matches_maybe_every_keyword_that_scores():
    scored = Match("maybe", (GRAMS_A, leaf("content", "养老")))
    never_meets = all_of([SECTION_B, without(SECTION_A, GRAMS_A)])  # holds only where 养老 is not in the text
    tier = without(scored, any_of([never_meets, all_of([GRAMS_A, GRAMS_B]), all_of([GRAMS_A, GRAMS_B, SECTION_B])]))
    assert written(tier, ranked=True) == \
        "(((@grams 养老) -((@grams 养老) (@grams 服务))) MAYBE (@(grams,content) 养老))"
    assert written(without(scored, GRAMS_A), ranked=True) is None  # everything it finds is left out
    redundant = all_of([any_of([scored, SECTION_A, TITLE_A]), any_of([GRAMS_A, SECTION_A])])
    assert written(redundant, ranked=True) == \
        "((@(grams,section) 养老) MAYBE (@(grams,content,section,title) 养老))"


def _holds(match: Match, true: set) -> bool:
    if match.kind == "leaf":
        return any((field, match.text) in true for field in match.fields)
    values = [_holds(part, true) for part in match.parts]
    if match.kind == "and":
        return all(values)
    if match.kind == "or":
        return any(values)
    return values[0] and (match.kind == "maybe" or not values[1])


def _random_match(rng: random.Random, leaves: list[Match], depth: int) -> Match:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(leaves)
    kind = rng.choice(["and", "or", "or", "not"])
    if kind == "not":
        return without(_random_match(rng, leaves, depth - 1), _random_match(rng, leaves, depth - 1))
    parts = [_random_match(rng, leaves, depth - 1) for _ in range(rng.randint(2, 4))]
    return any_of(parts) if kind == "or" else all_of(parts)


def test_a_phrase_implies_its_words_in_its_field():
    phrase = leaf("grams", '"养老 老服 服务"')
    assert written(any_of([phrase, all_of([GRAMS_A, GRAMS_B])])) == "((@grams 养老) (@grams 服务))"
    assert written(all_of([phrase, GRAMS_A])) == '(@grams "养老 老服 服务")'
    assert written(any_of([phrase, SECTION_A])) == '((@grams "养老 老服 服务") | (@section 养老))'  # another field


def test_simplified_counts_match_exactly_what_they_simplify_on_every_combination_of_terms():
    words = [(field, text) for field in ("grams", "section", "title") for text in ("养老", "服务")]
    keys = words + [("grams", '"养老 老服 服务"'), ("title", "养老 服务")]
    leaves = [leaf(field, text) for field, text in keys]
    rng = random.Random(17)
    shorter = 0
    for _ in range(300):
        original = _random_match(rng, leaves, 4)
        simplified_text = written(original)
        simplified = _reparsed(original, simplified_text)
        for bits in itertools.product((False, True), repeat=len(keys)):
            true = {key for key, bit in zip(keys, bits) if bit}
            if any(key in true and not {(key[0], w) for w in ("养老", "服务")} <= true for key in keys[len(words):]):
                continue  # no passage holds a phrase without its words
            expected = _holds(original, true)
            assert (simplified is not None and _holds(simplified, true)) == expected, (str(original), simplified_text)
        shorter += simplified_text is None or len(simplified_text) < len(str(original))
    assert shorter > 150  # most random expressions had something to drop


def _reparsed(original: Match, text: str | None) -> Match | None:
    """The simplified tree itself (``written`` returns text): rebuilt through the same functions."""
    from indexer.backends.sphinx import match as module

    leaves = module._leaves(original, {})
    tables = module._Tables(leaves)
    tree = module._simplified(original, tables)[0]
    assert (None if tree is None else str(tree)) == text
    return tree
