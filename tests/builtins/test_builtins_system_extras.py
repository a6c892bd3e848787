"""Documented extras: background processes, process list, disks, network, the Windows registry,
program events, AES-GCM, bcrypt, VerifyHMAC and the array forms of Min, Max and Range."""

import os
import sys
import types

import pytest
from builtin_helpers import call

from hypnoscript.runtime.context import Capabilities
from hypnoscript.runtime.errors import HypArgumentError, HypError, HypIOError, HypPermissionError, HypTypeError

# --- processes -------------------------------------------------------------------------------------


@pytest.mark.skipif(os.name == "nt", reason="uses a POSIX shell command")
def test_background_command_can_be_killed(ctx):
    pid = call("ExecuteCommandAsync", "sleep 30")
    assert pid > 0 and pid == int(pid)
    assert any(p["id"] == pid for p in call("GetProcessList"))
    assert call("KillProcess", pid) is True
    assert call("KillProcess", pid) is False  # already gone (and reaped)


def test_kill_process_guards(ctx):
    with pytest.raises(HypArgumentError, match="positive whole number"):
        call("KillProcess", 0.0)
    with pytest.raises(HypArgumentError, match="positive whole number"):
        call("KillProcess", -1.0)
    with pytest.raises(HypArgumentError, match="use Exit"):
        call("KillProcess", float(os.getpid()))
    assert call("KillProcess", 2147483646.0) is False


def test_processes_need_the_process_capability(ctx):
    ctx.capabilities = Capabilities(process=False)
    for name, args in [("ExecuteCommandAsync", ("true",)), ("KillProcess", (12345.0,)), ("GetProcessList", ())]:
        with pytest.raises(HypPermissionError):
            call(name, *args)


def test_process_list_has_this_process(ctx):
    me = [p for p in call("GetProcessList") if p["id"] == float(os.getpid())]
    assert len(me) == 1 and me[0]["memory"] > 0 and isinstance(me[0]["name"], str)


# --- disks and network ----------------------------------------------------------------------------


def test_disk_info(ctx):
    disks = call("GetDiskInfo")
    assert disks and all(d["total"] >= d["free"] >= 0 and d["total"] > 0 for d in disks)
    assert set(disks[0]) == {"letter", "mountPoint", "device", "fileSystem", "total", "free", "used"}
    if os.name != "nt":
        assert any(d["mountPoint"] == "/" for d in disks)


def test_network_info(ctx):
    info = call("GetNetworkInfo")
    assert set(info) == {"hostname", "ipAddress", "interfaces"}
    assert info["ipAddress"].count(".") == 3 and all(isinstance(n, str) for n in info["interfaces"])
    ctx.capabilities = Capabilities(env=())
    with pytest.raises(HypPermissionError):
        call("GetNetworkInfo")


# --- registry --------------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="the registry exists there")
def test_registry_is_an_io_error_outside_windows(ctx):
    with pytest.raises(HypIOError, match="only on Windows"):
        call("ReadRegistryValue", "HKEY_CURRENT_USER\\Software\\MyApp", "Version")


class FakeKey:
    def __init__(self, values):
        self.values = values

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def fake_winreg():
    """Enough of the winreg module to run the registry builtins against a dictionary."""
    store: dict[tuple, dict] = {}
    m = types.ModuleType("winreg")
    m.HKEY_CURRENT_USER, m.HKEY_LOCAL_MACHINE = "HKCU", "HKLM"
    m.HKEY_CLASSES_ROOT, m.HKEY_USERS, m.HKEY_CURRENT_CONFIG = "HKCR", "HKU", "HKCC"
    m.REG_SZ, m.REG_DWORD, m.REG_QWORD, m.REG_MULTI_SZ, m.REG_BINARY, m.KEY_SET_VALUE = 1, 4, 11, 7, 3, 2

    def open_key(root, path, reserved=0, access=0):
        if (root, path) not in store:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return FakeKey(store[(root, path)])

    def query(key, name):
        if name not in key.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return key.values[name]

    def delete(key, name):
        if name not in key.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        del key.values[name]

    m.OpenKey = open_key
    m.CreateKey = lambda root, path: FakeKey(store.setdefault((root, path), {}))
    m.QueryValueEx = query
    m.SetValueEx = lambda key, name, reserved, kind, data: key.values.__setitem__(name, (data, kind))
    m.DeleteValue = delete
    m.store = store
    return m


