"""deploy/nginx as nginx itself reads it: the TLS site with the upstream and proxy settings
passes ``nginx -t`` once its /etc paths point into a temp prefix with a self-signed pair."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from deploykit import DEPLOY, need


def self_signed(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "verifier.example.org")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "verifier.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "verifier.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def site_in(prefix: Path) -> Path:
    """nginx.conf for ``prefix`` including the shipped files with their /etc paths moved."""
    moved = {
        "/etc/nginx/snippets/": f"{DEPLOY / 'nginx'}/",
        "/etc/ssl/yzt/": f"{prefix}/",
        "/var/log/nginx/": f"{prefix}/",
    }
    site = (DEPLOY / "nginx/yzt-verifier.conf").read_text()
    for old, new in moved.items():
        site = site.replace(old, new)
    (prefix / "site.conf").write_text(site)
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\nevents {{}}\n"
        f"http {{\n    include {DEPLOY / 'nginx/yzt-verifier-upstream.conf'};\n"
        f"    include {prefix}/site.conf;\n}}\n"
    )
    return conf


def nginx_test(prefix: Path, conf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [need("nginx"), "-t", "-q", "-p", str(prefix), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_production_site_passes_nginx_t(tmp_path: Path) -> None:
    self_signed(tmp_path)
    result = nginx_test(tmp_path, site_in(tmp_path))
    assert result.returncode == 0, result.stderr


def test_a_mistake_in_the_proxy_settings_is_caught(tmp_path: Path) -> None:
    self_signed(tmp_path)
    conf = site_in(tmp_path)
    snippet = (DEPLOY / "nginx/yzt-verifier-proxy.conf").read_text()
    broken = tmp_path / "proxy.conf"
    broken.write_text(snippet.replace("non_idempotent", "non_idempotnt"))
    site = tmp_path / "site.conf"
    site.write_text(
        site.read_text().replace(f"{DEPLOY / 'nginx'}/yzt-verifier-proxy.conf", str(broken))
    )
    result = nginx_test(tmp_path, conf)
    assert result.returncode != 0
    assert "non_idempotnt" in result.stderr
