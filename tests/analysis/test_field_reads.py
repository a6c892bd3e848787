"""Which fields of a parameter a suggestion can reach (what `hyp serve` builds of a request)."""

from __future__ import annotations

from hypnoscript.analysis.field_reads import fields_read
from hypnoscript.syntax import ast as A
from hypnoscript.syntax.parser import parse_or_raise
from hypnoscript.syntax.source import Source


def reads(suggestion: str):
    tree = parse_or_raise(Source("Focus {\n" + suggestion + "\n} Relax\n"))
    decl = next(s for s in tree.body if isinstance(s, A.FuncDecl))
    return fields_read(decl, decl.params[0].name)


def test_field_accesses_with_fixed_names_are_the_fields_read():
    assert reads("suggestion h(req) { awaken { id: req.params.id, page: req.query?.page ?? 1 }; }") \
        == {"params", "query"}
    assert reads("suggestion h(req) { if (req.method == \"GET\") { awaken 1; } awaken req.body.items[0]; }") \
        == {"method", "body"}
    assert reads("suggestion h(req) { awaken 1; }") == frozenset()


def test_any_other_use_means_every_field_can_be_reached():
    for body in ("awaken req;", "awaken helper(req);", "induce r = req; awaken r.params;",
                 "awaken req[\"params\"];", "req = 1; awaken req.params;", "awaken req == null;",
                 "induce f = suggestion(req) { awaken req; }; awaken req.params;"):
        assert reads("suggestion h(req) { " + body + " }") is None, body
