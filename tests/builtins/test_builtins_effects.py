"""Builtins with effects: output, sleeping, files, environment, clock, randomness, stdin, callbacks,
capabilities."""

import io
import os
import re

import pytest
from builtin_helpers import call

from hypnoscript.runtime.context import Capabilities
from hypnoscript.runtime.errors import HypError, HypExit, HypIOError, HypPermissionError, HypThrow, HypTypeError


def out(ctx):
    return ctx.stdout.getvalue()


# --- output and sleeping ---------------------------------------------------------------------


def test_deep_trance_prints_and_sleeps(ctx):
    call("DeepTrance", 250.0)
    assert out(ctx) == "Entering deep trance...\nEmerging from trance...\n"
    assert ctx.slept == [0.25]


def test_deep_trance_negative_does_not_sleep(ctx):
    call("DeepTrance", -5.0)
    assert ctx.slept == []


def test_hypnotic_countdown(ctx):
    call("HypnoticCountdown", 2.0)
    assert out(ctx) == "You are feeling very sleepy... 2\nYou are feeling very sleepy... 1\nYou are now in a deep hypnotic state.\n"
    assert ctx.slept == [1.0, 1.0]


def test_hypnotic_countdown_zero_prints_only_the_last_line(ctx):
    call("HypnoticCountdown", 0.0)
    assert out(ctx) == "You are now in a deep hypnotic state.\n"


def test_trance_induction_and_visualization(ctx):
    call("TranceInduction", "Max")
    call("HypnoticVisualization", "a garden")
    lines = out(ctx).splitlines()
    assert lines[0] == "Welcome Max, you are about to enter a deep trance..."
    assert lines[3] == "Your mind is becoming clear and focused..."
    assert lines[4] == "Imagine yourself in a garden..."
    assert ctx.slept == [2.0, 1.5, 1.5, 1.0, 1.5, 1.5, 1.0]


def test_localized_hypnotic_texts(ctx):
    call("DeepTranceLocalized", 0.0, "de-DE")
    call("HypnoticCountdownLocalized", 1.0, "fr")
    call("TranceInductionLocalized", "Ana", "es")
    call("HypnoticVisualizationLocalized", "x", "it")
    lines = out(ctx).splitlines()
    assert lines[0] == "Trete in tiefe Trance ein..."
    assert lines[2] == "Vous vous sentez très endormi... 1"
    assert lines[4] == "Bienvenido Ana, estás a punto de entrar en un trance profundo..."
    assert lines[8] == "Imagine yourself in x..."


def test_observe_and_drift(ctx):
    call("Observe", [1.0, "a", None])
    call("Drift", 5.0)
    call("Sleep", 0.0)
    assert out(ctx) == "[1, a, null]\n"
    assert ctx.slept == [0.005]


def test_clock_capability_denied(ctx):
    ctx.capabilities = Capabilities(clock=False)
    with pytest.raises(HypPermissionError):
        call("DeepTrance", 1.0)
    assert out(ctx) == ""
    with pytest.raises(HypPermissionError):
        call("CurrentTimestamp")


# --- core -------------------------------------------------------------------------------------


def test_throw_and_try(ctx):
    with pytest.raises(HypThrow) as exc:
        call("Throw", "bad value")
    assert exc.value.value == "bad value"

    def fails():
        raise HypError("boom")

    fails.__qualname__ = "fails"
    assert call("Try", fails, "fallback") == "fallback"
    assert call("Try", lambda: 3.0, "fallback") == 3.0


def test_parse_json_errors(ctx):
    with pytest.raises(HypError, match="JSON error"):
        call("ParseJSON", "{nope")
    with pytest.raises(HypError, match="JSON error"):
        call("ParseJSON", "NaN")


def test_stringify_json_rejects_functions_and_cycles(ctx):
    with pytest.raises(HypTypeError):
        call("StringifyJSON", [len])
    cyclic = [1.0]
    cyclic.append(cyclic)
    with pytest.raises(HypTypeError):
        call("StringifyJSON", cyclic)


