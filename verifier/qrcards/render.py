"""The printable card: A6 portrait, "长者健康码卡" and the masked name in big type, the QR code
between them, serial, expiry and what to do underneath.

Drawn once with cairo (cairocffi over the system's libcairo) in millimetres, onto a PDF page
(vector: the code prints sharp at any size) or a 300 dpi PNG. Text uses the Noto Sans CJK font
found through fontconfig (Debian fonts-noto-cjk); a missing font is an error, never a card with
empty boxes. The QR modules come from zxing-cpp's encoder at error-correction level Q (25 %),
so a creased or smudged card still reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cairocffi as cairo
import numpy as np
import zxingcpp

FONT = "Noto Sans CJK SC"
TITLE = "长者健康码卡"
WIDTH_MM, HEIGHT_MM = 105.0, 148.0
PNG_DPI = 300
POINTS_PER_MM = 72 / 25.4
QR_SIZE_MM = 78.0
QR_TOP_MM = 30.0
QUIET_MODULES = 4
HOW_TO_USE = "在闸机摄像头前出示此码 · 遗失请告知社区停用"


class RenderError(ValueError):
    """The card cannot be drawn or written; one plain line saying what to fix."""


@dataclass(frozen=True, slots=True)
class CardFace:
    """Everything printed on the card (the masked name is optional: it is never stored)."""

    token: str
    serial: str
    valid_until: str
    masked_name: str | None = None


def qr_modules(text: str) -> np.ndarray:
    """The QR symbol as a square boolean array, True = dark module, no quiet zone."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
    image = np.array(zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=False))
    return image < 128


def render_card(face: CardFace, path: Path) -> None:
    """Write the card to ``path``: a PDF page for ``.pdf``, a 300 dpi PNG for ``.png``."""
    suffix = path.suffix.lower()
    if suffix not in (".pdf", ".png"):
        raise RenderError(f"--out: {path.name} must end in .png or .pdf")
    partial = path.with_name(f".{path.name}.partial")
    try:
        if suffix == ".pdf":
            _write_pdf(face, partial)
        else:
            _write_png(face, partial)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise RenderError(f"--out: cannot write {path}: {exc.strerror or exc}") from None
    except RenderError:
        partial.unlink(missing_ok=True)
        raise


def _write_pdf(face: CardFace, path: Path) -> None:
    surface = cairo.PDFSurface(str(path), WIDTH_MM * POINTS_PER_MM, HEIGHT_MM * POINTS_PER_MM)
    context = cairo.Context(surface)
    context.scale(POINTS_PER_MM, POINTS_PER_MM)
    _draw(context, face)
    surface.finish()


def _write_png(face: CardFace, path: Path) -> None:
    scale = PNG_DPI / 25.4
    width, height = round(WIDTH_MM * scale), round(HEIGHT_MM * scale)
    surface = cairo.ImageSurface(cairo.FORMAT_RGB24, width, height)
    context = cairo.Context(surface)
    context.scale(scale, scale)
    _draw(context, face)
    surface.flush()
    surface.write_to_png(str(path))


def _draw(context: cairo.Context, face: CardFace) -> None:
    context.set_source_rgb(1, 1, 1)
    context.paint()
    context.set_source_rgb(0.6, 0.6, 0.6)
    context.set_line_width(0.4)
    context.rectangle(2, 2, WIDTH_MM - 4, HEIGHT_MM - 4)
    context.stroke()
    context.set_source_rgb(0, 0, 0)
    _centred(context, TITLE, size_mm=12.5, baseline_mm=22, bold=True)
    _draw_code(context, qr_modules(face.token))
    if face.masked_name:
        _centred(context, face.masked_name, size_mm=12, baseline_mm=124, bold=True)
    _centred(context, f"卡号 {face.serial}  有效期至 {face.valid_until}", 3.4, 134.5)
    _centred(context, HOW_TO_USE, size_mm=3.4, baseline_mm=140)


def _draw_code(context: cairo.Context, modules: np.ndarray) -> None:
    """Dark modules as filled squares; the white quiet zone is part of the square's size."""
    count = modules.shape[0]
    module = QR_SIZE_MM / (count + 2 * QUIET_MODULES)
    left = (WIDTH_MM - QR_SIZE_MM) / 2 + QUIET_MODULES * module
    top = QR_TOP_MM + QUIET_MODULES * module
    context.save()
    context.set_antialias(cairo.ANTIALIAS_NONE)
    for row, column in zip(*np.nonzero(modules), strict=True):
        context.rectangle(left + column * module, top + row * module, module, module)
    context.fill()
    context.restore()


def _centred(
    context: cairo.Context, text: str, size_mm: float, baseline_mm: float, bold: bool = False
) -> None:
    weight = cairo.FONT_WEIGHT_BOLD if bold else cairo.FONT_WEIGHT_NORMAL
    context.select_font_face(FONT, cairo.FONT_SLANT_NORMAL, weight)
    context.set_font_size(size_mm)
    glyphs = context.get_scaled_font().text_to_glyphs(0, 0, text, with_clusters=False)
    if any(glyph[0] == 0 for glyph in glyphs):
        raise RenderError(
            f"no font here has every character of {text!r}: install the Debian package "
            f"fonts-noto-cjk ({FONT}; fc-list :lang=zh lists Chinese fonts)"
        )
    width = context.text_extents(text)[4]
    context.move_to((WIDTH_MM - width) / 2, baseline_mm)
    context.show_text(text)
