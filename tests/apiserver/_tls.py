"""A throw-away self-signed certificate for the test API server (made with the openssl CLI)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_CACHE: dict[str, Certificate] = {}


@dataclass(frozen=True)
class Certificate:
    """PEM files of a self-signed certificate valid for 127.0.0.1 and localhost."""

    cert_file: Path
    key_file: Path

    @property
    def pem(self) -> bytes:
        return self.cert_file.read_bytes()


class NoOpenSSL(RuntimeError):
    """The openssl CLI is missing: the test server cannot make its certificate."""


def self_signed() -> Certificate:
    """One certificate per process, made on first use (an EC P-256 key: fast to generate)."""
    cached = _CACHE.get("cert")
    if cached is not None and cached.cert_file.exists():
        return cached
    openssl = shutil.which("openssl")
    if openssl is None:
        raise NoOpenSSL("the openssl command is not installed")
    folder = Path(tempfile.mkdtemp(prefix="dtnetpol-apiserver-"))
    cert, key = folder / "server.crt", folder / "server.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=dtnetpol-test-apiserver",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    _CACHE["cert"] = Certificate(cert, key)
    return _CACHE["cert"]
