"""The dlib engine: weights found without importing face_recognition_models, real embeddings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from facekit import dlib_config, faces_dir, require_dlib

from kiosk.face.engines import FaceEngine, build_engine
from kiosk.face.engines.dlib_resnet import DESCRIPTOR_MODEL, DlibRecognizer, models_dir
from kiosk.face.errors import FaceSetupError
from kiosk.face.images import read_image

require_dlib()


@pytest.fixture(scope="module")
def engine(shared_dir: Path) -> FaceEngine:
    return build_engine(dlib_config(shared_dir))


def test_weights_are_located_without_importing_their_package() -> None:
    code = (
        "import sys; from kiosk.face.engines.dlib_resnet import models_dir; "
        "print(models_dir()); print('face_recognition_models' in sys.modules)"
    )
    lines = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert (Path(lines[0]) / DESCRIPTOR_MODEL).is_file()
    assert lines[1] == "False"


def test_same_person_scores_higher_than_different_people(
    engine: FaceEngine, shared_dir: Path
) -> None:
    def embed(name: str) -> np.ndarray:
        image = read_image(faces_dir(shared_dir) / name)
        return engine.embed(image, engine.detect(image)[0])

    obama, obama2, biden = embed("obama.jpg"), embed("obama2.jpg"), embed("biden.jpg")
    same, different = engine.similarity(obama, obama2), engine.similarity(obama, biden)
    assert same >= 0.4 > different  # dlib's published 0.6 distance
    assert engine.similarity(obama, obama) == pytest.approx(1.0)


def test_a_folder_without_weights_is_a_plain_setup_error(tmp_path: Path) -> None:
    with pytest.raises(
        FaceSetupError, match=f"face.engine dlib: cannot load weights in {tmp_path}"
    ):
        DlibRecognizer(tmp_path)


def test_installed_weights_folder_exists() -> None:
    assert (models_dir() / DESCRIPTOR_MODEL).stat().st_size > 20_000_000
