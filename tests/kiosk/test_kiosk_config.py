"""kiosk/config.py and ``yzt kiosk check-config``: every problem explained, env overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from kiosktools import write_config
from typer.testing import CliRunner

from kiosk.config import ConfigError, load_config
from kiosk.offline import OfflineState
from yzt.cli import app


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_config(tmp_path, "http://127.0.0.1:8081", "tcp://127.0.0.1:7000")


def test_valid_file_loads_with_defaults_and_paths_relative_to_it(config_file: Path) -> None:
    config = load_config(config_file)
    assert config.kiosk.id == "lane-1"
    assert config.verifier.deadline_s == 0.6
    assert config.ui.host == "127.0.0.1"
    assert config.gate.kind == "none"
    assert config.face.enabled is False
    assert config.data.dir == config_file.parent / "data"
    assert config.token() == "kiosk-token"
    assert len(config.pepper()) >= 32


def test_environment_overrides_the_file(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YZT_VERIFIER__URL", "http://10.0.0.5:9000")
    monkeypatch.setenv("YZT_UI__PORT", "9123")
    config = load_config(config_file)
    assert str(config.verifier.url) == "http://10.0.0.5:9000/"
    assert config.ui.port == 9123


def test_every_problem_is_named_by_its_key_path(config_file: Path) -> None:
    text = config_file.read_text()
    text = text.replace('id = "lane-1"', 'idd = "lane-1"')
    text = text.replace('url = "http://127.0.0.1:8081"', 'url = "not a url"')
    text = text.replace("port = 0", "port = 70000")
    text += '\n[gate]\nkind = "serial"\nopen_hex = "zz"\n'
    config_file.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    problems = "\n".join(caught.value.problems)
    assert "kiosk.id: is required but missing" in problems
    assert "kiosk.idd: is not a known key" in problems
    assert "verifier.url: expected a URL" in problems
    assert "ui.port:" in problems and "70000" in problems
    assert "gate.open_hex: expected hex bytes" in problems


def test_token_twice_and_missing_files_are_explained(config_file: Path) -> None:
    text = config_file.read_text().replace('token_file = "token"', 'token = "a"\ntoken_file = "b"')
    config_file.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    assert caught.value.problems == [
        "verifier: set exactly one of token and token_file",
        f"verifier.token_file: {config_file.parent / 'b'} does not exist",
    ]
    config_file.write_text(config_file.read_text().replace('token = "a"\n', ""))
    (config_file.parent / "pepper").write_bytes(b"short")
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    assert any("verifier.token_file:" in p and "does not exist" in p for p in caught.value.problems)
    assert any("at least 32 bytes" in p for p in caught.value.problems)


def test_a_token_value_is_never_echoed(config_file: Path) -> None:
    text = config_file.read_text().replace('token_file = "token"', "token = 12345")
    config_file.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    assert "12345" not in str(caught.value)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("ftp://x", "unknown reader scheme 'ftp' in 'ftp://x'; expected sim://, serial://, tcp://"),
        ("cards", "has no scheme; expected sim://"),
        (
            "serial:///dev/ttyUSB0?baud=12345",
            "option baud='12345': expected one of 9600, 19200, 38400, 57600, 115200",
        ),
        ("serial://ttyUSB0", "expected serial:///dev/DEVICE (an absolute path)"),
        ("tcp://reader.lan", "expected tcp://HOST:PORT with a port in 1..65535"),
        ("tcp://10.0.0.9:7000?speed=2", "does not take option 'speed' (known: address,"),
        ("sim://cards?poll_ms=1", "option poll_ms='1': expected a whole number in 10..2000"),
        ("pcsc://ACS [1]?profile=fast", "option profile='fast': expected one of sam-record,"),
    ],
)
def test_a_reader_uri_the_backends_refuse_is_refused_at_load(
    config_file: Path, uri: str, expected: str
) -> None:
    config_file.write_text(config_file.read_text().replace("tcp://127.0.0.1:7000", uri))
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    [problem] = caught.value.problems
    assert problem.startswith("reader.uri: ") and expected in problem


@pytest.mark.parametrize(
    "uri", ["sim://cards?poll_ms=50", "serial:///dev/ttyUSB0?baud=9600", "pcsc://ACS [1] PICC"]
)
def test_reader_uris_the_backends_take_load(config_file: Path, uri: str) -> None:
    config_file.write_text(config_file.read_text().replace("tcp://127.0.0.1:7000", uri))
    assert load_config(config_file).reader.uri == uri


def test_schema_and_file_problems_come_in_one_pass(config_file: Path) -> None:
    config_file.write_text(config_file.read_text().replace("tcp://127.0.0.1:7000", "ftp://x"))
    (config_file.parent / "pepper").unlink()
    (config_file.parent / "token").write_text("\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "reader.uri",
        "privacy.pepper_file",
        "verifier.token_file",
    ]


def test_a_problem_with_an_env_value_names_the_variable(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YZT_READER__URI", "serial:///dev/ttyUSB0?baud=12345")
    monkeypatch.setenv("YZT_PRIVACY__PEPPER_FILE", str(config_file.parent / "nope"))
    monkeypatch.setenv("YZT_UI__PORT", "70000")
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    problems = caught.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("reader.uri: serial:// option baud='12345'")
    assert problems[0].endswith("(from YZT_READER__URI)")
    assert problems[1].startswith("ui.port: ") and problems[1].endswith("(from YZT_UI__PORT)")
    assert problems[2] == (
        f"privacy.pepper_file: {config_file.parent / 'nope'} does not exist"
        " (from YZT_PRIVACY__PEPPER_FILE)"
    )


def test_a_file_value_is_not_blamed_on_the_environment(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YZT_UI__PORT", "9000")
    config_file.write_text(config_file.read_text().replace("tcp://127.0.0.1:7000", "ftp://x"))
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    assert "YZT_" not in str(caught.value)


def test_a_table_variable_that_is_not_json_is_named(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YZT_READER", "sim://cards")
    monkeypatch.setenv("YZT_UI__PORT", "9000")
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    [problem] = caught.value.problems
    assert problem.startswith("YZT_READER: ") and "must be given as JSON" in problem


def test_check_config_cli_names_a_bad_reader_uri(config_file: Path) -> None:
    config_file.write_text(config_file.read_text().replace("tcp://127.0.0.1:7000", "ftp://x"))
    (config_file.parent / "pepper").unlink()
    bad = CliRunner().invoke(app, ["kiosk", "check-config", str(config_file)])
    assert bad.exit_code == 2
    lines = bad.output.splitlines()
    assert lines[0] == f"{config_file}: 2 problem(s)"
    assert lines[1].startswith("  • reader.uri: unknown reader scheme 'ftp'")
    assert lines[2].startswith("  • privacy.pepper_file: ")
    assert lines[3] == f"Fix them, then run: yzt kiosk check-config {config_file}"


def test_check_config_cli_exit_codes_and_words(config_file: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(app, ["kiosk", "check-config", str(config_file)])
    assert good.exit_code == 0, good.output
    assert "is valid" in good.output and "yzt kiosk run --config" in good.output

    config_file.write_text(config_file.read_text() + "\n[ui\n")
    bad = runner.invoke(app, ["kiosk", "check-config", str(config_file)])
    assert bad.exit_code == 2
    assert "not valid TOML" in bad.output
    assert "Traceback" not in bad.output

    missing = runner.invoke(app, ["kiosk", "check-config", str(config_file.parent / "nope.toml")])
    assert missing.exit_code == 2
    assert "the file does not exist" in missing.output


@pytest.mark.parametrize("table", ["verifier", "offline"])
async def test_a_relative_risk_list_key_is_found_beside_the_config_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str
) -> None:
    site = tmp_path / "etc"
    (site / "keys").mkdir(parents=True)
    public = Ed25519PrivateKey.generate().public_key()
    (site / "keys" / "risklist.pub").write_bytes(
        public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    key = "keys/risklist.pub"
    if table == "verifier":
        path = write_config(site, "http://127.0.0.1:8081", "tcp://127.0.0.1:7000", public_key=key)
    else:
        extra = f'\n[offline]\npublic_key_file = "{key}"\n'
        path = write_config(site, "http://127.0.0.1:8081", "tcp://127.0.0.1:7000", extra)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(Path("..") / "etc" / path.name)
    resolved = getattr(config, table).public_key_file
    assert resolved == site.resolve() / key
    state = OfflineState.from_kiosk(config)  # reads and pins the key from the resolved path
    try:
        assert state.parts.key.public_bytes_raw() == public.public_bytes_raw()
    finally:
        await state.aclose()


def test_check_config_reports_a_missing_key_and_open_secrets_all_at_once(
    config_file: Path,
) -> None:
    """Missing pinned keys are named, and every secret file others can read gets its chmod."""
    folder = config_file.parent
    extra = '\n[offline]\npublic_key_file = "offline.pub"\n'
    config_file.write_text(
        config_file.read_text().replace("deadline_s", 'public_key_file = "gone.pub"\ndeadline_s')
        + extra
    )
    (folder / "offline.pub").write_text("not a key")
    (folder / "token").chmod(0o644)
    (folder / "pepper").chmod(0o640)
    done = CliRunner().invoke(app, ["kiosk", "check-config", str(config_file)])
    assert done.exit_code == 2
    assert done.output.splitlines()[:5] == [
        f"{config_file}: 4 problem(s)",
        f"  • privacy.pepper_file: {folder / 'pepper'} is readable by others;"
        f" run chmod 600 {folder / 'pepper'}",
        f"  • verifier.token_file: {folder / 'token'} is readable by others;"
        f" run chmod 600 {folder / 'token'}",
        f"  • verifier.public_key_file: {folder / 'gone.pub'} does not exist",
        f"  • offline.public_key_file: {folder / 'offline.pub'} is not a PEM public key",
    ]
    assert "kiosk-token" not in done.output


def test_the_shipped_example_reports_every_file_it_needs(tmp_path: Path) -> None:
    """deploy/kiosk.toml.example before its files are made: each missing one named, in one run.

    /etc/yzt is moved under tmp_path so a box that has one does not change the answer.
    """
    shipped = Path(__file__).resolve().parents[2] / "deploy" / "kiosk.toml.example"
    etc = tmp_path / "etc" / "yzt"
    example = tmp_path / "kiosk.toml"
    example.write_text(shipped.read_text().replace("/etc/yzt/", f"{etc}/"))
    done = CliRunner().invoke(app, ["kiosk", "check-config", str(example)])
    assert done.exit_code == 2
    assert done.output.splitlines()[:4] == [
        f"{example}: 3 problem(s)",
        f"  • privacy.pepper_file: {etc / 'pepper'} does not exist",
        f"  • verifier.token_file: {etc / 'kiosk.token'} does not exist",
        f"  • verifier.public_key_file: {etc / 'risklist-signing.pub'} does not exist",
    ]
