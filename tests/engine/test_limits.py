"""Programs at the edges: long operator chains, deep recursion, runaway recursion."""

from __future__ import annotations

import io

from hypnoscript.project.execute import run_program
from hypnoscript.syntax.source import Source


def run(text: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_program(Source(text, "limits.hyp"), [], stdout=out, stderr=err, use_cache=False)
    return status, out.getvalue(), err.getvalue()


def test_a_chain_of_twenty_thousand_additions_compiles_and_runs():
    status, out, err = run("Focus { induce x = 1; observe " + " + ".join(["x"] * 20000) + "; } Relax")
    assert (status, out, err) == (0, "20000\n", "")


def test_a_chain_of_literals_folds_to_the_right_sum():
    status, out, _ = run("Focus { observe " + " + ".join(["1"] * 3000) + "; } Relax")
    assert (status, out) == (0, "3000\n")


def test_recursion_five_thousand_deep_works():
    program = """Focus {
        suggestion depth(n) { if (n == 0) { awaken 0; } awaken 1 + depth(n - 1); }
        observe depth(5000);
    } Relax"""
    assert run(program)[:2] == (0, "5000\n")


def test_runaway_recursion_is_a_clean_diagnostic():
    status, out, err = run("Focus {\n suggestion f(n) { awaken f(n + 1); }\n observe f(0);\n} Relax")
    assert status == 1 and out == ""
    assert "HYP4008" in err and "recursion too deep" in err
    assert "limits.hyp:2:" in err and "Traceback" not in err
    assert err.count("\n      in f at") <= 12  # the call stack shown is capped


def test_ctrl_c_stops_a_running_program_with_status_130(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    program = tmp_path / "forever.hyp"
    program.write_text("Focus { induce i = 0; while (true) { i = i + 1; } } Relax\n")
    # a shell that started the tests in the background leaves SIGINT ignored, which children inherit
    proc = subprocess.Popen([sys.executable, "-m", "hypnoscript", "exec", str(program)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(2.0)  # past start-up, into the loop
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.strip() == "interrupted" and "Traceback" not in err