def test_exit(ctx):
    with pytest.raises(HypExit) as exc:
        call("Exit", 3.4)
    assert exc.value.status == 3
    with pytest.raises(HypExit) as exc:
        call("Exit", 4294967298.0)
    assert exc.value.status == 2


# --- files ------------------------------------------------------------------------------------


def test_file_round_trip(ctx, tmp_path):
    p = str(tmp_path / "sub" / "dir" / "a.txt")
    call("WriteFile", p, "héllo\n")
    call("AppendFile", p, "world")
    assert call("ReadFile", p) == "héllo\nworld"
    assert call("FileExists", p) and call("IsFile", p) and not call("IsDirectory", p)
    assert call("GetFileSize", p) == float(len("héllo\nworld".encode()))
    assert call("ReadLines", p) == ["héllo", "world"]
    q = str(tmp_path / "b.txt")
    assert call("CopyFile", p, q) == call("GetFileSize", p)
    call("RenameFile", q, str(tmp_path / "c.txt"))
    call("MoveFile", str(tmp_path / "c.txt"), str(tmp_path / "d.txt"))
    assert sorted(call("ListDirectory", str(tmp_path))) == ["d.txt", "sub"]
    assert call("ListFiles", str(tmp_path)) == ["d.txt"]
    assert call("ListDirectories", str(tmp_path)) == ["sub"]
    info = call("GetFileInfo", p)
    assert info["size"] == call("GetFileSize", p) and info["isFile"] is True
    call("DeleteFile", str(tmp_path / "d.txt"))
    assert not call("FileExists", str(tmp_path / "d.txt"))
    assert call("HashFile", p, "md5") == __import__("hashlib").md5("héllo\nworld".encode()).hexdigest()


def test_write_lines_and_directories(ctx, tmp_path):
    p = str(tmp_path / "lines.txt")
    call("WriteLines", p, ["a", "b"])
    assert open(p, encoding="utf-8").read() == "a\nb"
    d = str(tmp_path / "x" / "y")
    call("CreateDirectory", d)
    call("CreateDirectory", d)
    assert call("IsDirectory", d) and call("DirectoryExists", d)
    call("WriteFile", os.path.join(d, "f.txt"), "1")
    call("CopyDirectoryRecursive", str(tmp_path / "x"), str(tmp_path / "copy"))
    assert call("ReadFile", str(tmp_path / "copy" / "y" / "f.txt")) == "1"
    with pytest.raises(HypIOError):
        call("DeleteDirectory", str(tmp_path / "x"))
    call("DeleteDirectory", str(tmp_path / "x"), True)
    assert not call("FileExists", str(tmp_path / "x"))
    with pytest.raises(HypIOError, match="Source path is not a directory"):
        call("CopyDirectoryRecursive", p, str(tmp_path / "z"))


def test_file_errors_use_os_messages(ctx, tmp_path):
    missing = str(tmp_path / "missing.txt")
    with pytest.raises(HypIOError, match=r"^No such file or directory \(os error 2\)$"):
        call("ReadFile", missing)
    with pytest.raises(HypIOError, match=r"os error 21"):
        call("DeleteFile", str(tmp_path))
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(HypIOError, match="stream did not contain valid UTF-8"):
        call("ReadFile", str(bad))
    with pytest.raises(HypIOError):
        call("HashFile", missing)


def test_files_capability(ctx, tmp_path):
    ctx.capabilities = Capabilities(files=(str(tmp_path / "allowed"),))
    call("WriteFile", str(tmp_path / "allowed" / "ok.txt"), "x")
    with pytest.raises(HypPermissionError):
        call("ReadFile", str(tmp_path / "secret.txt"))
    with pytest.raises(HypPermissionError):
        call("FileExists", "/etc/passwd")


# --- system -----------------------------------------------------------------------------------


def test_environment(ctx, monkeypatch):
    monkeypatch.setenv("HYP_TEST_VAR", "1")
    assert call("GetEnv", "HYP_TEST_VAR") == "1"
    assert call("GetEnv", "HYP_TEST_UNSET_VAR") is None
    call("SetEnv", "HYP_TEST_VAR", "two")
    assert os.environ["HYP_TEST_VAR"] == "two"
    assert call("GetAllEnvironmentVariables")["HYP_TEST_VAR"] == "two"
    with pytest.raises(HypError, match="cannot be empty"):
        call("SetEnv", "", "x")
    with pytest.raises(HypError, match="null bytes"):
        call("SetEnv", "A", "x\0")
    ctx.capabilities = Capabilities(env=("PATH",))
    with pytest.raises(HypPermissionError):
        call("GetEnv", "HYP_TEST_VAR")


