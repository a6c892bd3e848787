"""TLS for `hyp serve` and `hyp worker` (`security.tls`), and the certificate of `hyp cert dev`.

With `security.tls` every listener speaks HTTPS only: uvicorn loads the certificate and key, the
context refuses protocol versions below `minVersion` (TLS 1.0 and 1.1 always), and every response
carries `Strict-Transport-Security` (unless `hstsMaxAge` is 0). The files are checked before the
server starts, so a wrong path, an unreadable file or a key of another certificate is one
diagnostic naming the configuration key, not a failing handshake later.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import os
import ssl

from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
DEV_NAMES = ("localhost", "127.0.0.1", "::1")
DEV_DIR = os.path.join("config", "tls")


class TlsSettings:
    __slots__ = ("cert", "hsts_max_age", "key", "min_version")

    def __init__(self, cert: str, key: str, min_version: str, hsts_max_age: int) -> None:
        self.cert = cert  # absolute paths
        self.key = key
        self.min_version = min_version
        self.hsts_max_age = hsts_max_age


def _problem(config, key: str, message: str, help: str | None = None) -> Diagnostic:
    from hypnoscript.project import jsonfile
    from hypnoscript.project.config import CODE_INVALID

    path = ("security", "tls", key)
    if config.exists:
        return jsonfile.read(config.path, "the configuration file").diagnostic(CODE_INVALID, path, message, help)
    return Diagnostic(CODE_INVALID, f"{jsonfile.json_path(path)}: {message}", path=config.path, help=help)


def tls_settings(config, root: str) -> TlsSettings | None:
    """The checked `security.tls` of a configuration, None without it; DiagnosticError when the
    certificate or key cannot serve."""
    tls = (config.get("security") or {}).get("tls")
    if not tls:
        return None
    found = TlsSettings(os.path.join(root, tls["cert"]), os.path.join(root, tls["key"]),
                        tls.get("minVersion", "1.2"), int(tls.get("hstsMaxAge", 31536000)))
    problems = []
    cert_pem = _read(found.cert, "cert", tls["cert"], config, problems)
    key_pem = _read(found.key, "key", tls["key"], config, problems)
    if problems:
        raise DiagnosticError(problems)
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    try:
        x509.load_pem_x509_certificates(cert_pem)
    except ValueError:
        problems.append(_problem(config, "cert", f"{tls['cert']} is not a PEM certificate",
                                 "expected a file beginning with -----BEGIN CERTIFICATE-----"))
    try:
        serialization.load_pem_private_key(key_pem, password=None)
    except TypeError:
        problems.append(_problem(config, "key", f"{tls['key']} is protected by a passphrase",
                                 "the server needs a key without passphrase (keep it readable by the server only)"))
    except (ValueError, UnsupportedAlgorithm):
        problems.append(_problem(config, "key", f"{tls['key']} is not a PEM private key",
                                 "expected a file beginning with -----BEGIN PRIVATE KEY----- (or an RSA/EC one)"))
    if problems:
        raise DiagnosticError(problems)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(found.cert, found.key)
    except ssl.SSLError:
        raise DiagnosticError([_problem(config, "key", f"{tls['key']} is not the key of the certificate {tls['cert']}",
                                        "give the private key the certificate was issued for")]) from None
    return found


def _read(path: str, key: str, given: str, config, problems: list) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        problems.append(_problem(config, key, f"file not found: {given}",
                                 "paths are relative to the project folder; `hyp cert dev` makes a certificate "
                                 "for development"))
    except OSError as error:
        problems.append(_problem(config, key, f"cannot read {given}: {error.strerror or 'not readable'}"))
    return b""


def hardened_context(min_version: str, config, default) -> ssl.SSLContext:
    """uvicorn's `ssl_context_factory` (bound to `min_version` with functools.partial, so that it
    travels to worker processes): uvicorn's context, refusing versions below the minimum."""
    context = default()
    context.minimum_version = VERSIONS[min_version]
    return context


def uvicorn_options(tls: TlsSettings | None) -> dict:
    """The uvicorn.Config options serving over `tls` (none for plain HTTP)."""
    if tls is None:
        return {}
    options = {"ssl_certfile": tls.cert, "ssl_keyfile": tls.key,
               "ssl_context_factory": functools.partial(hardened_context, tls.min_version)}
    if tls.hsts_max_age:
        # uvicorn's default headers go onto every response, the server's own errors included
        options["headers"] = [("Strict-Transport-Security", f"max-age={tls.hsts_max_age}")]
    return options


def write_dev_certificate(cert_path: str, key_path: str, days: int) -> datetime.datetime:
    """A self-signed certificate for localhost, 127.0.0.1 and ::1 and its key (mode 0600); returns
    the end of its validity."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HypnoScript development")])
    now = datetime.datetime.now(datetime.timezone.utc)
    until = now + datetime.timedelta(days=days)
    alt_names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                 x509.IPAddress(ipaddress.ip_address("::1"))]
    public = key.public_key()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(until)
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
            .sign(key, hashes.SHA256()))
    for path in (cert_path, key_path):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # created 0600 (never readable by others, not even for a moment) and kept so when it existed
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_pem)
    with open(cert_path, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    return until
