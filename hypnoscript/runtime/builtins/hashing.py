"""Hashing and encoding builtins: the reference's deterministic SipHash-1-3 hashes and LCG step,
cryptographic digests (hashlib), Base64, URL, hex and HTML encodings, UUIDs."""

from __future__ import annotations

import struct

from hypnoscript.runtime.builtins.args import U64_MAX, as_count, as_number, as_string, check_size, optional
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import check_path, os_error
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypArgumentError, HypError


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & U64_MAX


def siphash13(data: bytes, k0: int = 0, k1: int = 0) -> int:
    """SipHash-1-3 (Rust's `DefaultHasher` with zero keys)."""
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def rounds(count: int) -> None:
        nonlocal v0, v1, v2, v3
        for _ in range(count):
            v0 = (v0 + v1) & U64_MAX
            v1 = _rotl(v1, 13) ^ v0
            v0 = _rotl(v0, 32)
            v2 = (v2 + v3) & U64_MAX
            v3 = _rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & U64_MAX
            v3 = _rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & U64_MAX
            v1 = _rotl(v1, 17) ^ v2
            v2 = _rotl(v2, 32)

    full = len(data) // 8 * 8
    for i in range(0, full, 8):
        m = int.from_bytes(data[i : i + 8], "little")
        v3 ^= m
        rounds(1)
        v0 ^= m
    m = ((len(data) & 0xFF) << 56) | int.from_bytes(data[full:], "little")
    v3 ^= m
    rounds(1)
    v0 ^= m
    v2 ^= 0xFF
    rounds(3)
    return v0 ^ v1 ^ v2 ^ v3


@builtin("hashing", "HashString(s: string) -> number", "Deterministic 64-bit SipHash-1-3 of a string (as a number)")
def _hash_string(s):
    data = as_string(s, "HashString", 1).encode("utf-8", "surrogatepass")
    return float(siphash13(data + b"\xff"))


@builtin("hashing", "HashNumber(x: number) -> number", "Deterministic 64-bit SipHash-1-3 of a number's bit pattern")
def _hash_number(x):
    return float(siphash13(struct.pack("<d", as_number(x, "HashNumber", 1))))


@builtin(
    "hashing",
    "SimpleRandom(seed: number) -> number",
    "One step of the 64-bit LCG seed * 6364136223846793005 + 1442695040888963407",
)
def _simple_random(seed):
    seed = as_count(seed, "SimpleRandom", 1) & U64_MAX
    return float((seed * 6364136223846793005 + 1442695040888963407) & U64_MAX)


_ALGORITHMS = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512"}


def _algorithm(value, name: str, pos: int) -> str:
    text = as_string(optional(value, "SHA256"), name, pos)
    algo = _ALGORITHMS.get(text.upper().replace("-", ""))
    if algo is None:
        raise HypArgumentError(
            f"Builtin '{name}' does not know the hash algorithm '{text}' (use MD5, SHA1, SHA256, SHA384 or SHA512)"
        )
    return algo


def _utf8(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


def _digest(algo: str):
    def run(s):
        import hashlib

        return hashlib.new(algo, _utf8(as_string(s, _DIGEST_NAMES[algo], 1))).hexdigest()

    return run


_DIGEST_NAMES = {"md5": "Md5", "sha1": "Sha1", "sha256": "Sha256", "sha512": "Sha512"}
for _algo, _aliases in (("md5", ("MD5",)), ("sha1", ("SHA1",)), ("sha256", ("SHA256",)), ("sha512", ("SHA512",))):
    builtin(
        "hashing",
        f"{_DIGEST_NAMES[_algo]}(s: string) -> string",
        f"{_aliases[0]} digest of the UTF-8 text, lower-case hex",
        aliases=_aliases,
    )(_digest(_algo))


@builtin(
    "hashing",
    "HMAC(message: string, key: string, algorithm?: string) -> string",
    "HMAC of the message (SHA256 by default), lower-case hex",
    aliases=("Hmac",),
)
def _hmac(message, key, algorithm=None):
    import hmac

    message = as_string(message, "HMAC", 1)
    key = as_string(key, "HMAC", 2)
    return hmac.new(_utf8(key), _utf8(message), _algorithm(algorithm, "HMAC", 3)).hexdigest()


@builtin(
    "hashing",
    "PBKDF2(password: string, salt: string, iterations: number, keyLength: number) -> string",
    "PBKDF2-HMAC-SHA256 derived key, lower-case hex",
)
def _pbkdf2(password, salt, iterations, key_length):
    import hashlib

    password = as_string(password, "PBKDF2", 1)
    salt = as_string(salt, "PBKDF2", 2)
    iterations = as_count(iterations, "PBKDF2", 3)
    key_length = as_count(key_length, "PBKDF2", 4)
    if iterations < 1 or key_length < 1:
        raise HypArgumentError("Builtin 'PBKDF2' needs at least one iteration and a key length of at least 1")
    check_size(iterations, "PBKDF2", 10_000_000)
    check_size(key_length, "PBKDF2", 1 << 16)
    return hashlib.pbkdf2_hmac("sha256", _utf8(password), _utf8(salt), iterations, key_length).hex()


@builtin(
    "hashing",
    "HashFile(path: string, algorithm?: string) -> string",
    "Digest of a file's bytes (SHA256 by default), lower-case hex",
    capability="files",
)
def _hash_file(path, algorithm=None):
    import hashlib

    path = as_string(path, "HashFile", 1)
    algo = _algorithm(algorithm, "HashFile", 2)
    check_path(path)
    h = hashlib.new(algo)
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 16), b""):
                h.update(chunk)
    except OSError as exc:
        raise os_error(exc) from None
    return h.hexdigest()