def test_host_information(ctx, monkeypatch):
    assert call("GetOperatingSystem") in ("linux", "macos", "windows", "freebsd", "openbsd", "netbsd")
    assert call("GetArchitecture")
    assert call("GetCpuCount") >= 1
    assert call("GetHostname")
    monkeypatch.setenv("USER", "trancer")
    assert call("GetUsername") == "trancer"
    monkeypatch.setenv("HOME", "/home/trancer")
    assert call("GetHomeDirectory") == "/home/trancer"
    monkeypatch.delenv("TMPDIR", raising=False)
    assert call("GetTempDirectory") == "/tmp"
    assert call("GetCurrentDirectory") == os.getcwd()
    assert call("GetArgs") == ["hyp", "exec", "prog.hyp"]
    assert call("GetCurrentProcessId") == float(os.getpid())
    info = call("GetSystemInfo")
    assert info["os"] == call("GetOperatingSystem") and info["processors"] == call("GetCpuCount")
    mem = call("GetMemoryInfo")
    assert mem["total"] >= mem["available"] >= 0


def test_execute_command_and_change_directory(ctx, tmp_path):
    assert call("ExecuteCommand", "echo hypno") == "hypno\n"
    here = os.getcwd()
    try:
        call("ChangeDirectory", str(tmp_path))
        assert os.getcwd() == str(tmp_path)
    finally:
        os.chdir(here)
    with pytest.raises(HypIOError):
        call("ChangeDirectory", str(tmp_path / "missing"))
    ctx.capabilities = Capabilities(process=False)
    with pytest.raises(HypPermissionError):
        call("ExecuteCommand", "echo no")


# --- time -------------------------------------------------------------------------------------


def test_clock_builtins(ctx):
    ts = call("CurrentTimestamp")
    assert ts == int(ts) and ts > 1.7e9
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", call("CurrentDate"))
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}", call("CurrentTime"))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", call("CurrentDateTime"))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", call("Now"))
    assert 0 <= call("DayOfWeek") <= 6 and 1 <= call("DayOfYear") <= 366
    assert 1 <= call("CurrentMonth") <= 12 and 1 <= call("CurrentDay") <= 31
    assert 0 <= call("CurrentHour") <= 23 and 0 <= call("CurrentMinute") <= 59 and 0 <= call("CurrentSecond") <= 60
    assert call("CurrentYear") >= 2024
    assert call("Timestamp") >= ts


def test_format_date_time():
    import datetime

    from hypnoscript.runtime.builtins.time_date import format_datetime

    d = datetime.datetime(2001, 7, 8, 0, 34, 59, 26490, tzinfo=datetime.timezone(datetime.timedelta(hours=9, minutes=30)))
    assert format_datetime(d, "%Y-%m-%d %H:%M:%S") == "2001-07-08 00:34:59"
    assert format_datetime(d, "%A %a %B %b %j %e %-d %_m %w %u") == "Sunday Sun July Jul 189  8 8  7 0 7"
    assert format_datetime(d, "%I %l %p %P %y %C") == "12 12 AM am 01 20"
    assert format_datetime(d, "%z %:z %.3f %.f %6f %%") == "+0930 +09:30 .026 .026490 026490 %"
    assert format_datetime(d, "%D %F %T %R %c") == "07/08/01 2001-07-08 00:34:59 00:34 Sun Jul  8 00:34:59 2001"
    assert format_datetime(d, "%+") == "2001-07-08T00:34:59.026490+09:30"
    with pytest.raises(HypError, match="invalid format specifier"):
        format_datetime(d, "%Q")


def test_format_date_time_builtin(ctx):
    assert call("FormatDateTime", "%Y") == str(int(call("CurrentYear")))
    with pytest.raises(HypError):
        call("FormatDateTime", "%")


