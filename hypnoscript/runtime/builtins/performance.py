"""Performance builtins: memory and CPU figures of the process and the machine, garbage collection,
named profiles and a background monitor.

Memory is in megabytes (MB = 2^20 bytes, two decimals), times in milliseconds, CPU usage in percent
of all processors. Process figures come from /proc on Linux and from `resource` elsewhere; the
machine's CPU usage from /proc/stat (the load average where there is no /proc).
"""

from __future__ import annotations

import os
import sys
import time

from hypnoscript.runtime.builtins.args import as_number, as_string, optional
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import program_state, sleep_ms
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypArgumentError, HypError, HypIOError

_MB = 1024.0 * 1024.0


def to_mb(n_bytes: float) -> float:
    return round(n_bytes / _MB, 2)


def _env() -> None:
    current().capabilities.check("env")


# --- process figures ------------------------------------------------------------------------------


def _statm() -> tuple[int, int] | None:
    """(resident bytes, virtual bytes) of this process from /proc, or None without /proc."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            fields = fh.read().split()
        page = os.sysconf("SC_PAGE_SIZE")
        return int(fields[1]) * page, int(fields[0]) * page
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def peak_resident_bytes() -> int | None:
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


def resident_bytes() -> int:
    """The process's resident set size (its peak where the current size cannot be read)."""
    statm = _statm()
    if statm is not None:
        return statm[0]
    peak = peak_resident_bytes()
    if peak is None:
        raise HypIOError("the memory usage of the process is not available on this system")
    return peak


@builtin(
    "performance",
    "GetMemoryUsage() -> number",
    "Resident memory of the running process in MB",
    pure=False,
)
def _get_memory_usage():
    return to_mb(resident_bytes())


def available_bytes() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            info = {}
            for line in fh:
                key, _, rest = line.partition(":")
                info[key] = int(rest.split()[0]) * 1024
        return info.get("MemAvailable", info["MemFree"])
    except (OSError, ValueError, IndexError, KeyError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        raise HypIOError("the available memory is not known on this system") from None


@builtin(
    "performance",
    "GetAvailableMemory() -> number",
    "Memory the machine can still give to programs, in MB",
    capability="env",
)
def _get_available_memory():
    _env()
    return to_mb(available_bytes())


@builtin(
    "performance",
    "ForceGarbageCollection() -> number",
    "Run a full garbage collection; returns the number of unreachable objects found",
    pure=False,
    aliases=("CollectGarbage",),
)
def _force_garbage_collection():
    import gc

    return float(gc.collect())


@builtin(
    "performance",
    "OptimizeMemory() -> number",
    "Full garbage collection, then return freed heap memory to the system where the C library allows it "
    "(glibc); returns the MB by which the resident memory shrank",
    pure=False,
)
def _optimize_memory():
    import gc

    before = resident_bytes()
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass  # not glibc: the collection alone
    return max(0.0, to_mb(before - resident_bytes()))


def _cpu_time_ms() -> float:
    t = os.times()
    return (t.user + t.system) * 1000.0


def _thread_count() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Threads:"):
                    return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    import threading

    return float(threading.active_count())


@builtin(
    "performance",
    "GetProcessInfo() -> object",
    "{processId, parentProcessId, workingSet, peakWorkingSet, virtualMemory (MB), cpuTime (ms), threads, executable}",
    pure=False,
)
def _get_process_info():
    statm = _statm()
    rss = resident_bytes()
    peak = peak_resident_bytes()
    return {
        "processId": float(os.getpid()),
        "parentProcessId": float(os.getppid()),
        "workingSet": to_mb(rss),
        "peakWorkingSet": to_mb(max(rss, peak or 0)),
        "virtualMemory": to_mb(statm[1]) if statm is not None else None,
        "cpuTime": round(_cpu_time_ms(), 2),
        "threads": _thread_count(),
        "executable": sys.executable,
    }


# --- machine CPU usage ----------------------------------------------------------------------------


def _cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs from /proc/stat, or None without /proc."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(fields) < 4:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user time
    return total - idle, total


def _usage_between(a: tuple[int, int], b: tuple[int, int]) -> float | None:
    busy, total = b[0] - a[0], b[1] - a[1]
    if total <= 0:
        return None
    return round(min(100.0, max(0.0, 100.0 * busy / total)), 2)


def _load_percent() -> float:
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):
        raise HypIOError("the CPU usage is not available on this system") from None
    return round(min(100.0, 100.0 * load / (os.cpu_count() or 1)), 2)


_SAMPLE_MS = 100.0


def cpu_usage() -> float:
    """Machine CPU usage in percent over a short sample (the 1-minute load average without /proc)."""
    first = _cpu_ticks()
    if first is None:
        return _load_percent()
    sleep_ms(_SAMPLE_MS)
    second = _cpu_ticks()
    usage = None if second is None else _usage_between(first, second)
    return usage if usage is not None else 0.0


