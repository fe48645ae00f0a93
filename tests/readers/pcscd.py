"""A private pcscd with one vsmartcard-vpcd entry, started by socket activation.

pcscd's socket path is compiled in, but it accepts a systemd-style listening socket on fd 3
(``LISTEN_PID``/``LISTEN_FDS``), so each test session gets its own daemon without touching a
system pcscd. Clients find it through ``PCSCLITE_CSOCK_NAME``, which libpcsclite reads once, at
its first call: set it before any PC/SC call in the process and keep the same path across
restarts (see /work/shared/notes/pcsc-testing.md).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from pathlib import Path

PCSCD = "/usr/sbin/pcscd"
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
RUN_DIR = Path("/run/pcscd")
UNPLUG_SOURCE = Path(__file__).with_name("unplug_ifd.c")
UNPLUG_ENV = "YZT_IFD_UNPLUGGED"
IFD_HEADER = Path("/usr/include/PCSC/ifdhandler.h")


def missing_parts() -> str | None:
    """Why a private pcscd with vpcd cannot run here, or None when it can."""
    if shutil.which(PCSCD) is None:
        return "pcscd is not installed (apt-get install pcscd)"
    if not VPCD_DRIVER.exists():
        return "the vpcd driver is not installed (apt-get install vsmartcard-vpcd)"
    if shutil.which("bash") is None:
        return "bash is needed to hand pcscd its socket"
    try:
        RUN_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"{RUN_DIR} does not exist and cannot be created: {exc.strerror}"
    return None


def free_port_pair() -> int:
    """A TCP port P with P+1 also free on loopback (vpcd listens on both, one per slot)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port < 65535 and _port_free(port) and _port_free(port + 1):
            return port
    raise RuntimeError("no free pair of TCP ports on loopback")


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def build_unplug_driver(directory: Path) -> Path:
    """Compile unplug_ifd.c (vpcd with an unplug switch) into ``directory``; RuntimeError says
    what is missing."""
    compiler = shutil.which("cc")
    if compiler is None:
        raise RuntimeError("no C compiler (apt-get install gcc)")
    if not IFD_HEADER.exists():
        raise RuntimeError(f"{IFD_HEADER} is missing (apt-get install libpcsclite-dev)")
    library = directory / "libifd-unplug.so"
    flags = ["-shared", "-fPIC", "-O1", "-Wall", f"-I{IFD_HEADER.parent}"]
    define = f'-DREAL_DRIVER="{VPCD_DRIVER}"'
    build = subprocess.run(
        [compiler, *flags, define, str(UNPLUG_SOURCE), "-o", str(library), "-ldl"],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        raise RuntimeError(f"building {UNPLUG_SOURCE.name} failed:\n{build.stderr}")
    return library


class PrivatePcscd:
    """pcscd serving two vpcd slots, ``NAME 00 00`` on ``port`` and ``NAME 00 01`` on ``port+1``.

    ``driver`` is the reader driver of the next ``start``: vpcd itself, or the library of
    ``build_unplug_driver``, whose readers ``unplug`` and ``replug`` switch off and on."""

    def __init__(self, workdir: Path, *, name: str = "Yzt Virtual PCD", port: int) -> None:
        self.workdir = workdir
        self.name = name
        self.port = port
        self.driver = VPCD_DRIVER
        self.socket_path = workdir / "pcscd.comm"
        self.log_path = workdir / "pcscd.log"
        self.unplugged_flag = workdir / "unplugged"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def reader_names(self) -> tuple[str, str]:
        return (f"{self.name} 00 00", f"{self.name} 00 01")

    def write_config(self) -> Path:
        """One reader.conf entry; the directory is what ``pcscd --config`` reads."""
        config_dir = self.workdir / "reader.conf.d"
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "vpcd").write_text(
            f'FRIENDLYNAME "{self.name}"\n'
            f"DEVICENAME   /dev/null:{self.port}\n"
            f"LIBPATH      {self.driver}\n"
            f"CHANNELID    {self.port}\n"
        )
        return config_dir

    def start(self) -> None:
        """Bind the socket, then exec pcscd through bash so ``$$`` is pcscd's pid."""
        config_dir = self.write_config()
        self.socket_path.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.socket_path))
        listener.listen(64)
        fd = listener.fileno()
        onto_fd3 = "" if fd == 3 else f"3<&{fd} {fd}<&-"
        script = (
            "export LISTEN_PID=$$ LISTEN_FDS=1; "
            f'exec {PCSCD} --foreground --auto-exit --config "$1" {onto_fd3}'
        )
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                ["bash", "-c", script, "pcscd", str(config_dir)],
                pass_fds=(fd,),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env={**os.environ, UNPLUG_ENV: str(self.unplugged_flag)},
            )
        listener.close()

    def unplug(self) -> None:
        """With the unplug driver: its readers stop answering, as an unplugged serial reader."""
        self.unplugged_flag.touch()

    def replug(self) -> None:
        self.unplugged_flag.unlink(missing_ok=True)

    def stop(self) -> None:
        """Stop the daemon (as a crash or an operator would) and wait for it to be gone."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def client_env(self) -> dict[str, str]:
        """Environment for a subprocess that should talk to this pcscd."""
        return {**os.environ, "PCSCLITE_CSOCK_NAME": str(self.socket_path)}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
