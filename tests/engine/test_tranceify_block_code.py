"""`tranceify` blocks in generated code: nothing beyond the statements and the arguments' effects,
and declarations under Python names of their own."""

from __future__ import annotations

import ast as py
import io

from hypnoscript.engine.runner import build
from hypnoscript.project.execute import run_program
from hypnoscript.syntax.source import Source


def generated(body: str) -> str:
    compiler = build(Source("Focus {\n" + body + "\n} Relax\n", "blocks.hyp"))
    return py.unparse(compiler.last_module)


def run(body: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_program(Source("Focus {\n" + body + "\n} Relax\n", "blocks.hyp"), [], stdout=out, stderr=err,
                         use_cache=False)
    return status, out.getvalue(), err.getvalue()


def test_a_block_costs_nothing():
    plain = 'induce name = "Anna";\nobserve "Hello " + name;'
    assert generated('induce name = "Anna";\nTranceify("Induction", name) {\n    observe "Hello " + name;\n}') \
        == generated(plain)
    assert generated('induce name = "Anna";\nTranceify Greeting {\n    observe "Hello " + name;\n}') \
        == generated(plain)


def test_arguments_with_effects_run_first_in_order():
    code = generated('suggestion f(x) {\n    observe x;\n    awaken x;\n}\ntranceify(f(1), "s", f(2)) {\n'
                     '    observe 3;\n}')
    lines = code.splitlines()
    first, second, body = (next(i for i, line in enumerate(lines) if text in line)
                           for text in ("h_f(1.0)", "h_f(2.0)", "_fmtn(3.0)"))
    assert first < second < body
    assert run('suggestion f(x) {\n    observe x;\n    awaken x;\n}\ntranceify(f(1), "s", f(2)) {\n'
               '    observe 3;\n}') == (0, "1\n2\n3\n", "")


def test_block_variables_get_names_of_their_own():
    code = generated("induce a = 1;\ntranceify S {\n    induce a = 2;\n    observe a;\n}\nobserve a;")
    assert "h_a = 1" in code and "hc1_h_a = 2" in code
    assert run("induce a = 1;\ntranceify S {\n    induce a = 2;\n    observe a;\n}\nobserve a;") == (0, "2\n1\n", "")


def test_a_block_variable_read_after_the_block_is_a_name_error():
    status, out, err = run("tranceify S {\n    induce inner = 1;\n}\nobserve inner;")
    assert (status, out) == (1, "")
    assert "Variable 'inner' not found" in err and "blocks.hyp:5:9" in err


def test_errors_point_into_the_block():
    status, out, err = run('tranceify("x") {\n    observe "in";\n    tranceify Deeper {\n        observe 1 / null;\n'
                           '    }\n}')
    assert (status, out) == (1, "in\n")
    assert "HYP4001" in err and "blocks.hyp:5:17" in err
