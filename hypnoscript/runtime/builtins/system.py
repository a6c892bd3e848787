"""System builtins: the host, the environment, the process. Environment access is checked against
the `env` capability, running commands against `process`."""

from __future__ import annotations

import os
import sys

from hypnoscript.runtime.builtins.args import (
    as_function,
    as_integer,
    as_number,
    as_string,
    optional,
)
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import os_error, program_state
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypArgumentError, HypError, HypExit, HypIOError


def _env(name: str | None = None) -> None:
    current().capabilities.check("env", name)


@builtin("system", "GetCurrentDirectory() -> string", "The working directory of the process", capability="env")
def _get_current_directory():
    _env()
    try:
        return os.getcwd()
    except OSError:
        return "."


@builtin(
    "system",
    "ChangeDirectory(path: string) -> null",
    "Change the working directory of the process",
    capability="process",
)
def _change_directory(path):
    path = as_string(path, "ChangeDirectory", 1)
    current().capabilities.check("process")
    current().capabilities.check("files", path)
    try:
        os.chdir(path)
    except OSError as exc:
        raise os_error(exc) from None


@builtin(
    "system",
    "GetEnv(name: string) -> string",
    "An environment variable, or null when unset",
    capability="env",
    aliases=("GetEnvVar", "GetEnvironmentVariable"),
)
def _get_env(name):
    name = as_string(name, "GetEnv", 1)
    _env(name)
    if not name or "=" in name or "\0" in name:
        return None
    return os.environ.get(name)


@builtin(
    "system",
    "SetEnv(name: string, value: string) -> null",
    "Set an environment variable for this process",
    capability="env",
    aliases=("SetEnvVar", "SetEnvironmentVariable"),
)
def _set_env(name, value):
    name = as_string(name, "SetEnv", 1)
    value = as_string(value, "SetEnv", 2)
    if not name:
        raise HypError("Environment variable name cannot be empty")
    if "\0" in name:
        raise HypError("Environment variable name cannot contain null bytes")
    if "\0" in value:
        raise HypError("Environment variable value cannot contain null bytes")
    if "=" in name:
        raise HypError("Environment variable name cannot contain '='")
    _env(name)
    os.environ[name] = value


@builtin(
    "system", "GetAllEnvironmentVariables() -> object", "Every environment variable as an object", capability="env"
)
def _get_all_env():
    _env()
    return dict(sorted(os.environ.items()))


_OS_NAMES = {"darwin": "macos", "win32": "windows", "cygwin": "windows"}


def operating_system() -> str:
    """Rust's `std::env::consts::OS`: linux, macos, windows, freebsd, ..."""
    plat = sys.platform
    if plat in _OS_NAMES:
        return _OS_NAMES[plat]
    return plat.rstrip("0123456789") or plat


def architecture() -> str:
    """Rust's `std::env::consts::ARCH`: x86_64, aarch64, x86, arm, ..."""
    import platform

    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64", "i386": "x86", "i686": "x86"}.get(machine, machine or "unknown")


@builtin("system", "GetOperatingSystem() -> string", "linux, macos, windows, ...", pure=False)
def _get_operating_system():
    return operating_system()


@builtin("system", "GetArchitecture() -> string", "x86_64, aarch64, ...", pure=False)
def _get_architecture():
    return architecture()


@builtin(
    "system", "GetCpuCount() -> number", "Number of logical CPUs", pure=False, aliases=("CpuCount", "GetProcessorCount")
)
def _get_cpu_count():
    return float(os.cpu_count() or 1)


@builtin("system", "GetHostname() -> string", "The host name, or unknown", capability="env")
def _get_hostname():
    import socket

    _env()
    try:
        return socket.gethostname() or "unknown"
    except OSError:
        return "unknown"


@builtin("system", "GetUsername() -> string", "$USER, else $USERNAME, else unknown", capability="env")
def _get_username():
    _env()
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


@builtin("system", "GetHomeDirectory() -> string", "$HOME, else $USERPROFILE, else .", capability="env")
def _get_home_directory():
    _env()
    return os.environ.get("HOME") or os.environ.get("USERPROFILE") or "."


@builtin(
    "system", "GetTempDirectory() -> string", "The temporary directory ($TMPDIR or /tmp on Unix)", capability="env"
)
def _get_temp_directory():
    _env()
    if os.name == "nt":
        import tempfile

        return tempfile.gettempdir()
    return os.environ.get("TMPDIR") or "/tmp"


@builtin("system", "GetArgs() -> string[]", "The program's command-line arguments", pure=False)
def _get_args():
    return list(current().argv)


@builtin("system", "GetCurrentProcessId() -> number", "The process id", pure=False)
def _get_current_process_id():
    return float(os.getpid())


