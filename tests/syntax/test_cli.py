"""`hyp lex` and `hyp parse`, run as `python -m hypnoscript`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROGRAM = 'Focus {\n    induce x = 1 + 2;\n    observe "a\nb" + x;\n} Relax\n'


def hyp(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1", PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "hypnoscript", *args],
        input=stdin, capture_output=True, text=True, cwd=REPO, env=env, timeout=60,
    )


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "program.hyp"
    path.write_text(PROGRAM, encoding="utf-8")
    return path


@pytest.fixture
def broken(tmp_path):
    path = tmp_path / "broken.hyp"
    path.write_text("Focus {\n    observe (1 + ;\n    induce = 2;\n    observe 1 # 2;\n} Relax\n", encoding="utf-8")
    return path


def test_lex_prints_tokens_in_the_reference_layout(program):
    result = hyp("lex", str(program))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "=== Tokens ==="
    assert lines[1] == '   0: Token { token_type: Focus, lexeme: "Focus", line: 1, column: 1 }'
    assert lines[2] == '   1: Token { token_type: LBrace, lexeme: "{", line: 1, column: 7 }'
    # A string that spans lines reports the line where it ends, like the reference.
    assert '  10: Token { token_type: StringLiteral, lexeme: "a\\nb", line: 4, column: 13 }' in lines
    assert lines[-3].endswith('Token { token_type: Eof, lexeme: "", line: 6, column: 1 }')
    assert lines[-2] == ""
    assert lines[-1] == f"Total tokens: {len(lines) - 3}"


def test_lex_json(program):
    result = hyp("lex", "--json", str(program))
    assert result.returncode == 0
    tokens = json.loads(result.stdout)
    assert tokens[0] == {"kind": "Focus", "text": "Focus", "value": None, "start": 0, "end": 5,
                         "line": 1, "col": 1, "end_line": 1, "end_col": 6}
    assert tokens[-1]["kind"] == "Eof"


def test_lex_errors(tmp_path):
    path = tmp_path / "bad.hyp"
    path.write_text("Focus { observe 'x'; } Relax", encoding="utf-8")
    result = hyp("lex", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "error[HYP1001]: unexpected character '''" in result.stderr
    assert f"{path}:1:17" in result.stderr


def test_parse_prints_the_tree(program):
    result = hyp("parse", str(program))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "=== AST ==="
    assert lines[1] == "Program @1:1"
    assert "    - VarDecl kind='induce' name='x' type=None shared=False @2:5" in lines
    assert "        left: StringLit value='a\\nb' @3:13" in lines


def test_parse_without_spans(program):
    result = hyp("parse", "--no-spans", str(program))
    assert "@" not in result.stdout


def test_parse_json(program):
    result = hyp("parse", "--json", str(program))
    assert result.returncode == 0
    tree = json.loads(result.stdout)
    assert tree["node"] == "Program"
    declaration = tree["body"][0]
    assert declaration["node"] == "VarDecl" and declaration["name"] == "x"
    assert declaration["init"] == {
        "node": "Binary", "op": "+",
        "left": {"node": "NumberLit", "value": 1.0, "raw": "1", "span": declaration["init"]["left"]["span"]},
        "right": {"node": "NumberLit", "value": 2.0, "raw": "2", "span": declaration["init"]["right"]["span"]},
        "op_text": "+",
        "span": {"start": 23, "end": 28, "line": 2, "col": 16, "end_line": 2, "end_col": 21},
    }


def test_parse_reports_every_error(broken):
    result = hyp("parse", str(broken))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("error[") == 3
    assert f"{broken}:2:18" in result.stderr
    assert f"{broken}:3:12" in result.stderr
    assert f"{broken}:4:15" in result.stderr


def test_parse_json_diagnostics(broken):
    result = hyp("parse", "--format", "json", str(broken))
    assert result.returncode == 1
    diagnostics = json.loads(result.stderr)
    assert [d["code"] for d in diagnostics] == ["HYP1003", "HYP1004", "HYP1001"]
    assert diagnostics[0]["span"]["line"] == 2 and diagnostics[0]["file"] == str(broken)


def test_warnings_do_not_fail_the_parse(tmp_path):
    path = tmp_path / "warn.hyp"
    path.write_text('Focus {\n    observe "a"\n    observe "b";\n} Relax\n', encoding="utf-8")
    result = hyp("parse", str(path))
    assert result.returncode == 0
    assert "warning[HYP1011]" in result.stderr
    assert result.stdout.startswith("=== AST ===")


def test_stdin():
    result = hyp("parse", "-", stdin="Focus { observe 1; } Relax")
    assert result.returncode == 0 and "Output kind='observe'" in result.stdout


@pytest.mark.parametrize("command", ["lex", "parse"])
def test_missing_file_is_a_usage_error(command):
    result = hyp(command, "/no/such/file.hyp")
    assert result.returncode == 2
    assert result.stderr.strip() == "hyp: error: file not found: /no/such/file.hyp"


@pytest.mark.parametrize("command", ["lex", "parse"])
def test_unknown_flag_is_a_usage_error(command, program):
    result = hyp(command, "--bogus", str(program))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["lex", "parse"])
def test_binary_file(command, tmp_path):
    path = tmp_path / "binary.hyp"
    path.write_bytes(bytes(range(256)) * 40)
    result = hyp(command, str(path))
    assert result.returncode == 1
    assert "HYP1000" in result.stderr and "Traceback" not in result.stderr


def test_deeply_nested_file(tmp_path):
    path = tmp_path / "deep.hyp"
    path.write_text("Focus { observe " + "(" * 10_000 + "1; } Relax", encoding="utf-8")
    result = hyp("parse", str(path))
    assert result.returncode == 1
    assert "error[HYP1006]: nesting too deep" in result.stderr and "Traceback" not in result.stderr