@builtin(
    "performance",
    "GetCPUUsage() -> number",
    "CPU usage of the machine in percent, sampled over 100 ms (from the load average where there is no /proc)",
    capability="env",
    aliases=("GetCpuUsage",),
)
def _get_cpu_usage():
    _env()
    return cpu_usage()


@builtin(
    "performance",
    "GetPerformanceMetrics() -> object",
    "{cpuUsage (%), memoryUsage, availableMemory (MB), processors, cpuTime (ms), threads}",
    capability="env",
)
def _get_performance_metrics():
    _env()
    return {
        "cpuUsage": cpu_usage(),
        "memoryUsage": to_mb(resident_bytes()),
        "availableMemory": to_mb(available_bytes()),
        "processors": float(os.cpu_count() or 1),
        "cpuTime": round(_cpu_time_ms(), 2),
        "threads": _thread_count(),
    }


# --- per-program state ----------------------------------------------------------------------------


class _State:
    __slots__ = ("active", "hook_previous", "hooked", "monitor", "profiles")

    def __init__(self) -> None:
        self.profiles: dict[str, _Profile] = {}
        self.active: list[_Profile] = []  # running profiles, most recent last
        self.monitor: _Monitor | None = None
        self.hook_previous = None
        self.hooked = False


def _state() -> _State:
    return program_state("performance", _State)


# --- profiles -------------------------------------------------------------------------------------

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _program_file() -> str | None:
    """The source file of the HypnoScript code that called the builtin (the first frame outside
    this package)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if not os.path.abspath(name).startswith(_PACKAGE_DIR + os.sep):
            return name
        frame = frame.f_back
    return None


def _traced_peak() -> int | None:
    import tracemalloc

    return tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else None


class _Profile:
    __slots__ = ("calls", "cpu", "files", "memory_start", "name", "result", "wall")

    def __init__(self, name: str, files: set[str]) -> None:
        self.name = name
        self.files = files
        self.calls = 0
        self.memory_start = 0
        self.result: dict | None = None
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    @property
    def ended(self) -> bool:
        return self.result is not None

    def snapshot(self) -> dict:
        if self.result is not None:
            return dict(self.result)
        return self._figures()

    def _figures(self) -> dict:
        wall, cpu, peak = time.perf_counter(), time.process_time(), _traced_peak()
        return {
            "name": self.name,
            "running": self.result is None,
            "executionTime": round((wall - self.wall) * 1000.0, 3),
            "cpuTime": round((cpu - self.cpu) * 1000.0, 3),
            "functionCalls": float(self.calls),
            "peakMemory": None if peak is None else to_mb(max(0, peak - self.memory_start)),
        }

    def finish(self) -> None:
        result = self._figures()
        result["running"] = False
        self.result = result


# tracemalloc is process-wide: it runs while any program has a running profile (unless something
# else had started it, then it is left running)
_trace_users = 0
_trace_owned = False


def _trace_acquire() -> None:
    global _trace_users, _trace_owned
    import tracemalloc

    if _trace_users == 0:
        if not tracemalloc.is_tracing():
            tracemalloc.start()
            _trace_owned = True
        tracemalloc.reset_peak()
    _trace_users += 1


def _trace_release() -> None:
    global _trace_users, _trace_owned
    import tracemalloc

    _trace_users = max(0, _trace_users - 1)
    if _trace_users == 0 and _trace_owned:
        tracemalloc.stop()
        _trace_owned = False


def _install_hook(state: _State) -> None:
    """Count calls of the program's own functions while the state has running profiles, with a
    profile hook on the program's thread (chained to any hook already there)."""
    import weakref

    if state.hooked:
        return
    previous = sys.getprofile()
    ctx_ref = weakref.ref(current())
    active = state.active

    def hook(frame, event, arg):
        if event == "call":
            if ctx_ref() is None:  # the program ended with a running profile
                sys.setprofile(previous)
                _trace_release()
                return
            name = frame.f_code.co_filename
            for profile in active:
                if name in profile.files or name.endswith(".hyp"):
                    profile.calls += 1
        if previous is not None:
            previous(frame, event, arg)

    state.hook_previous = previous
    state.hooked = True
    sys.setprofile(hook)
    _trace_acquire()


def _remove_hook(state: _State) -> None:
    if state.hooked and not state.active:
        sys.setprofile(state.hook_previous)
        state.hook_previous = None
        state.hooked = False
        _trace_release()


def _end(state: _State, profile: _Profile) -> None:
    profile.finish()
    state.active.remove(profile)
    _remove_hook(state)


@builtin(
    "performance",
    "StartProfiling(profileName: string) -> null",
    "Start a named profile: wall and CPU time, calls of the program's own functions and peak Python memory "
    "(profiles can nest; starting a name again restarts it)",
    capability="clock",
)
def _start_profiling(name):
    name = as_string(name, "StartProfiling", 1)
    current().capabilities.check("clock")
    state = _state()
    old = state.profiles.get(name)
    if old is not None and not old.ended:
        _end(state, old)
    profile = _Profile(name, {f for f in (_program_file(), current().script_path) if f})
    state.profiles[name] = profile
    _install_hook(state)
    state.active.append(profile)
    import tracemalloc

    profile.memory_start = tracemalloc.get_traced_memory()[0]
    profile.wall = time.perf_counter()
    profile.cpu = time.process_time()


