"""Whole programs: the sample programs and the conformance examples parse; printing a tree and
parsing it again gives the same tree; spans nest properly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hypnoscript.syntax import ast as A
from hypnoscript.syntax.parser import parse
from hypnoscript.syntax.source import Source

from . import printer

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("*.hyp"))

# The conformance examples of the specification, when it is around (it is not part of the repo).
_EXAMPLES_MD = Path(__file__).resolve().parents[3] / "shared" / "spec" / "EXAMPLES.md"


def _examples() -> list[tuple[str, str]]:
    if not _EXAMPLES_MD.exists():
        return []
    text = _EXAMPLES_MD.read_text(encoding="utf-8")
    blocks = re.findall(r"^## (Example \d+)[^\n]*\n.*?```hyp\n(.*?)```", text, re.S | re.M)
    return blocks


EXAMPLES = _examples()


def parse_clean(text: str, path: str) -> A.Program:
    program, diagnostics = parse(Source(text, path))
    assert diagnostics == [], [f"{d.span.line}:{d.span.col} {d.message}" for d in diagnostics]
    return program


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.name)
def test_sample_program_parses(path):
    program = parse_clean(path.read_text(encoding="utf-8"), str(path))
    assert program.body


@pytest.mark.skipif(not EXAMPLES, reason="EXAMPLES.md is not available")
def test_all_25_examples_are_found():
    assert len(EXAMPLES) == 25


@pytest.mark.parametrize("name,code", EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_conformance_example_parses(name, code):
    parse_clean(code, name)


def _all_sources():
    for path in PROGRAMS:
        yield path.name, path.read_text(encoding="utf-8")
    yield from EXAMPLES


@pytest.mark.parametrize("name,code", list(_all_sources()), ids=[n for n, _ in _all_sources()])
def test_round_trip(name, code):
    program = parse_clean(code, name)
    printed = printer.program(program)
    again = parse_clean(printed, name + " (printed)")
    assert again == program
    assert printer.program(again) == printed


def _walk(node):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children())


@pytest.mark.parametrize("name,code", list(_all_sources()), ids=[n for n, _ in _all_sources()])
def test_spans_nest(name, code):
    program = parse_clean(code, name)
    text_length = len(code)
    for node in _walk(program):
        span = node.span
        assert 0 <= span.start <= span.end <= text_length, node
        assert (span.line, span.col) <= (span.end_line, span.end_col)
        for child in node.children():
            assert span.start <= child.span.start and child.span.end <= span.end, (node, child)


def test_span_text_of_nodes():
    code = "Focus {\n    observe Counter(5).inc() + a[1];\n} Relax"
    program = parse_clean(code, "s.hyp")
    value = program.body[0].value
    assert code[value.span.start:value.span.end] == "Counter(5).inc() + a[1]"
    assert code[value.left.span.start:value.left.span.end] == "Counter(5).inc()"
    assert code[value.right.span.start:value.right.span.end] == "a[1]"
