"""A real OpenLDAP server for the LDAP tests: a slapd process of the test's own (never the system
service) with an mdb database under dc=example,dc=org, loaded from LDIF before it starts and
listening on a free loopback port. Skips when slapd is not installed, fails under CI=true (where
.ci/run installs it)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time

import pytest

SUFFIX = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "admin-secret"
READER_DN = f"cn=reader,{SUFFIX}"
READER_PASSWORD = "reader-secret"
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
SLAPD = ("/usr/sbin/slapd", "/usr/sbin/slapadd")

# uid -> (password, groups)
PEOPLE = {
    "ada": ("Ada's pass: 1815", ["billing", "staff"]),
    "grace": ("cobol-1959", ["staff"]),
    "admin": ("admin-pass", ["admins"]),
}


def ldif() -> str:
    entries = [f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n",
               f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
               f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n",
               f"dn: {READER_DN}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\n"
               f"cn: reader\nuserPassword: {READER_PASSWORD}\n"]
    groups: dict[str, list[str]] = {}
    for uid, (password, member_of) in PEOPLE.items():
        entries.append(f"dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\n"
                       f"sn: {uid}\nuserPassword: {password}\n")
        for group in member_of:
            groups.setdefault(group, []).append(f"uid={uid},ou=people,{SUFFIX}")
    for group, members in groups.items():
        entries.append(f"dn: cn={group},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {group}\n"
                       + "".join(f"member: {m}\n" for m in members))
    return "\n".join(entries)


def certificates(directory: str, host: str = "localhost") -> tuple[str, str, str]:
    """A throwaway CA and a server certificate for `host` signed by it: (ca, cert, key) paths."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hyp test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = tuple(os.path.join(directory, name) for name in ("ca.pem", "cert.pem", "key.pem"))
    for path, data in zip(paths, (ca.public_bytes(serialization.Encoding.PEM),
                                  cert.public_bytes(serialization.Encoding.PEM),
                                  key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))):
        with open(path, "wb") as fh:
            fh.write(data)
    return paths


def config(directory: str, tls: bool = False) -> str:
    includes = "".join(f"include /etc/ldap/schema/{name}.schema\n" for name in SCHEMAS)
    tls_lines = (f"TLSCertificateFile {directory}/cert.pem\nTLSCertificateKeyFile {directory}/key.pem\n"
                 if tls else "")
    # anonymous callers may only bind, so a search for a user needs the reader's bind
    return (f"{includes}modulepath /usr/lib/ldap\nmoduleload back_mdb\n{tls_lines}"
            f"pidfile {directory}/slapd.pid\n"
            f"database mdb\nsuffix \"{SUFFIX}\"\nrootdn \"{ROOT_DN}\"\nrootpw {ROOT_PASSWORD}\n"
            f"directory {directory}/data\nmaxsize 10485760\n"
            "access to attrs=userPassword by self read by anonymous auth by * none\n"
            "access to * by users read by anonymous auth by * none\n")


def require_slapd() -> None:
    if all(os.path.exists(path) for path in SLAPD):
        return
    message = "slapd is not installed (apt-get install slapd ldap-utils)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (required under CI=true)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Slapd:
    def __init__(self, directory: str, tls: bool = False) -> None:
        self.directory = directory
        self.port = _free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.ca = None
        self.listen = self.url + "/"
        if tls:  # ldap:// (for StartTLS) and ldaps:// on localhost, the name in the certificate
            self.ca = certificates(directory)[0]
            self.url = f"ldap://localhost:{self.port}"
            self.ldaps_url = f"ldaps://localhost:{_free_port()}"
            self.listen = f"ldap://127.0.0.1:{self.port}/ ldaps://127.0.0.1:{self.ldaps_url.rsplit(':', 1)[1]}/"
        self.conf = os.path.join(directory, "slapd.conf")
        self.log = os.path.join(directory, "slapd.log")
        self.proc: subprocess.Popen | None = None
        os.makedirs(os.path.join(directory, "data"))
        with open(self.conf, "w") as fh:
            fh.write(config(directory, tls))
        with open(os.path.join(directory, "data.ldif"), "w") as fh:
            fh.write(ldif())
        subprocess.run([SLAPD[1], "-q", "-f", self.conf, "-l", os.path.join(directory, "data.ldif")],
                       check=True, capture_output=True)

    def start(self) -> None:
        with open(self.log, "a") as log:
            # -d stats: stay in the foreground and log every operation (the tests count binds)
            self.proc = subprocess.Popen([SLAPD[0], "-f", self.conf, "-h", self.listen, "-d", "stats"],
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                with open(self.log) as fh:
                    raise RuntimeError(f"slapd exited with {self.proc.returncode}: {fh.read()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("slapd did not start listening")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def binds(self, dn: str) -> int:
        """How many simple binds as `dn` slapd has seen."""
        with open(self.log, errors="replace") as fh:
            return sum(1 for line in fh if f' BIND dn="{dn}" method=128' in line)


@contextlib.contextmanager
def slapd(directory: str, tls: bool = False):
    """A started slapd with PEOPLE and their groups, stopped afterwards; with `tls`, its `ca`
    signed the certificate of `url` (StartTLS) and `ldaps_url`."""
    require_slapd()
    os.makedirs(directory, exist_ok=True)
    server = Slapd(directory, tls)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(os.path.join(directory, "data"), ignore_errors=True)


@pytest.fixture(scope="module")
def ldap_server(tmp_path_factory):
    with slapd(str(tmp_path_factory.mktemp("slapd"))) as server:
        yield server
