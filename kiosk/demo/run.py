"""``yzt demo``: a real verifier (subprocess), the SAM simulator and the kiosk, on one machine.

The verifier is set up with its own CLI (init, token, seed, keys init, import) and served as a
child process that dies with us (PR_SET_PDEATHSIG), so Ctrl-C — or a killed demo — leaves no
orphan. The simulator and the kiosk run in this process, the kiosk on ``tcp://`` to the simulator
with the risk-list key pinned: stop the verifier and taps are decided offline, as on a real site.
A staff token (kept 0600 in the data dir) signs in to the verifier's console, where the kiosk's
heartbeats show it on ``/fleet``.
"""

from __future__ import annotations

import asyncio
import ctypes
import datetime as dt
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx
from rich.progress import Progress, SpinnerColumn, TextColumn

from kiosk.cli_kit import err, out
from kiosk.config import load_config
from kiosk.daemon import KioskDaemon, KioskStartError
from kiosk.demo.catalog import descriptions
from kiosk.demo.cli import DEFAULT_KIOSK_PORT
from kiosk.demo.feeds import write_feeds
from kiosk.demo.panel import panel_router
from kiosk.offline import OfflineState
from kiosk.offline.risklist import RiskListError
from kiosk.offline.sync import SyncError
from readers import Reader, open_reader
from readers.simulator import DEMO_CARDS, CardDeck, SamSimulator

SITE = "demo-hospital"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 5.0
PR_SET_PDEATHSIG = 1


class DemoError(RuntimeError):
    """A demo step failed; the message says which and why."""


def yzt_command() -> list[str]:
    """How to run ``yzt`` from this interpreter (the venv's script when it is there)."""
    script = Path(sys.executable).with_name("yzt")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from yzt.cli import main; main()"]


def yzt_as_typed() -> str:
    """``yzt`` as a user can type it here: the bare name when the shell finds this very script,
    else its path (``.venv/bin/yzt`` from the checkout), so printed commands work as written."""
    script = Path(sys.executable).with_name("yzt")
    if not script.is_file():
        return "yzt"
    found = shutil.which("yzt")
    if found is not None and Path(found).resolve() == script.resolve():
        return "yzt"
    venv = script.parent.parent
    return f"{venv.name}/bin/yzt" if venv.parent == Path.cwd() else str(script)


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


async def _yzt(*args: str) -> str:
    """Run one ``yzt`` command to completion; its stdout, or ``DemoError`` with its stderr."""
    process = await asyncio.create_subprocess_exec(
        *yzt_command(),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_die_with_parent,
    )
    out, error = await process.communicate()
    code = process.returncode or 0
    if code < 0:
        raise DemoError(f"yzt {' '.join(args[:2])} was killed by {signal.Signals(-code).name}")
    if code != 0:
        last = error.decode(errors="replace").strip().splitlines()[-1:]
        raise DemoError(f"yzt {' '.join(args[:2])} failed (exit {code}): {(last or ['-'])[0]}")
    return out.decode()


