"""System builtins: the host, the environment, the process. Environment access is checked against
the `env` capability, running commands against `process`."""

from __future__ import annotations

import os
import sys

from hypnoscript.runtime.builtins.args import as_integer, as_number, as_string, optional
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import os_error
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypError, HypExit, HypIOError


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
