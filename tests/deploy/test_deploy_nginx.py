"""deploy/nginx as nginx itself reads it: the TLS site with the upstream and proxy settings
passes ``nginx -t`` once its /etc paths point into a temp prefix with a self-signed pair; and
the shipped site run for real in front of a recording upstream: a trickling header is cut, and a
client's forged X-Forwarded-For never reaches the verifier."""

from __future__ import annotations

import datetime as dt
import http.server
import os
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from deploykit import DEPLOY, free_port, need

BOUND_S = 60.0
"""How long a test waits for something to happen: a bound on a hang, never a measurement."""


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


class Recorder(http.server.BaseHTTPRequestHandler):
    """The upstream: answers 200 and keeps the X-Forwarded-For it was sent."""

    seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        Recorder.seen.append(self.headers.get("X-Forwarded-For"))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_args: object) -> None:
        pass


@contextmanager
def shipped_nginx(prefix: Path) -> Iterator[int]:
    """The shipped site on a free loopback TLS port in front of ``Recorder``; yields the port."""
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    self_signed(prefix)
    conf = site_in(prefix)
    tls, plain = free_port(), free_port()
    site = (prefix / "site.conf").read_text()
    for old, new in {
        "listen 443 ssl http2;": f"listen 127.0.0.1:{tls} ssl;",
        "listen [::]:443 ssl http2;": "",
        "listen 80;": f"listen 127.0.0.1:{plain};",
        "listen [::]:80;": "",
    }.items():
        site = site.replace(old, new)
    (prefix / "site.conf").write_text(site)
    upstreams = (DEPLOY / "nginx/yzt-verifier-upstream.conf").read_text()
    port = upstream.server_address[1]
    upstreams = upstreams.replace("127.0.0.1:8081", f"127.0.0.1:{port}")
    (prefix / "upstream.conf").write_text(upstreams.replace("127.0.0.1:8082", f"127.0.0.1:{port}"))
    temp = "".join(f"{kind}_temp_path {prefix}/{kind}; " for kind in ("client_body", "proxy"))
    text = conf.read_text().replace(
        str(DEPLOY / "nginx/yzt-verifier-upstream.conf"), str(prefix / "upstream.conf")
    )
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + text.replace("http {", "http {\n    " + temp)
    )
    nginx = subprocess.Popen(
        [need("nginx"), "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + BOUND_S
        while True:
            with suppress(OSError), socket.create_connection(("127.0.0.1", tls), timeout=1):
                break
            assert nginx.poll() is None and time.monotonic() < deadline, nginx.stderr
            time.sleep(0.1)
        yield tls
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
        upstream.shutdown()


def tls_socket(port: int) -> ssl.SSLSocket:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=BOUND_S)
    return context.wrap_socket(raw, server_hostname="verifier.example.org")


def test_the_shipped_site_cuts_slow_headers_and_forged_forwarding(tmp_path: Path) -> None:
    Recorder.seen.clear()
    with shipped_nginx(tmp_path) as port:
        with tls_socket(port) as client:
            client.sendall(
                b"GET /healthz HTTP/1.1\r\nHost: verifier.example.org\r\n"
                b"X-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n"
            )
            answer = b""
            while chunk := client.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
        assert Recorder.seen == ["127.0.0.1"]  # nginx's own view of the client, not the forgery
        with tls_socket(port) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: verifier.example.org\r\n")
            answer, deadline = b"-", time.monotonic() + BOUND_S
            with suppress(OSError):
                while time.monotonic() < deadline:
                    slow.sendall(b"X-Slow: 1\r\n")
                    slow.settimeout(0.5)
                    with suppress(TimeoutError):
                        answer = slow.recv(4096)
                        break
        assert not answer.startswith(b"HTTP/1.1 200"), "a trickling request was served"
        assert time.monotonic() < deadline, "nginx never cut the trickling request"
        assert Recorder.seen == ["127.0.0.1"]