@builtin(
    "hashing",
    "VerifyHash(actual: string, expected: string) -> boolean",
    "Constant-time comparison of two hex digests (case-insensitive)",
)
def _verify_hash(actual, expected):
    import hmac

    a = as_string(actual, "VerifyHash", 1).strip().lower()
    b = as_string(expected, "VerifyHash", 2).strip().lower()
    return hmac.compare_digest(_utf8(a), _utf8(b))


@builtin(
    "hashing",
    "VerifyHMAC(message: string, signature: string, key: string, algorithm?: string) -> boolean",
    "Whether signature is the HMAC of the message (hex, case-insensitive; constant-time comparison)",
)
def _verify_hmac(message, signature, key, algorithm=None):
    import hmac

    message = as_string(message, "VerifyHMAC", 1)
    signature = as_string(signature, "VerifyHMAC", 2).strip().lower()
    key = as_string(key, "VerifyHMAC", 3)
    expected = hmac.new(_utf8(key), _utf8(message), _algorithm(algorithm, "VerifyHMAC", 4)).hexdigest()
    return hmac.compare_digest(_utf8(signature), expected.encode("ascii"))


@builtin("hashing", "Base64Encode(s: string) -> string", "Standard Base64 (with padding) of the UTF-8 text")
def _base64_encode(s):
    import base64

    return base64.b64encode(_utf8(as_string(s, "Base64Encode", 1))).decode("ascii")


@builtin("hashing", "Base64Decode(s: string) -> string", "Decode standard Base64 to UTF-8 text")
def _base64_decode(s):
    import base64
    import binascii

    s = as_string(s, "Base64Decode", 1)
    try:
        data = base64.b64decode(s.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise HypError(f"Base64 decode error: {exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HypError(f"UTF-8 decode error: {exc}") from None


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


@builtin(
    "hashing",
    "UrlEncode(s: string) -> string",
    "Form encoding: unreserved characters kept, space -> +, others -> %XX of the code point's low byte",
    aliases=("URLEncode",),
)
def _url_encode(s):
    s = as_string(s, "UrlEncode", 1)
    return "".join(c if c in _UNRESERVED else "+" if c == " " else f"%{ord(c) & 0xFF:02X}" for c in s)


@builtin(
    "hashing",
    "UrlDecode(s: string) -> string",
    "Decode %XX escapes (one character per byte) and + as space",
    aliases=("URLDecode",),
)
def _url_decode(s):
    s = as_string(s, "UrlDecode", 1)
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "%":
            hex_digits = s[i + 1 : i + 3]
            if len(hex_digits) != 2:
                raise HypError("Invalid URL encoding")
            if not all(h in "0123456789abcdefABCDEF" for h in hex_digits):
                raise HypError("Invalid hex in URL encoding")
            out.append(chr(int(hex_digits, 16)))
            i += 3
            continue
        out.append(" " if c == "+" else c)
        i += 1
    return "".join(out)


@builtin("hashing", "HexEncode(s: string) -> string", "Lower-case hex of the UTF-8 bytes")
def _hex_encode(s):
    return _utf8(as_string(s, "HexEncode", 1)).hex()


@builtin("hashing", "HexDecode(s: string) -> string", "Decode hex to UTF-8 text")
def _hex_decode(s):
    s = as_string(s, "HexDecode", 1)
    if len(_utf8(s)) % 2:
        raise HypError("Hex string must have even length")
    if not all(c in "0123456789abcdefABCDEF" for c in s):
        raise HypError("Hex decode error: invalid digit found in string")
    try:
        return bytes.fromhex(s).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HypError(f"UTF-8 error: {exc}") from None


@builtin("hashing", "HTMLEncode(s: string) -> string", "Escape &, <, >, \" and ' for HTML", aliases=("HtmlEncode",))
def _html_encode(s):
    import html

    return html.escape(as_string(s, "HTMLEncode", 1), quote=True).replace("&#x27;", "&#39;")


@builtin("hashing", "HTMLDecode(s: string) -> string", "Decode HTML character references", aliases=("HtmlDecode",))
def _html_decode(s):
    import html

    return html.unescape(as_string(s, "HTMLDecode", 1))


@builtin("hashing", "UuidV4() -> string", "A random version-4 UUID", capability="random", aliases=("GenerateUUID",))
def _uuid_v4():
    import uuid

    ctx = current()
    ctx.capabilities.check("random")
    return str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))