def test_registry_with_a_stand_in_module(ctx, monkeypatch):
    winreg = fake_winreg()
    monkeypatch.setitem(sys.modules, "winreg", winreg)
    key = "HKEY_CURRENT_USER\\Software\\MyApp"
    assert call("ReadRegistryValue", key, "Version") is None
    call("WriteRegistryValue", key, "Version", "1.0")
    call("WriteRegistryValue", "HKCU\\Software\\MyApp", "Count", 3.0)
    call("WriteRegistryValue", key, "Enabled", True)
    call("WriteRegistryValue", key, "Paths", ["a", "b"])
    call("WriteRegistryValue", key, "Ratio", 0.5)
    assert winreg.store[("HKCU", "Software\\MyApp")]["Count"] == (3, winreg.REG_DWORD)
    assert winreg.store[("HKCU", "Software\\MyApp")]["Ratio"] == ("0.5", winreg.REG_SZ)
    assert call("ReadRegistryValue", key, "Version") == "1.0"
    assert call("ReadRegistryValue", key, "Count") == 3.0
    assert call("ReadRegistryValue", key, "Enabled") == 1.0
    assert call("ReadRegistryValue", key, "Paths") == ["a", "b"]
    winreg.store[("HKCU", "Software\\MyApp")]["Blob"] = (b"\x01\xff", winreg.REG_BINARY)
    assert call("ReadRegistryValue", key, "Blob") == "01ff"
    assert call("DeleteRegistryValue", key, "Version") is True
    assert call("DeleteRegistryValue", key, "Version") is False
    with pytest.raises(HypArgumentError, match="starts with a hive"):
        call("ReadRegistryValue", "SOFTWARE\\Microsoft", "x")


# --- program events --------------------------------------------------------------------------------


def test_events_reach_every_handler_in_order(ctx):
    seen = []
    call("OnSystemEvent", "customEvent", lambda data: seen.append(("a", data)))
    call("OnSystemEvent", "customEvent", lambda data: seen.append(("b", data)))
    call("OnSystemEvent", "other", lambda data: seen.append(("c", data)))
    assert call("TriggerSystemEvent", "customEvent", {"message": "Hallo Welt!"}) == 2.0
    assert call("TriggerSystemEvent", "other") == 1.0
    assert seen == [("a", {"message": "Hallo Welt!"}), ("b", {"message": "Hallo Welt!"}), ("c", None)]
    with pytest.raises(HypTypeError, match="expected function argument at position 2"):
        call("OnSystemEvent", "x", "not a function")


def test_handler_errors_reach_the_program(ctx):
    def fail(data):
        raise HypError("handler failed")

    call("OnSystemEvent", "boom", fail)
    with pytest.raises(HypError, match="handler failed"):
        call("TriggerSystemEvent", "boom")


# --- AES-GCM, bcrypt, HMAC -------------------------------------------------------------------------

HEX_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


@pytest.mark.parametrize("key", [HEX_KEY, HEX_KEY[:32], HEX_KEY[:48], "sixteen byte key", "a" * 24, "ü" * 16])
def test_aes_round_trip(ctx, key):
    encrypted = call("AESEncrypt", "Vertrauliche Daten ✓", key)
    assert encrypted != call("AESEncrypt", "Vertrauliche Daten ✓", key)  # a fresh nonce each time
    assert call("AESDecrypt", encrypted, key) == "Vertrauliche Daten ✓"


