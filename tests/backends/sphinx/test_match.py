"""A query plan written as MATCH(): one keyword per term, every node parenthesised, nothing that matches
nothing left in (Sphinx has no "match nothing")."""

from __future__ import annotations

from indexer.backends.sphinx.match import expression, keyword
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
    assert expression(plan.Or((term, plan.NOTHING))) == "(@content 养老)"
    assert expression(plan.AndNot(term, plan.NOTHING)) == "(@content 养老)"
    assert expression(plan.Require(term, plan.NOTHING)) is None
    maybe = plan.AndMaybe(term, plan.FieldTerm("grams", "养老"))
    assert expression(maybe) == "((@content 养老) MAYBE (@grams 养老))"
    assert expression(maybe, scored=False) == "(@content 养老)"


def test_phrases_are_substrings_of_the_fields_text():
    assert expression(plan.FieldPhrase("grams", ("养老", "老服", "服务"))) == '(@grams "养老 老服 服务")'
    assert expression(plan.FieldPhrase("title", ("养老", "服务"))) == '((@title 养老 服务) (@title_grams "养老 老服 服务"))'
    assert expression(plan.FieldPrefix("grams", "老")) == "(@grams 老*)"


def test_a_compiled_query_keeps_its_exclusion_and_operators_in_parentheses():
    compiled = compile_query(parse_query('"养老服务" OR 殡葬 -青岛'))
    written = expression(compiled.strict)
    assert written.count("(") == written.count(")")
    assert written.endswith('-((@grams 青岛) MAYBE (@content 青岛)))')
    assert " | " in written and '"养老 老服 服务"' in written