@builtin(
    "hashing",
    "UuidFromSeed(seed: number) -> string",
    "A UUID whose 16 bytes are the seed's 8 little-endian bytes twice",
)
def _uuid_from_seed(seed):
    import uuid

    raw = (as_count(seed, "UuidFromSeed", 1) & U64_MAX).to_bytes(8, "little")
    return str(uuid.UUID(bytes=raw * 2))


def _random_hex(name: str, length) -> str:
    n = as_count(length, name, 1)
    check_size(n, name, 1 << 20)
    ctx = current()
    ctx.capabilities.check("random")
    return ctx.rng.getrandbits(8 * n).to_bytes(n, "big").hex() if n else ""


@builtin(
    "hashing",
    "GenerateRandomKey(length: number) -> string",
    "length random bytes as hex (from the program's random source: reproducible with a seed, so not for secrets)",
    capability="random",
)
def _generate_random_key(length):
    return _random_hex("GenerateRandomKey", length)


@builtin(
    "hashing",
    "GenerateSalt(length?: number) -> string",
    "length (16 by default) random bytes as hex",
    capability="random",
)
def _generate_salt(length=None):
    return _random_hex("GenerateSalt", optional(length, 16.0))


# --- encryption and password hashing (the cryptography and bcrypt packages) -----------------------

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _aes_key(key: object, name: str, pos: int) -> bytes:
    """A key of 32, 48 or 64 hex digits (what GenerateRandomKey(16/24/32) gives) is decoded; any
    other key is used as its UTF-8 bytes, which must be 16, 24 or 32 (AES-128/192/256)."""
    text = as_string(key, name, pos)
    if len(text) in (32, 48, 64) and all(c in _HEX_DIGITS for c in text):
        return bytes.fromhex(text)
    raw = _utf8(text)
    if len(raw) not in (16, 24, 32):
        raise HypArgumentError(
            f"Builtin '{name}' needs a key of 16, 24 or 32 bytes (AES-128/192/256) or of 32, 48 or 64 hex digits, "
            f"got {len(raw)} bytes at position {pos}"
        )
    return raw


def _aesgcm(key: bytes, name: str):
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise HypError(f"Builtin '{name}' needs the Python package 'cryptography'") from None
    return AESGCM(key)


@builtin(
    "hashing",
    "AESEncrypt(plaintext: string, key: string) -> string",
    "AES-GCM encryption of the UTF-8 text with a fresh random 12-byte nonce; Base64 of nonce + ciphertext + tag. "
    "The key: 32, 48 or 64 hex digits, or text of 16, 24 or 32 bytes",
    capability="random",
)
def _aes_encrypt(plaintext, key):
    import base64
    import os

    data = _utf8(as_string(plaintext, "AESEncrypt", 1))
    key_bytes = _aes_key(key, "AESEncrypt", 2)
    current().capabilities.check("random")
    nonce = os.urandom(12)
    sealed = _aesgcm(key_bytes, "AESEncrypt").encrypt(nonce, data, None)
    return base64.b64encode(nonce + sealed).decode("ascii")


