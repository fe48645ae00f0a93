"""``yzt face compare`` / ``eval`` / ``check-models`` as ops run them: JSON out, exit 0 whatever
the faces; bad input or an unusable engine → one plain stderr line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from facekit import card_jpeg, dlib_config, faces_dir, kiosk_frame, require_dlib
from typer.testing import CliRunner

from kiosk.face.cli import face_app
from kiosk.face.config import SFACE_SHA256
from kiosk.face.engines import FaceEngine, build_engine
from kiosk.face.images import read_image

require_dlib()

runner = CliRunner()


@pytest.fixture(scope="module")
def engine(shared_dir: Path) -> FaceEngine:
    return build_engine(dlib_config(shared_dir))


@pytest.fixture(scope="module")
def photos(engine: FaceEngine, shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kiosk-like frames and card-like photos of the shared faces, written to a temp folder."""
    folder = tmp_path_factory.mktemp("photos")
    for name in ("biden.jpg", "biden_biden2.jpg", "obama.jpg", "obama2.jpg"):
        stem = Path(name).stem
        frame = kiosk_frame(engine, read_image(faces_dir(shared_dir) / name))
        cv2.imwrite(str(folder / f"{stem}_live.png"), frame)
        (folder / f"{stem}_card.jpg").write_bytes(card_jpeg(engine, faces_dir(shared_dir) / name))
    return folder


def _face(args: list[str], shared_dir: Path) -> tuple[int, str, str]:
    models = ["--models-dir", str(shared_dir / "models")]
    result = runner.invoke(face_app, [*args, *models])
    return result.exit_code, result.stdout, result.stderr


def test_compare_the_owner_and_a_stranger(photos: Path, shared_dir: Path) -> None:
    live, card = photos / "biden_live.png", photos / "biden_biden2_card.jpg"
    code, out, _ = _face(["compare", "--engine", "dlib", str(live), str(card)], shared_dir)
    body = json.loads(out)
    assert code == 0 and body["outcome"] == "match" and body["score"] >= 0.4
    assert body["engine"] == "dlib" and body["thresholds"] == {"match": 0.4, "review": 0.33}
    assert {"detect", "embed", "compare", "total"} <= set(body["ms"])
    stranger = photos / "obama_live.png"
    code, out, _ = _face(["compare", "--engine", "dlib", str(stranger), str(card)], shared_dir)
    assert code == 0 and json.loads(out)["outcome"] == "mismatch"


def test_compare_with_two_faces_is_still_exit_0(photos: Path, shared_dir: Path) -> None:
    two = faces_dir(shared_dir) / "two_people.jpg"
    card = photos / "obama_card.jpg"
    code, out, _ = _face(["compare", "--engine", "dlib", str(two), str(card)], shared_dir)
    assert code == 0
    assert json.loads(out)["outcome"] == "multiple_faces" and json.loads(out)["score"] is None


