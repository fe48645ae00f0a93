"""``yzt face``: compare two photos, calibrate thresholds on pairs, check installed model files.

OpenCV and the engines are imported inside the commands so ``yzt`` itself starts fast.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Table

from kiosk.cli_kit import err, fail, out
from kiosk.face.errors import FaceInputError, FaceSetupError

face_app = typer.Typer(
    help="Face check: the live face against the card photo.", no_args_is_help=True
)


class Engine(StrEnum):
    opencv = "opencv"
    dlib = "dlib"


EngineOption = Annotated[
    Engine | None, typer.Option("--engine", help="Face engine (default: the config's, or opencv).")
]
ModelsOption = Annotated[
    Path | None,
    typer.Option(
        "--models-dir",
        envvar="YZT_FACE__MODELS__DIR",
        help="Folder with the model files (default /var/lib/yzt/models).",
    ),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Kiosk TOML file whose \\[face] table to use.")
]


@face_app.command()
def compare(
    live: Annotated[
        Path, typer.Argument(metavar="LIVE", help="Photo of the person (the camera side).")
    ],
    card: Annotated[
        Path, typer.Argument(metavar="CARD", help="Card photo (decoded, e.g. BMP or JPEG).")
    ],
    engine: EngineOption = None,
    models_dir: ModelsOption = None,
    config: ConfigOption = None,
) -> None:
    """Compare LIVE with CARD and print JSON: outcome, score, ms, the engine and the thresholds
    used (exit 0 whatever the outcome)."""
    from kiosk.face.compare import compare_images
    from kiosk.face.engines import build_engine
    from kiosk.face.images import read_image
    from kiosk.face.settings import load_face_config

    try:
        settings = load_face_config(config, engine=engine, models_dir=models_dir)
        live_image, card_image = read_image(live), read_image(card)
        face_engine = build_engine(settings)
    except (FaceInputError, FaceSetupError) as exc:
        raise fail(str(exc)) from None
    thresholds = settings.thresholds.for_engine(settings.engine)
    result = compare_images(face_engine, live_image, card_image, settings.gates, thresholds)
    used = {"match": thresholds.match, "review": thresholds.review}
    typer.echo(json.dumps(result.to_json() | {"engine": settings.engine, "thresholds": used}))


@face_app.command("eval")
def evaluate_pairs(
    pairs: Annotated[
        Path,
        typer.Argument(
            metavar="PAIRS.csv", help="CSV with columns a (live), b (card), same (1/0)."
        ),
    ],
    engine: EngineOption = None,
    models_dir: ModelsOption = None,
    config: ConfigOption = None,
    as_card: Annotated[
        bool, typer.Option("--as-card", help="Shrink b to a card-like 102×126, ~1.3 KB JPEG.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """TAR at FAR 1 % and 0.1 %, and TAR/FAR across thresholds, to calibrate face.thresholds."""
    from kiosk.face.engines import build_engine
    from kiosk.face.evaluation import Embedder, evaluate, read_pairs, score_pairs
    from kiosk.face.settings import load_face_config

    try:
        settings = load_face_config(config, engine=engine, models_dir=models_dir)
        rows = read_pairs(pairs)
        face_engine = build_engine(settings)
        embedder = Embedder(face_engine, settings.gates, as_card=as_card)
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task(f"scoring {len(rows)} pairs", total=len(rows))
            scored = list(score_pairs(face_engine, embedder, rows, lambda: progress.advance(task)))
        thresholds = settings.thresholds.for_engine(settings.engine)
        report = evaluate(settings.engine, scored, thresholds)
    except (FaceInputError, FaceSetupError) as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(report.to_json(thresholds)))
        return
    _print_report(report.to_json(thresholds))


def _print_report(body: dict[str, Any]) -> None:
    pairs = body["pairs"]
    out.print(
        f"engine {body['engine']}: {pairs['same']} same-person pairs, "
        f"{pairs['different']} different-person pairs, {pairs['no_face']} without a usable face"
    )
    points = Table("FAR target", "threshold", "TAR", "FAR", "note", title="Operating points")
    for point in body["tar_at_far"]:
        note = (
            "" if point["reliable"] else f"needs ≥ {round(1 / point['far_target'])} different pairs"
        )
        threshold = "none" if point["threshold"] is None else f"{point['threshold']:.3f}"
        points.add_row(
            f"{point['far_target']:.1%}",
            threshold,
            f"{point['tar']:.1%}",
            f"{point['far']:.2%}",
            note,
        )
    out.print(points)
    configured = body["configured"]
    table = Table("threshold", "TAR (same accepted)", "FAR (different accepted)", "")
    for row in body["thresholds"]:
        mark = {configured["match"]: "match", configured["review"]: "review"}.get(
            row["threshold"], ""
        )
        table.add_row(f"{row['threshold']:.3f}", f"{row['tar']:.1%}", f"{row['far']:.2%}", mark)
    out.print(table)
    out.print(
        f"Next: set [face.thresholds.{body['engine']}] match (and review, lower) in the kiosk "
        "config, then `yzt kiosk check-config`.",
        markup=False,
    )


@face_app.command("check-models")
def check_models(
    engine: EngineOption = None, models_dir: ModelsOption = None, config: ConfigOption = None
) -> None:
    """Say which model files the engine needs, where and with which SHA-256, and whether each is
    there; then load the engine as the kiosk does at start."""
    from kiosk.face.engines import build_engine, required_models
    from kiosk.face.engines.modelfile import read_verified
    from kiosk.face.settings import load_face_config

    try:
        settings = load_face_config(config, engine=engine, models_dir=models_dir)
    except (FaceInputError, FaceSetupError) as exc:
        raise fail(str(exc)) from None
    problems = 0
    for model in required_models(settings):
        try:
            read_verified(model.path, model.sha256, model.key)
            state = "ok"
        except FaceSetupError as exc:
            problems += 1
            state = (
                "missing" if not model.path.exists() else str(exc).removeprefix(f"{model.key}: ")
            )
        out.print(f"{model.key}  {model.path}  {state}", markup=False, highlight=False)
        if state != "ok":
            out.print(f"  get it from {model.source}", markup=False, highlight=False)
            out.print(f"  put it at {model.path} (mode 0644), sha256 {model.sha256}", markup=False)
    if problems:
        models = settings.models.dir
        raise fail(
            f"{problems} model file(s) to install for engine {settings.engine}: put them in "
            f"{models} (or point --models-dir / [face.models] dir at them); docs/face.md"
        )
    try:
        build_engine(settings)
    except FaceSetupError as exc:
        raise fail(str(exc)) from None
    out.print(f"engine {settings.engine}: model files present, hashes match, networks load.")
    out.print("Next: `yzt face compare LIVE.jpg CARD.bmp` on a photo pair.", markup=False)