@builtin(
    "performance",
    "StopProfiling(profileName?: string) -> object",
    "Stop the named profile (the most recently started one by default) and return its data",
    capability="clock",
)
def _stop_profiling(name=None):
    state = _state()
    if name is None:
        if not state.active:
            raise HypError("Builtin 'StopProfiling' found no running profile (start one with StartProfiling)")
        profile = state.active[-1]
    else:
        key = as_string(name, "StopProfiling", 1)
        profile = state.profiles.get(key)
        if profile is None or profile.ended:
            raise HypArgumentError(f"Builtin 'StopProfiling' found no running profile named '{key}'")
    _end(state, profile)
    return profile.snapshot()


@builtin(
    "performance",
    "GetProfileData(profileName: string) -> any",
    "{name, running, executionTime, cpuTime (ms), functionCalls, peakMemory (MB)} of a profile (null for an "
    "unknown name)",
    pure=False,
)
def _get_profile_data(name):
    name = as_string(name, "GetProfileData", 1)
    profile = _state().profiles.get(name)
    return None if profile is None else profile.snapshot()


# --- background monitor ---------------------------------------------------------------------------


class _Monitor:
    def __init__(self, interval_ms: float, ctx) -> None:
        import threading
        import weakref

        self.interval_ms = interval_ms
        self.started = time.perf_counter()
        self.stopped: float | None = None
        self.cpu: list[float] = []
        self.memory: list[float] = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.last_ticks = _cpu_ticks()
        self._ctx = weakref.ref(ctx)
        self.sample()
        self.thread = threading.Thread(target=self._run, name="hyp-monitor", daemon=True)
        self.thread.start()

    def sample(self) -> None:
        ticks = _cpu_ticks()
        if ticks is not None and self.last_ticks is not None:
            usage = _usage_between(self.last_ticks, ticks)
        elif ticks is None:
            try:
                usage = _load_percent()
            except HypIOError:
                usage = None
        else:
            usage = None
        try:
            memory = to_mb(resident_bytes())
        except HypIOError:
            memory = None
        with self.lock:
            if ticks is not None:
                self.last_ticks = ticks
            if usage is not None:
                self.cpu.append(usage)
            if memory is not None:
                self.memory.append(memory)

    def _run(self) -> None:
        while not self.stop_event.wait(self.interval_ms / 1000.0):
            if self._ctx() is None:  # the program is gone without stopping its monitor
                return
            self.sample()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join()
        self.sample()
        self.stopped = time.perf_counter()

    def data(self) -> dict:
        with self.lock:
            cpu, memory = list(self.cpu), list(self.memory)
        end = self.stopped if self.stopped is not None else time.perf_counter()
        return {
            "running": self.stopped is None,
            "intervalMs": self.interval_ms,
            "durationMs": round((end - self.started) * 1000.0, 3),
            "samples": float(max(len(cpu), len(memory))),
            "avgCpuUsage": round(sum(cpu) / len(cpu), 2) if cpu else 0.0,
            "maxCpuUsage": max(cpu) if cpu else 0.0,
            "avgMemoryUsage": round(sum(memory) / len(memory), 2) if memory else 0.0,
            "maxMemoryUsage": max(memory) if memory else 0.0,
        }


@builtin(
    "performance",
    "StartMonitoring(intervalMs?: number) -> null",
    "Sample the machine's CPU usage and the process's memory every intervalMs milliseconds (1000 by default, "
    "at least 10) in the background until StopMonitoring; starting again restarts the monitor",
    capability="env",
)
def _start_monitoring(interval=None):
    ms = as_number(optional(interval, 1000.0), "StartMonitoring", 1)
    if not ms >= 10.0 or ms == float("inf"):
        raise HypArgumentError("Builtin 'StartMonitoring' expected an interval of at least 10 ms at position 1")
    ctx = current()
    ctx.capabilities.check("env")
    ctx.capabilities.check("clock")
    state = _state()
    if state.monitor is not None and state.monitor.stopped is None:
        state.monitor.stop()
    state.monitor = _Monitor(ms, ctx)


@builtin(
    "performance",
    "StopMonitoring() -> object",
    "Stop the monitor (after a last sample) and return its data",
    capability="env",
)
def _stop_monitoring():
    monitor = _state().monitor
    if monitor is None:
        raise HypError("Builtin 'StopMonitoring' found no monitor (start one with StartMonitoring)")
    if monitor.stopped is None:
        monitor.stop()
    return monitor.data()


@builtin(
    "performance",
    "GetMonitoringData() -> any",
    "{running, intervalMs, durationMs, samples, avgCpuUsage, maxCpuUsage (%), avgMemoryUsage, maxMemoryUsage (MB)} "
    "of the current or last monitor (null before StartMonitoring)",
    pure=False,
)
def _get_monitoring_data():
    monitor = _state().monitor
    return None if monitor is None else monitor.data()