def test_the_real_command_gives_one_plain_line_for_a_missing_file(
    photos: Path, shared_dir: Path, tmp_path: Path
) -> None:
    yzt = Path(sys.executable).with_name("yzt")
    missing = tmp_path / "nobody.jpg"
    done = subprocess.run(
        [str(yzt), "face", "compare", "--engine", "dlib", "--models-dir",
         str(shared_dir / "models"), str(missing), str(photos / "obama_card.jpg")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"error: {missing}: no such file\n"


def test_opencv_engine_without_sface_is_exit_2_naming_the_file(
    photos: Path, shared_dir: Path
) -> None:
    live, card = photos / "obama_live.png", photos / "obama2_card.jpg"
    code, out, err = _face(["compare", "--engine", "opencv", str(live), str(card)], shared_dir)
    assert code == 2 and out == ""
    assert err.startswith("error: face.models.sface: model file ") and err.count("\n") == 1


def test_eval_reports_tar_at_far_and_thresholds(photos: Path, shared_dir: Path) -> None:
    pairs = photos / "pairs.csv"
    rows = ["a,b,same"]
    for live in ("biden", "biden_biden2", "obama", "obama2"):
        for card in ("biden", "biden_biden2", "obama", "obama2"):
            if live != card:
                rows.append(f"{live}_live.png,{card}_card.jpg,{int(live[:5] == card[:5])}")
    pairs.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, _ = _face(["eval", "--engine", "dlib", "--json", str(pairs)], shared_dir)
    body = json.loads(out)
    assert code == 0 and body["pairs"] == {"same": 4, "different": 8, "no_face": 0}
    one_percent = body["tar_at_far"][0]
    assert one_percent["far_target"] == 0.01 and one_percent["reliable"] is False
    assert one_percent["tar"] == 1.0 and one_percent["far"] == 0.0
    assert body["configured"] == {"match": 0.4, "review": 0.33}
    code, out, _ = _face(["eval", "--engine", "dlib", str(pairs)], shared_dir)
    assert code == 0 and "Operating points" in out and "Next: set [face.thresholds.dlib]" in out


def test_eval_as_card_shrinks_ordinary_photos(shared_dir: Path, tmp_path: Path) -> None:
    faces = faces_dir(shared_dir)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        f"a,b,same\n{faces}/biden.jpg,{faces}/biden_biden2.jpg,1\n"
        f"{faces}/obama.jpg,{faces}/biden_biden2.jpg,0\n",
        encoding="utf-8",
    )
    code, out, _ = _face(
        ["eval", "--engine", "dlib", "--as-card", "--json", str(pairs)], shared_dir
    )
    assert code == 0 and json.loads(out)["pairs"]["no_face"] == 0


def test_eval_with_a_bad_pairs_file(tmp_path: Path, shared_dir: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("left,right\nx,y\n", encoding="utf-8")
    code, _, err = _face(["eval", "--engine", "dlib", str(pairs)], shared_dir)
    assert code == 2
    assert err == f"error: {pairs}: missing column(s) a, b, same; expected a,b,same\n"


def test_check_models(shared_dir: Path, tmp_path: Path) -> None:
    code, out, _ = _face(["check-models", "--engine", "dlib"], shared_dir)
    assert code == 0 and "hashes match" in out
    result = runner.invoke(face_app, ["check-models", "--models-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: 2 model file(s) to install for engine opencv: put them in {tmp_path} "
        "(or point --models-dir / [face.models] dir at them); docs/face.md\n"
    )


def test_check_models_says_what_to_put_where(shared_dir: Path, tmp_path: Path) -> None:
    """The YuNet file in place, SFace not: one line each, and for SFace where from and where to."""
    yunet = "face_detection_yunet_2023mar.onnx"
    (tmp_path / yunet).write_bytes((shared_dir / "models" / yunet).read_bytes())
    result = runner.invoke(
        face_app, ["check-models", "--models-dir", str(tmp_path)], env={"COLUMNS": "400"}
    )
    sface = tmp_path / "face_recognition_sface_2021dec.onnx"
    zoo = "https://github.com/opencv/opencv_zoo/raw/main/models"
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"face.models.yunet  {tmp_path / yunet}  ok",
        f"face.models.sface  {sface}  missing",
        f"  get it from {zoo}/face_recognition_sface/face_recognition_sface_2021dec.onnx",
        f"  put it at {sface} (mode 0644), sha256 {SFACE_SHA256}",
    ]
    sface.write_bytes(b"not a network")
    result = runner.invoke(
        face_app, ["check-models", "--models-dir", str(tmp_path)], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 2
    assert f"face.models.sface  {sface}  {sface} has sha256 " in result.stdout


@pytest.mark.parametrize("command", ["compare", "eval", "check-models"])
def test_help_names_the_face_table_literally(command: str) -> None:
    result = runner.invoke(face_app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Kiosk TOML file whose [face] table to use." in result.stdout
