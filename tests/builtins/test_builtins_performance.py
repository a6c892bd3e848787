"""Performance builtins: memory and CPU figures, garbage collection, profiles and the monitor."""

import os
import subprocess
import sys
import threading

import pytest
from builtin_helpers import call

from hypnoscript.runtime.builtins.registry import all_builtins
from hypnoscript.runtime.context import Capabilities
from hypnoscript.runtime.errors import HypArgumentError, HypError, HypPermissionError

# called directly (not through builtin_helpers.call) so that the calling source file is this one,
# whose own functions the profiles count
START = all_builtins()["StartProfiling"].func
STOP = all_builtins()["StopProfiling"].func
DATA = all_builtins()["GetProfileData"].func


def work():
    return 1


def test_memory_figures_are_plausible(ctx):
    usage = call("GetMemoryUsage")
    assert 1.0 < usage < 1e6 and round(usage, 2) == usage
    assert call("GetAvailableMemory") > 0
    info = call("GetProcessInfo")
    assert info["processId"] == float(os.getpid()) and info["parentProcessId"] == float(os.getppid())
    assert info["workingSet"] > 0 and info["peakWorkingSet"] >= info["workingSet"] * 0.5
    assert info["cpuTime"] > 0 and info["threads"] >= 1 and info["executable"] == sys.executable


def test_garbage_collection_finds_cycles(ctx):
    for _ in range(50):
        a = []
        a.append(a)
    del a
    assert call("ForceGarbageCollection") >= 1
    assert call("CollectGarbage") >= 0
    assert call("OptimizeMemory") >= 0


def test_cpu_usage_and_metrics(ctx):
    usage = call("GetCPUUsage")
    assert 0.0 <= usage <= 100.0
    metrics = call("GetPerformanceMetrics")
    assert set(metrics) == {"cpuUsage", "memoryUsage", "availableMemory", "processors", "cpuTime", "threads"}
    assert 0.0 <= metrics["cpuUsage"] <= 100.0 and metrics["processors"] >= 1


def test_machine_figures_need_the_env_capability(ctx):
    ctx.capabilities = Capabilities(env=())
    for name in ("GetAvailableMemory", "GetCPUUsage", "GetPerformanceMetrics", "StartMonitoring"):
        with pytest.raises(HypPermissionError):
            call(name)
    assert call("GetMemoryUsage") > 0  # the program's own figures stay available


def test_profile_counts_the_calls_of_the_program_functions(ctx):
    before = sys.getprofile()
    START("loop")
    for _ in range(5):
        work()
    running = DATA("loop")
    assert running["running"] is True and running["functionCalls"] == 5.0
    data = STOP()
    assert data["name"] == "loop" and data["running"] is False and data["functionCalls"] == 5.0
    assert data["executionTime"] >= 0 and data["cpuTime"] >= 0 and data["peakMemory"] >= 0
    assert DATA("loop") == data
    assert sys.getprofile() is before


def test_profiles_nest_and_restart(ctx):
    before = sys.getprofile()
    START("outer")
    work()
    START("inner")
    work()
    inner = STOP()
    work()
    outer = STOP("outer")
    assert (inner["name"], inner["functionCalls"]) == ("inner", 1.0)
    assert outer["functionCalls"] == 3.0
    START("outer")
    START("outer")  # restarting a running profile ends the first run
    work()
    assert STOP()["functionCalls"] == 1.0
    with pytest.raises(HypError, match="no running profile"):
        STOP()
    with pytest.raises(HypArgumentError, match="no running profile named 'outer'"):
        STOP("outer")
    assert sys.getprofile() is before


def test_profiling_needs_the_clock(ctx):
    ctx.capabilities = Capabilities(clock=False)
    with pytest.raises(HypPermissionError):
        call("StartProfiling", "x")
    assert call("GetProfileData", "x") is None


def test_monitor_samples_in_the_background(ctx):
    assert call("GetMonitoringData") is None
    call("StartMonitoring", 10.0)
    threading.Event().wait(0.08)
    running = call("GetMonitoringData")
    assert running["running"] is True and running["intervalMs"] == 10.0
    data = call("StopMonitoring")
    assert data["running"] is False and data["samples"] >= 3
    assert 0.0 <= data["avgCpuUsage"] <= data["maxCpuUsage"] <= 100.0
    assert 0.0 < data["avgMemoryUsage"] <= data["maxMemoryUsage"]
    assert call("GetMonitoringData") == data
    assert call("StopMonitoring") == data  # stopping again changes nothing
    assert not any(t.name == "hyp-monitor" for t in threading.enumerate())


def test_monitor_arguments(ctx):
    with pytest.raises(HypArgumentError, match="at least 10 ms"):
        call("StartMonitoring", 5.0)
    with pytest.raises(HypError, match="found no monitor"):
        call("StopMonitoring")
    call("StartMonitoring")
    call("StartMonitoring", 50.0)  # restarts
    assert call("StopMonitoring")["intervalMs"] == 50.0


PROGRAM = """
Focus {
    suggestion fib(n) {
        if (n < 2) { awaken n; }
        awaken fib(n - 1) + fib(n - 2);
    }
    entrance {
        StartProfiling("fib");
        induce result = fib(10);
        induce data = StopProfiling();
        observe result + " " + data.functionCalls + " " + data.running;
        observe GetProfileData("fib").functionCalls;
        observe GetMemoryUsage() > 0;
    }
} Relax;
"""


def test_profile_of_a_program(tmp_path):
    source = tmp_path / "prog.hyp"
    source.write_text(PROGRAM, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "hypnoscript", "exec", str(source)], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "55 177 false\n177\ntrue\n"
