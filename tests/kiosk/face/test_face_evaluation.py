"""Calibration maths and the pairs file: TAR at fixed FAR, honest about too few pairs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from kiosk.face.config import Thresholds
from kiosk.face.errors import FaceInputError
from kiosk.face.evaluation import Pair, evaluate, read_pairs

CONFIGURED = Thresholds(match=0.5, review=0.4)


def _scored(genuine: list[float], impostor: list[float]) -> list[tuple[Pair, float]]:
    same = [(Pair(Path("a"), Path("b"), True), s) for s in genuine]
    return same + [(Pair(Path("a"), Path("c"), False), s) for s in impostor]


def test_tar_at_far_picks_the_lowest_threshold_within_the_target() -> None:
    impostor = [i / 1000 for i in range(1000)]  # 0.000 … 0.999
    genuine = [0.95, 0.995, 0.9995, -math.inf]
    report = evaluate("dlib", _scored(genuine, impostor), CONFIGURED)
    one, tenth = report.points
    assert one.threshold == 0.99 and one.far == 0.01 and one.tar == 0.5 and one.reliable
    assert tenth.threshold == 0.999 and tenth.far == 0.001 and tenth.tar == 0.25
    assert report.no_face == 1


def test_too_few_different_pairs_are_flagged_not_hidden() -> None:
    report = evaluate("dlib", _scored([0.8, 0.7], [0.1, 0.2, 0.75]), CONFIGURED)
    assert [p.reliable for p in report.points] == [False, False]
    assert report.points[0].threshold == 0.751 and report.points[0].tar == 0.5


def test_threshold_table_includes_the_configured_thresholds() -> None:
    report = evaluate("dlib", _scored([0.8, 0.6], [0.1, 0.45]), CONFIGURED)
    table = {t: (tar, far) for t, tar, far in report.table}
    assert table[0.5] == (1.0, 0.0)
    assert table[0.4] == (1.0, 0.5)
    body = report.to_json(CONFIGURED)
    assert body["pairs"] == {"same": 2, "different": 2, "no_face": 0}


def test_needs_both_kinds_of_pairs() -> None:
    with pytest.raises(FaceInputError, match="need both"):
        evaluate("dlib", _scored([0.8], []), CONFIGURED)


def test_pairs_file_paths_are_relative_to_it(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("a,b,same\nx.jpg,y.jpg,1\nx.jpg,z.jpg,no\n", encoding="utf-8")
    assert read_pairs(pairs) == [
        Pair(tmp_path / "x.jpg", tmp_path / "y.jpg", True),
        Pair(tmp_path / "x.jpg", tmp_path / "z.jpg", False),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,same\nx,1\n", "missing column(s) b; expected a,b,same"),
        ("a,b,same\nx,y,maybe\n", "pairs.csv:2: same: expected 1 or 0, got 'maybe'"),
        ("a,b,same\nx,,1\n", "pairs.csv:2: b: empty"),
        ("a,b,same\n", "no pairs"),
    ],
)
def test_bad_pairs_files_name_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(text, encoding="utf-8")
    with pytest.raises(FaceInputError) as err:
        read_pairs(pairs)
    assert message in str(err.value)


def test_operating_points_are_three_place_thresholds_that_agree_with_the_table() -> None:
    """What is printed is what was used: no TAR 100 % at 0.366 while the table says 66.7 %."""
    genuine = [0.36551, 0.5, 0.9]
    impostor = [0.1] * 99 + [0.3655]
    report = evaluate("dlib", _scored(genuine, impostor), CONFIGURED)
    one, tenth = report.points
    assert (one.threshold, one.tar, one.far) == (0.101, 1.0, 0.01)
    assert (tenth.threshold, tenth.tar, tenth.far) == (0.366, 0.6667, 0.0)
    table = {t: (tar, far) for t, tar, far in report.table}
    assert table[0.101] == (one.tar, one.far) and table[0.366] == (tenth.tar, tenth.far)