def test_aes_refuses_a_wrong_key_or_changed_data(ctx):
    encrypted = call("AESEncrypt", "secret", HEX_KEY)
    with pytest.raises(HypError, match="wrong key, or the data was changed"):
        call("AESDecrypt", encrypted, HEX_KEY[:-1] + "0")
    tampered = encrypted[:20] + ("A" if encrypted[20] != "A" else "B") + encrypted[21:]
    with pytest.raises(HypError, match="wrong key, or the data was changed"):
        call("AESDecrypt", tampered, HEX_KEY)
    with pytest.raises(HypArgumentError, match="Base64"):
        call("AESDecrypt", "not base64!", HEX_KEY)
    with pytest.raises(HypArgumentError, match="too short"):
        call("AESDecrypt", "AAAA", HEX_KEY)


def test_aes_key_sizes(ctx):
    with pytest.raises(HypArgumentError, match="16, 24 or 32 bytes .* got 29 bytes"):
        call("AESEncrypt", "x", "my-secret-key-32-chars-long!!")
    with pytest.raises(HypArgumentError, match="got 0 bytes"):
        call("AESDecrypt", "AAAA", "")


def test_aes_encrypt_needs_randomness(ctx):
    ctx.capabilities = Capabilities(random=False)
    with pytest.raises(HypPermissionError):
        call("AESEncrypt", "x", HEX_KEY)


def test_bcrypt_round_trip(ctx):
    hashed = call("BCrypt", "my-password", 4.0)
    assert hashed.startswith("$2b$04$") and len(hashed) == 60
    assert call("VerifyBCrypt", "my-password", hashed) is True
    assert call("VerifyBCrypt", "my-Password", hashed) is False
    assert call("BCrypt", "my-password", 4.0) != hashed  # a fresh salt each time


def test_bcrypt_limits(ctx):
    with pytest.raises(HypArgumentError, match="from 4 to 31"):
        call("BCrypt", "pw", 3.0)
    with pytest.raises(HypArgumentError, match="at most 72 bytes"):
        call("BCrypt", "x" * 73, 4.0)
    with pytest.raises(HypArgumentError, match="NUL"):
        call("VerifyBCrypt", "a\0b", "$2b$04$hhkLb67vfSfXLoIPgy4UY.jgnEVAhOS.F.GgH1/sIzk3N/xG1Tfzu")
    with pytest.raises(HypArgumentError, match="bcrypt hash"):
        call("VerifyBCrypt", "pw", "not a hash")


def test_verify_hmac_matches_hmac(ctx):
    signature = call("HMAC", "message", "key", "SHA512")
    assert call("VerifyHMAC", "message", signature, "key", "SHA512") is True
    assert call("VerifyHMAC", "message", signature, "key") is False
    assert call("VerifyHMAC", "message", " " + signature.upper() + "\n", "key", "sha-512") is True


# --- Min, Max and Range forms ------------------------------------------------------------------------


def test_one_number_is_still_a_missing_argument(ctx):
    for name in ("Min", "Max"):
        with pytest.raises(HypError, match=f"^Builtin '{name}' expected argument at position 2$"):
            call(name, 3.0)
        with pytest.raises(HypTypeError, match="expected numeric argument at position 1"):
            call(name, [1.0], 2.0)
        with pytest.raises(HypTypeError, match="numeric array element"):
            call(name, [1.0, "x"])
    with pytest.raises(HypTypeError, match="expected array argument at position 1"):
        call("Range", 5.0)


def test_range_of_numbers_limits(ctx):
    with pytest.raises(HypTypeError, match="non-zero step"):
        call("Range", 1.0, 5.0, 0.0)
    with pytest.raises(HypArgumentError, match="finite"):
        call("Range", 0.0, float("inf"))
    with pytest.raises(HypArgumentError, match="too large"):
        call("Range", 0.0, 1e12)
