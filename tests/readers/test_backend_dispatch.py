"""open_reader picks the backend by scheme and loads pyscard only for pcsc://."""

from __future__ import annotations

import subprocess
import sys

from readers.backends import open_reader
from readers.events import Reader


def test_every_scheme_gives_a_reader() -> None:
    for uri in ("sim://cards", "serial:///dev/ttyUSB0", "tcp://127.0.0.1:7000", "pcsc://ACS"):
        reader = open_reader(uri)
        assert isinstance(reader, Reader)
        assert reader.uri == uri


def test_pyscard_is_loaded_only_for_pcsc() -> None:
    script = (
        "import sys; from readers.backends import open_reader; "
        "[open_reader(u) for u in ('sim://d', 'tcp://h:1', 'serial:///dev/x')]; "
        "print(sorted(m for m in sys.modules if m.startswith(('smartcard', 'readers.backends.'))))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "smartcard" not in out.stdout
    assert "readers.backends.pcsc" not in out.stdout
    assert "readers.backends.tcp" in out.stdout