# --- randomness -------------------------------------------------------------------------------


def test_random_is_reproducible_with_a_seed(ctx):
    first = [call("Random"), call("RandomInt", 1.0, 6.0), call("UuidV4"), call("Shuffle", [1.0, 2.0, 3.0])]
    ctx.seed(7)
    again = [call("Random"), call("RandomInt", 1.0, 6.0), call("UuidV4"), call("Shuffle", [1.0, 2.0, 3.0])]
    assert first == again
    assert 0 <= first[0] < 1 and 1 <= first[1] <= 6 and first[1] == int(first[1])
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first[2])


def test_random_helpers(ctx):
    assert 2 <= call("RandomRange", 2.0, 3.0) < 3
    assert call("RandomChoice", ["a"]) == "a" and call("RandomChoice", []) is None
    assert sorted(call("RandomSample", [1.0, 2.0, 3.0], 5.0)) == [1.0, 2.0, 3.0]
    assert len(call("Sample", [1.0, 2.0, 3.0], 2.0)) == 2
    s = call("GenerateRandomString", 12.0)
    assert len(s) == 12 and s.isalnum()
    assert set(call("GenerateRandomString", 5.0, "x")) == {"x"}
    assert len(call("GenerateRandomKey", 16.0)) == 32 and len(call("GenerateSalt")) == 32
    assert call("GenerateUUID") != call("GenerateUUID")
    with pytest.raises(HypError):
        call("RandomInt", 5.0, 1.0)
    schedule = call("RetrySchedule", 3.0, 100.0, 2.0, 10.0)
    assert all(base <= d <= base + 10 for base, d in zip([100, 200, 400], schedule))


def test_random_capability(ctx):
    ctx.capabilities = Capabilities(random=False)
    for name, args in [("Random", ()), ("Shuffle", ([1.0],)), ("UuidV4", ()), ("GenerateRandomString", (3.0,))]:
        with pytest.raises(HypPermissionError):
            call(name, *args)
    assert call("Shuffle", [1.0, 2.0], 3.0)  # a seeded shuffle is deterministic and always allowed


# --- stdin ------------------------------------------------------------------------------------


def test_cli_prompt(ctx):
    ctx.stdin = io.StringIO("  Max  \n\n\n")
    assert call("CliPrompt", "Name") == "Max"
    assert call("CliPrompt", "Service", "demo") == "demo"
    with pytest.raises(HypError, match="Eingabe darf nicht leer sein"):
        call("CliPrompt", "Name", None, False, "de-DE")
    assert out(ctx) == "Name: Service (default: demo): Name: "


def test_cli_confirm(ctx):
    ctx.stdin = io.StringIO("maybe\nja\n\nn\n")
    assert call("CliConfirm", "Weiter?", False, "de") is True
    assert "Bitte mit 'j' oder 'n' antworten." in out(ctx)
    assert "Weiter? [j/N]: " in out(ctx)
    assert call("CliConfirm", "Go?", True) is True
    assert call("CliConfirm", "Go?", True) is False
    assert call("CliConfirm", "Go?", True) is True  # end of input takes the default


def test_input_provider(ctx):
    ctx.stdin = io.StringIO("42\n")
    assert call("InputProvider", "Number: ") == "42"
    assert call("InputProvider") is None
    assert out(ctx) == "Number: "


# --- structured log lines ----------------------------------------------------------------------


def test_log_event_forms(monkeypatch):
    from hypnoscript.runtime.builtins import http_service
    from hypnoscript.runtime.values import Record

    lines = []
    monkeypatch.setattr(http_service, "_sink", lambda level, message, fields: lines.append((level, message, fields)))
    call("LogEvent", "warning", "careful", {"n": 1.0})
    call("LogEvent", "hello")
    call("LogEvent", "processed", {"id": 3.0})
    call("LogEvent", Record("Event", {"kind": "login"}))
    assert lines == [("warning", "careful", {"n": 1}), ("info", "hello", {}), ("info", "processed", {"id": 3}),
                     ("info", "event", {"kind": "login"})]
    with pytest.raises(HypError, match="expected a level"):
        call("LogEvent", "loud", "x")