@builtin(
    "hashing",
    "AESDecrypt(encrypted: string, key: string) -> string",
    "The text that AESEncrypt encrypted with the same key (an error for a wrong key or changed data)",
)
def _aes_decrypt(encrypted, key):
    import base64
    import binascii

    text = as_string(encrypted, "AESDecrypt", 1)
    key_bytes = _aes_key(key, "AESDecrypt", 2)
    try:
        blob = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise HypArgumentError("Builtin 'AESDecrypt' expected Base64 text at position 1") from None
    if len(blob) < 12 + 16:
        raise HypArgumentError("Builtin 'AESDecrypt' expected the output of AESEncrypt at position 1 (too short)")
    from cryptography.exceptions import InvalidTag

    try:
        plain = _aesgcm(key_bytes, "AESDecrypt").decrypt(blob[:12], blob[12:], None)
    except InvalidTag:
        raise HypError("Builtin 'AESDecrypt' could not decrypt: wrong key, or the data was changed") from None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise HypError("Builtin 'AESDecrypt' decrypted data that is not UTF-8 text") from None


def _bcrypt(name: str):
    try:
        import bcrypt
    except ImportError:
        raise HypError(f"Builtin '{name}' needs the Python package 'bcrypt'") from None
    return bcrypt


def _bcrypt_password(v: object, name: str) -> bytes:
    raw = _utf8(as_string(v, name, 1))
    if len(raw) > 72:
        raise HypArgumentError(f"Builtin '{name}' accepts passwords of at most 72 bytes (bcrypt's limit), got {len(raw)}")
    if b"\0" in raw:
        raise HypArgumentError(f"Builtin '{name}' cannot hash a password that contains a NUL character")
    return raw


@builtin(
    "hashing",
    "BCrypt(password: string, workFactor?: number) -> string",
    "bcrypt hash ($2b$) of a password of at most 72 bytes, with a random salt and 2^workFactor rounds "
    "(workFactor 4..31, 12 by default)",
    capability="random",
)
def _bcrypt_hash(password, work_factor=None):
    raw = _bcrypt_password(password, "BCrypt")
    rounds = as_count(optional(work_factor, 12.0), "BCrypt", 2)
    if not 4 <= rounds <= 31:
        raise HypArgumentError(f"Builtin 'BCrypt' expected a work factor from 4 to 31 at position 2, got {rounds}")
    current().capabilities.check("random")
    bcrypt = _bcrypt("BCrypt")
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds)).decode("ascii")


@builtin(
    "hashing",
    "VerifyBCrypt(password: string, hash: string) -> boolean",
    "Whether the password matches a bcrypt hash ($2a$, $2b$ or $2y$)",
)
def _verify_bcrypt(password, hashed):
    raw = _bcrypt_password(password, "VerifyBCrypt")
    text = as_string(hashed, "VerifyBCrypt", 2).strip()
    bcrypt = _bcrypt("VerifyBCrypt")
    try:
        return bool(bcrypt.checkpw(raw, text.encode("ascii")))
    except (ValueError, UnicodeEncodeError):
        raise HypArgumentError("Builtin 'VerifyBCrypt' expected a bcrypt hash such as $2b$12$... at position 2") from None


def _argon2(name: str):
    try:
        from argon2 import PasswordHasher, exceptions
    except ImportError:
        raise HypError(f"Builtin '{name}' needs the Python package 'argon2-cffi'") from None
    return PasswordHasher(), exceptions


@builtin(
    "hashing",
    "PasswordHash(password: string) -> string",
    "Argon2id hash of a password ($argon2id$...), with a random salt and argon2-cffi's recommended "
    "cost; store it and check logins with PasswordVerify",
    capability="random",
)
def _password_hash(password):
    text = as_string(password, "PasswordHash", 1)
    current().capabilities.check("random")
    hasher, _ = _argon2("PasswordHash")
    return hasher.hash(text)


@builtin(
    "hashing",
    "PasswordVerify(password: string, hash: string) -> boolean",
    "Whether the password matches an Argon2 hash made by PasswordHash (in constant time)",
)
def _password_verify(password, hashed):
    text = as_string(password, "PasswordVerify", 1)
    stored = as_string(hashed, "PasswordVerify", 2).strip()
    hasher, exceptions = _argon2("PasswordVerify")
    try:
        return hasher.verify(stored, text)
    except exceptions.VerifyMismatchError:
        return False
    except (exceptions.InvalidHashError, ValueError):
        raise HypArgumentError("Builtin 'PasswordVerify' expected an Argon2 hash such as $argon2id$... "
                               "at position 2") from None
    except exceptions.VerificationError:
        return False