@builtin(
    "system",
    "Exit(code: number) -> null",
    "End the program with an exit status (rounded, truncated to 32 bits)",
    pure=False,
)
def _exit(code):
    n = as_integer(code, "Exit", 1)
    raise HypExit(((n + (1 << 31)) & 0xFFFFFFFF) - (1 << 31))


@builtin(
    "system",
    "ExecuteCommand(command: string, timeoutMs?: number) -> string",
    "Run a shell command and return its standard output",
    capability="process",
)
def _execute_command(command, timeout=None):
    import subprocess

    command = as_string(command, "ExecuteCommand", 1)
    seconds = as_number(optional(timeout, 60000.0), "ExecuteCommand", 2) / 1000.0
    current().capabilities.check("process")
    try:
        done = subprocess.run(
            command, shell=True, capture_output=True, timeout=max(seconds, 0.001), stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise HypIOError(f"Command timed out after {seconds:g} s: {command}") from None
    except OSError as exc:
        raise os_error(exc) from None
    return done.stdout.decode("utf-8", "replace")


@builtin(
    "system",
    "GetSystemInfo() -> object",
    "{os, architecture, processors, hostname, frameworkVersion}",
    capability="env",
)
def _get_system_info():
    from hypnoscript import __version__

    return {
        "os": operating_system(),
        "architecture": architecture(),
        "processors": _get_cpu_count(),
        "hostname": _get_hostname(),
        "frameworkVersion": __version__,
    }


@builtin("system", "GetMemoryInfo() -> object", "{total, available, used} memory in MB (Linux)", capability="env")
def _get_memory_info():
    _env()
    info: dict[str, float] = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                info[key] = float(rest.split()[0]) / 1024.0
    except (OSError, ValueError, IndexError):
        raise HypIOError("memory information is not available on this system") from None
    total = info.get("MemTotal", 0.0)
    available = info.get("MemAvailable", info.get("MemFree", 0.0))
    return {"total": float(round(total)), "available": float(round(available)), "used": float(round(total - available))}


# --- background processes -------------------------------------------------------------------------


class _Children:
    """The background processes a program started, by process id (so KillProcess can reap them)."""

    def __init__(self) -> None:
        self.by_pid: dict[int, object] = {}


@builtin(
    "system",
    "ExecuteCommandAsync(command: string) -> number",
    "Start a shell command in the background (its output is discarded) and return its process id",
    capability="process",
)
def _execute_command_async(command):
    import subprocess

    command = as_string(command, "ExecuteCommandAsync", 1)
    current().capabilities.check("process")
    try:
        child = subprocess.Popen(
            command, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    except OSError as exc:
        raise os_error(exc) from None
    program_state("system.children", _Children).by_pid[child.pid] = child
    return float(child.pid)


@builtin(
    "system",
    "KillProcess(processId: number) -> boolean",
    "Ask a process to terminate (SIGTERM; TerminateProcess on Windows); false when there is no such process",
    capability="process",
)
def _kill_process(pid):
    import signal
    import subprocess

    n = as_integer(pid, "KillProcess", 1)
    if n <= 0 or n > 0x7FFFFFFF:
        raise HypArgumentError(f"Builtin 'KillProcess' expected a process id (a positive whole number), got {n}")
    if n == os.getpid():
        raise HypArgumentError("Builtin 'KillProcess' cannot end the running program itself (use Exit)")
    current().capabilities.check("process")
    child = program_state("system.children", _Children).by_pid.pop(n, None)
    if child is not None:
        if child.poll() is not None:  # type: ignore[attr-defined]
            return False
        child.terminate()  # type: ignore[attr-defined]
        try:
            child.wait(timeout=2)  # type: ignore[attr-defined]
        except subprocess.TimeoutExpired:
            pass  # still running: it was asked to end, which is all KillProcess does
        return True
    try:
        os.kill(n, signal.SIGTERM)
    except ProcessLookupError:
        return False
    except OSError as exc:
        raise os_error(exc) from None
    return True


def _proc_processes() -> list[dict] | None:
    try:
        pids = [int(d) for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return None
    page = os.sysconf("SC_PAGE_SIZE")
    out = []
    for pid in sorted(pids):
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
                stat = fh.read()
            with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
                resident = int(fh.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue  # ended while being listed, or not readable
        name = stat[stat.find("(") + 1 : stat.rfind(")")]
        rest = stat[stat.rfind(")") + 2 :].split()
        out.append({
            "id": float(pid),
            "name": name,
            "memory": round(resident / 1048576.0, 2),
            "parentId": float(rest[1]) if len(rest) > 1 else None,
            "state": rest[0] if rest else None,
        })
    return out


def _ps_processes() -> list[dict]:
    import subprocess

    try:
        done = subprocess.run(["ps", "-axo", "pid=,ppid=,rss=,comm="], capture_output=True, timeout=10,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        raise HypIOError("the process list is not available on this system") from None
    out = []
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split(None, 3)
        if len(parts) < 4 or not parts[0].isdigit():
            continue
        out.append({
            "id": float(parts[0]),
            "name": os.path.basename(parts[3].strip()),
            "memory": round(int(parts[2]) / 1024.0, 2) if parts[2].isdigit() else 0.0,
            "parentId": float(parts[1]) if parts[1].isdigit() else None,
            "state": None,
        })
    return out


@builtin(
    "system",
    "GetProcessList() -> object[]",
    "The running processes as {id, name, memory (resident MB), parentId, state}, by id",
    capability="process",
)
def _get_process_list():
    current().capabilities.check("process")
    found = _proc_processes()
    return found if found is not None else _ps_processes()


# --- disks and network ----------------------------------------------------------------------------

_PSEUDO_FILESYSTEMS = frozenset(
    ["autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts", "devtmpfs", "efivarfs", "fusectl", "hugetlbfs", "mqueue", "nsfs", "proc", "pstore", "ramfs", "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "sysfs", "tracefs"]
)


def _mount_points() -> list[tuple[str, str, str]]:
    """(mount point, device, file system) of the disks to report."""
    if os.name == "nt":
        import string

        return [(f"{c}:\\", f"{c}:", "") for c in string.ascii_uppercase if os.path.exists(f"{c}:\\")]
    mounts: list[tuple[str, str, str]] = []
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 3 and parts[2] not in _PSEUDO_FILESYSTEMS and parts[2] != "tmpfs":
                    point = parts[1].replace("\\040", " ")
                    mounts.append((point, parts[0], parts[2]))
    except OSError:
        pass
    if not any(m[0] == "/" for m in mounts):
        mounts.insert(0, ("/", "", ""))
    return mounts


@builtin(
    "system",
    "GetDiskInfo() -> object[]",
    "The mounted disks as {letter (drive letter, or mount point outside Windows), mountPoint, device, fileSystem, "
    "total, free, used (GB)}",
    capability="env",
)
def _get_disk_info():
    import shutil

    _env()
    gb = 1024.0**3
    seen: set[tuple[int, int]] = set()
    out = []
    for point, device, fs in _mount_points():
        try:
            usage = shutil.disk_usage(point)
            key = (os.stat(point).st_dev, usage.total)
        except OSError:
            continue
        if key in seen or usage.total == 0:
            continue
        seen.add(key)
        out.append({
            "letter": point[0] if os.name == "nt" else point,
            "mountPoint": point,
            "device": device,
            "fileSystem": fs,
            "total": round(usage.total / gb, 2),
            "free": round(usage.free / gb, 2),
            "used": round(usage.used / gb, 2),
        })
    return out


@builtin(
    "system",
    "GetNetworkInfo() -> object",
    "{hostname, ipAddress (of the interface toward other hosts; no packet is sent), interfaces}",
    capability="env",
)
def _get_network_info():
    import socket

    _env()
    try:
        hostname = socket.gethostname() or "unknown"
    except OSError:
        hostname = "unknown"
    address = "127.0.0.1"
    try:
        # connecting a UDP socket only picks the route: nothing goes over the wire
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.1", 9))
            address = sock.getsockname()[0]
    except OSError:
        pass
    try:
        interfaces = [name for _, name in socket.if_nameindex()]
    except (OSError, AttributeError):
        interfaces = []
    return {"hostname": hostname, "ipAddress": address, "interfaces": interfaces}


# --- Windows registry -----------------------------------------------------------------------------

_HIVES = {
    "HKEY_CLASSES_ROOT": "HKEY_CLASSES_ROOT",
    "HKCR": "HKEY_CLASSES_ROOT",
    "HKEY_CURRENT_USER": "HKEY_CURRENT_USER",
    "HKCU": "HKEY_CURRENT_USER",
    "HKEY_LOCAL_MACHINE": "HKEY_LOCAL_MACHINE",
    "HKLM": "HKEY_LOCAL_MACHINE",
    "HKEY_USERS": "HKEY_USERS",
    "HKU": "HKEY_USERS",
    "HKEY_CURRENT_CONFIG": "HKEY_CURRENT_CONFIG",
    "HKCC": "HKEY_CURRENT_CONFIG",
}


def _registry(name: str):
    _env()
    try:
        import winreg
    except ImportError:
        raise HypIOError(f"Builtin '{name}': the registry exists only on Windows") from None
    return winreg


def _registry_key(winreg, key: str, name: str) -> tuple[object, str]:
    hive, _, path = key.replace("/", "\\").partition("\\")
    root = _HIVES.get(hive.upper())
    if root is None:
        raise HypArgumentError(f"Builtin '{name}' expected a key that starts with a hive such as HKEY_CURRENT_USER, "
                               f"got '{key}'")
    return getattr(winreg, root), path


def registry_value(winreg, data: object, kind: int) -> object:
    """A registry value as a HypnoScript value."""
    if kind in (winreg.REG_DWORD, winreg.REG_QWORD):
        return float(data)  # type: ignore[arg-type]
    if kind == winreg.REG_MULTI_SZ:
        return list(data)  # type: ignore[call-overload]
    if kind == winreg.REG_BINARY:
        return bytes(data or b"").hex()  # type: ignore[arg-type]
    return None if data is None else str(data)


@builtin(
    "system",
    "ReadRegistryValue(key: string, valueName: string) -> any",
    "A value of the Windows registry (numbers for DWORD/QWORD, string[] for MULTI_SZ, hex for binary); null "
    "when missing. An i/o error on other systems",
    capability="env",
)
def _read_registry_value(key, value_name):
    key = as_string(key, "ReadRegistryValue", 1)
    value_name = as_string(value_name, "ReadRegistryValue", 2)
    winreg = _registry("ReadRegistryValue")
    root, path = _registry_key(winreg, key, "ReadRegistryValue")
    try:
        with winreg.OpenKey(root, path) as handle:
            data, kind = winreg.QueryValueEx(handle, value_name)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise os_error(exc) from None
    return registry_value(winreg, data, kind)


@builtin(
    "system",
    "WriteRegistryValue(key: string, valueName: string, value: any) -> null",
    "Write a value to the Windows registry, creating the key (whole numbers from 0 to 2^32-1 and booleans as "
    "DWORD, string arrays as MULTI_SZ, anything else as text). An i/o error on other systems",
    capability="env",
)
def _write_registry_value(key, value_name, value):
    from hypnoscript.runtime.values import display

    key = as_string(key, "WriteRegistryValue", 1)
    value_name = as_string(value_name, "WriteRegistryValue", 2)
    winreg = _registry("WriteRegistryValue")
    root, path = _registry_key(winreg, key, "WriteRegistryValue")
    if type(value) is bool or type(value) is float and value.is_integer() and 0 <= value <= 0xFFFFFFFF:
        data, kind = int(value), winreg.REG_DWORD
    elif type(value) is list and all(type(v) is str for v in value):
        data, kind = list(value), winreg.REG_MULTI_SZ
    else:
        data, kind = display(value), winreg.REG_SZ
    try:
        with winreg.CreateKey(root, path) as handle:
            winreg.SetValueEx(handle, value_name, 0, kind, data)
    except OSError as exc:
        raise os_error(exc) from None


@builtin(
    "system",
    "DeleteRegistryValue(key: string, valueName: string) -> boolean",
    "Delete a value from the Windows registry; false when it did not exist. An i/o error on other systems",
    capability="env",
)
def _delete_registry_value(key, value_name):
    key = as_string(key, "DeleteRegistryValue", 1)
    value_name = as_string(value_name, "DeleteRegistryValue", 2)
    winreg = _registry("DeleteRegistryValue")
    root, path = _registry_key(winreg, key, "DeleteRegistryValue")
    try:
        with winreg.OpenKey(root, path, 0, winreg.KEY_SET_VALUE) as handle:
            winreg.DeleteValue(handle, value_name)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise os_error(exc) from None
    return True


# --- program events -------------------------------------------------------------------------------


@builtin(
    "system",
    "OnSystemEvent(eventType: string, callback: function) -> null",
    "Register callback(data) for an event type; the program raises its events with TriggerSystemEvent (the "
    "runtime itself raises none)",
    pure=False,
)
def _on_system_event(event_type, callback):
    event_type = as_string(event_type, "OnSystemEvent", 1)
    callback = as_function(callback, "OnSystemEvent", 2)
    program_state("system.events", dict).setdefault(event_type, []).append(callback)


@builtin(
    "system",
    "TriggerSystemEvent(eventType: string, data?: any) -> number",
    "Call every callback registered for the event type with data, in registration order; returns how many ran",
    pure=False,
)
def _trigger_system_event(event_type, data=None):
    event_type = as_string(event_type, "TriggerSystemEvent", 1)
    handlers = list(program_state("system.events", dict).get(event_type, ()))
    for handler in handlers:
        handler(data)
    return float(len(handlers))