def _port_free(port: int, what: str) -> None:
    """Bound as the servers bind (SO_REUSEADDR): a port left in TIME_WAIT by our own stopped
    verifier is free, one someone listens on is not."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise DemoError(
                f"port {port} ({what}) is in use; pick another with --{what}-port"
            ) from None


class DemoStack:
    """Everything the demo runs; ``start()`` then ``aclose()``."""

    def __init__(self, data: Path, *, kiosk_port: int, verifier_port: int, people: int) -> None:
        self.data = data
        self.kiosk_port = kiosk_port
        self.verifier_port = verifier_port
        self.people = people
        self.verifier: asyncio.subprocess.Process | None = None
        self.simulator: SamSimulator | None = None
        self.kiosk: KioskDaemon | None = None
        self.offline: OfflineState | None = None
        self.public_key: Path | None = None
        self.staff_token = ""
        self.reader_factory: Callable[[str], Reader] = open_reader
        self._verifier_lock = asyncio.Lock()
        self.keep_data = True

    @property
    def verifier_config(self) -> Path:
        return self.data / "verifier" / "verifier.toml"

    @property
    def verifier_url(self) -> str:
        return f"http://127.0.0.1:{self.verifier_port}"

    @property
    def staff_token_file(self) -> Path:
        return self.data / "verifier" / "staff-token"

    def steps(self) -> list[tuple[str, Callable[[], object]]]:
        return [
            ("checking ports", self._check_ports),
            ("setting up the verifier", self._init_verifier),
            ("making a staff token for the console", self._init_staff_token),
            ("making the risk-list signing keys", self._init_keys),
            ("importing demo feeds", self._import_feeds),
            ("starting the verifier", self._serve_verifier),
            ("starting the card simulator", self._start_simulator),
            ("starting the kiosk", self._start_kiosk),
        ]

    async def start(self, on_step: Callable[[str], None] = lambda _: None) -> None:
        for label, step in self.steps():
            on_step(label)
            result = step()
            if asyncio.iscoroutine(result):
                await result

    def _check_ports(self) -> None:
        if self.kiosk_port:
            _port_free(self.kiosk_port, "kiosk")
        _port_free(self.verifier_port, "verifier")

    async def _init_verifier(self) -> None:
        kiosk_dir = self.data / "kiosk"
        kiosk_dir.mkdir(parents=True, exist_ok=True)
        token_file = kiosk_dir / "token"
        if self.verifier_config.exists() and token_file.exists():
            return
        out = await _yzt("verifier", "init", "--data", str(self.data / "verifier"))
        _write_secret(self.data / "verifier" / "admin-token", out.strip().splitlines()[-1])
        config = str(self.verifier_config)
        token = await _yzt(
            "verifier",
            "token",
            "add",
            "--config",
            config,
            "--role",
            "kiosk",
            "--kiosk-id",
            "demo-lane-1",
            "--site",
            SITE,
        )
        _write_secret(token_file, token.strip())
        await _yzt("verifier", "seed", "--config", config, "--people", str(self.people))

    async def _init_staff_token(self) -> None:
        """The token staff paste on the console's sign-in page (kept for a ``--data`` rerun)."""
        if not self.staff_token_file.exists():
            token = await _yzt(
                "verifier",
                "token",
                "add",
                "--config",
                str(self.verifier_config),
                "--role",
                "staff",
                "--name",
                "demo-staff",
            )
            _write_secret(self.staff_token_file, token.strip())
        self.staff_token = self.staff_token_file.read_text(encoding="utf-8").strip()

    async def _init_keys(self) -> None:
        """The same command an operator runs; its last word is the public key to pin."""
        public = self.data / "verifier" / "risklist-signing.pub"
        if not public.exists():
            out = await _yzt("verifier", "keys", "init", "--config", str(self.verifier_config))
            public = Path(out.split()[-1])
        self.public_key = public

    async def _import_feeds(self) -> None:
        feeds = write_feeds(self.data / "feeds", dt.datetime.now(dt.UTC).date())
        for kind, path in feeds.items():
            await _yzt("verifier", "import", kind, str(path), "--config", str(self.verifier_config))

    @property
    def verifier_running(self) -> bool:
        return self.verifier is not None and self.verifier.returncode is None

    async def start_verifier(self) -> None:
        """Serve the verifier again after ``stop_verifier`` (the panel, ``yzt demo verifier``)."""
        async with self._verifier_lock:
            if not self.verifier_running:
                _port_free(self.verifier_port, "verifier")
                await self._serve_verifier()

    async def stop_verifier(self) -> None:
        """Stop the demo's verifier child: taps are then decided offline, as on a real site."""
        async with self._verifier_lock:
            if self.verifier is None or self.verifier.returncode is not None:
                return
            self.verifier.terminate()
            try:
                await asyncio.wait_for(self.verifier.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                self.verifier.kill()
                await self.verifier.wait()

    async def _serve_verifier(self) -> None:
        log = (self.data / "verifier" / "serve.log").open("ab")
        self.verifier = await asyncio.create_subprocess_exec(
            *yzt_command(),
            "verifier",
            "serve",
            "--config",
            str(self.verifier_config),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.verifier_port),
            stdout=log,
            stderr=log,
            preexec_fn=_die_with_parent,
        )
        log.close()
        async with httpx.AsyncClient() as client:
            deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_S
            while asyncio.get_running_loop().time() < deadline:
                if self.verifier.returncode is not None:
                    raise DemoError(self._verifier_died())
                try:
                    if (await client.get(f"{self.verifier_url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise DemoError(f"the verifier did not answer on {self.verifier_url} in time")

    def _verifier_died(self) -> str:
        log = self.data / "verifier" / "serve.log"
        lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
        return f"the verifier stopped: {lines[-1] if lines else 'no message'} (log: {log})"

    async def _start_simulator(self) -> None:
        self.simulator = SamSimulator(CardDeck.from_dir(DEMO_CARDS))
        self.sim_port = await self.simulator.serve_tcp("127.0.0.1", 0)

    async def _start_kiosk(self) -> None:
        kiosk_dir = self.data / "kiosk"
        path = kiosk_dir / "kiosk.toml"
        path.write_text(self._kiosk_toml(), encoding="utf-8")
        assert self.simulator is not None
        config = load_config(path)
        try:
            self.offline = OfflineState.from_kiosk(config)
            await self.offline.sync_now()  # so the first heartbeat already reports a fresh list
        except (RiskListError, SyncError, OSError) as exc:
            raise DemoError(f"offline data: {exc}") from None
        self.kiosk = KioskDaemon(
            config,
            reader_factory=self.reader_factory,
            offline=self.offline,
            extra_routes=[panel_router(self.simulator, descriptions(), self)],
        )
        await self.kiosk.start()
        await self.offline.start()

    def _kiosk_toml(self) -> str:
        return f"""# Written by yzt demo; see docs/kiosk.md for every key.
[kiosk]
id = "demo-lane-1"
site = "{SITE}"

[reader]
uri = "tcp://127.0.0.1:{self.sim_port}"

[verifier]
url = "{self.verifier_url}"
token_file = "token"
public_key_file = "{self.public_key}"

[privacy]
pepper_file = "{self.data / "verifier" / "pepper"}"

[ui]
port = {self.kiosk_port}

[data]
dir = "data"
"""

    async def aclose(self) -> None:
        if self.offline is not None:
            await self.offline.aclose()
        if self.kiosk is not None:
            await self.kiosk.aclose()
        if self.simulator is not None:
            await self.simulator.aclose()
        await self.stop_verifier()


def _write_secret(path: Path, value: str) -> None:
    """A token file only its owner can read, created that way (never briefly world-readable)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    path.chmod(0o600)


def run_demo(data: Path | None, *, kiosk_port: int, verifier_port: int, people: int) -> int:
    """Run until Ctrl-C or SIGTERM; the process exit code."""
    temporary = data is None
    directory = Path(tempfile.mkdtemp(prefix="yzt-demo-")) if data is None else data
    directory.mkdir(parents=True, exist_ok=True)
    stack = DemoStack(directory, kiosk_port=kiosk_port, verifier_port=verifier_port, people=people)
    stack.keep_data = not temporary
    try:
        return asyncio.run(_run(stack))
    finally:
        if temporary:
            _remove_unless_used(directory)


def _remove_unless_used(directory: Path) -> None:
    """Delete the temporary data dir, unless another process (a verifier started by hand on the
    demo's config, say) still has a file in it open: then keep it and say so."""
    users = processes_using(directory)
    if users:
        err.print(
            f"Kept {directory}: still in use by process {', '.join(map(str, users))}.",
            highlight=False,
        )
        return
    shutil.rmtree(directory, ignore_errors=True)


def processes_using(directory: Path) -> list[int]:
    """Other processes with a file under ``directory`` open (Linux ``/proc``; ours excluded)."""
    inside = str(directory.resolve()) + os.sep
    users = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            targets = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:
            continue  # gone, or not ours to look at
        if any(target.startswith(inside) for target in targets):
            users.append(int(entry.name))
    return sorted(users)


async def _run(stack: DemoStack) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=err, transient=True
        ) as progress:
            task = progress.add_task("starting", total=len(stack.steps()))
            await stack.start(lambda label: progress.update(task, description=label, advance=1))
        _print_urls(stack)
        await stop.wait()
        err.print("Stopping the demo…")
        return 0
    except (DemoError, KioskStartError) as exc:
        err.print(f"[red]demo failed: {exc}[/]", highlight=False)
        return 1
    finally:
        await stack.aclose()


def _print_urls(stack: DemoStack) -> None:
    assert stack.kiosk is not None
    base = stack.kiosk.screen_url.rstrip("/")
    yzt = yzt_as_typed()
    url = "" if stack.kiosk_port == DEFAULT_KIOSK_PORT else f" --url {base}"
    out.print("[bold green]yzt demo is running[/]")
    out.print(f"  kiosk screen   {base}/", markup=False)
    out.print(f"  demo panel     {base}/demo", markup=False)
    out.print(
        f"  staff status   {base}/status   (or: {yzt} kiosk status --url {base})", markup=False
    )
    out.print(f"  verifier       {stack.verifier_url}/docs", markup=False)
    out.print(
        f"  staff console  {stack.verifier_url}/fleet   (and /stats; sign in with the staff "
        f"token {stack.staff_token}, kept in {stack.staff_token_file})",
        markup=False,
    )
    out.print(
        f"  offline        {yzt} demo verifier stop{url} (or the panel's button), then tap: "
        "a card seen online in the last 6 h gets that saved result, any other card is decided "
        f"from the signed risk list; {yzt} demo verifier start{url} brings it back",
        markup=False,
    )
    kept = "kept" if stack.keep_data else "removed on Ctrl-C unless you give --data DIR"
    out.print(f"  data           {stack.data}   ({kept})", markup=False)
    out.print(f"Tap a card: {yzt} demo tap green{url}   ·   {yzt} demo remove{url}", markup=False)
    out.print("Ctrl-C stops everything.")
