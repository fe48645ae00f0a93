"""Card photos: the reader's image, or the raw WLT through a vendor library loaded with ctypes —
here a small C library compiled by the test that writes a real BMP — and every way that fails."""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from facekit import make_card, require_gcc

from kiosk.face.config import PhotoConfig
from kiosk.face.errors import FaceSetupError, PhotoUnavailable
from kiosk.face.photo import NO_DECODER, CardPhotos, WltDecoder
from readers import Photo

DECODER_C = r"""
#include <stdio.h>
#include <string.h>
static char last[4096];
static void put32(unsigned char *p, unsigned v) { p[0]=v; p[1]=v>>8; p[2]=v>>16; p[3]=v>>24; }
/* Vendor style: read the WLT file, write a 102x126 24-bit BMP, return 1. Grey = first WLT byte. */
int wlt2Bmp(const char *wlt_path, const char *bmp_path) {
    unsigned char wlt[1024], header[54] = {0}, line[308];
    FILE *in = fopen(wlt_path, "rb");
    if (!in) return -1;
    size_t n = fread(wlt, 1, sizeof wlt, in);
    fclose(in);
    if (n != sizeof wlt) return -2;
    strncpy(last, wlt_path, sizeof last - 1);
    const int w = 102, h = 126, row = 308;
    header[0] = 'B'; header[1] = 'M'; put32(header + 2, 54 + row * h); put32(header + 10, 54);
    put32(header + 14, 40); put32(header + 18, w); put32(header + 22, h);
    header[26] = 1; header[28] = 24; put32(header + 34, row * h);
    FILE *out = fopen(bmp_path, "wb");
    if (!out) return -3;
    fwrite(header, 1, sizeof header, out);
    memset(line, wlt[0], sizeof line);
    for (int y = 0; y < h; y++) fwrite(line, 1, row, out);
    fclose(out);
    return 1;
}
int refuses(const char *wlt_path, const char *bmp_path) { return -7; }
int writes_nothing(const char *wlt_path, const char *bmp_path) { return 1; }
const char *last_wlt(void) { return last; }
"""


@pytest.fixture(scope="module")
def vendor_lib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_gcc()
    folder = tmp_path_factory.mktemp("vendor")
    (folder / "wlt.c").write_text(DECODER_C, encoding="ascii")
    library = folder / "libwlt.so"
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-O2", "-o", str(library), str(folder / "wlt.c")], check=True
    )
    return library


def _wlt(grey: int) -> bytes:
    return bytes([grey]) + bytes(1023)


def test_the_vendor_library_decodes_the_wlt_into_an_image(vendor_lib: Path) -> None:
    photos = CardPhotos.from_config(PhotoConfig(decoder_library=vendor_lib))
    image = photos.image_of(make_card(Photo(wlt=_wlt(200))))
    assert image.shape == (126, 102, 3)
    assert int(image[60, 50, 1]) == 200
    assert photos.describe() == f"vendor:{vendor_lib}"


def test_the_photo_files_do_not_stay_on_disk(vendor_lib: Path) -> None:
    WltDecoder(vendor_lib, "wlt2Bmp", 1).decode(_wlt(9))
    last_wlt = ctypes.CDLL(str(vendor_lib)).last_wlt
    last_wlt.restype = ctypes.c_char_p
    used = Path(last_wlt().decode())
    assert used.name == "photo.wlt" and not used.exists() and not used.parent.exists()


def test_a_decoder_error_code_is_unavailable_with_the_code(vendor_lib: Path) -> None:
    decoder = WltDecoder(vendor_lib, "refuses", 1)
    with pytest.raises(PhotoUnavailable, match=r"WLT decoder libwlt\.so returned -7, expected 1"):
        decoder.decode(_wlt(1))


def test_a_decoder_that_writes_no_bmp(vendor_lib: Path) -> None:
    with pytest.raises(PhotoUnavailable, match="wrote no readable BMP"):
        WltDecoder(vendor_lib, "writes_nothing", 1).decode(_wlt(1))


def test_a_wlt_of_the_wrong_size_is_not_handed_to_the_library(vendor_lib: Path) -> None:
    with pytest.raises(PhotoUnavailable, match="WLT is 10 bytes, expected 1024"):
        WltDecoder(vendor_lib, "wlt2Bmp", 1).decode(bytes(10))


def test_a_missing_library_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(
        FaceSetupError, match=r"^face\.photo\.decoder_library: cannot load .*nope\.so"
    ):
        CardPhotos.from_config(PhotoConfig(decoder_library=tmp_path / "nope.so"))


def test_a_file_that_is_not_a_library_fails_at_start(tmp_path: Path) -> None:
    fake = tmp_path / "libfake.so"
    fake.write_bytes(b"\x7fELF but not really")
    with pytest.raises(FaceSetupError, match=r"face\.photo\.decoder_library: cannot load") as err:
        CardPhotos.from_config(PhotoConfig(decoder_library=fake))
    assert "\n" not in str(err.value)


def test_a_library_without_the_function_names_it(vendor_lib: Path) -> None:
    config = PhotoConfig(decoder_library=vendor_lib, decoder_function="GetBmp")
    with pytest.raises(
        FaceSetupError, match=r"face\.photo\.decoder_function: .* has no function 'GetBmp'"
    ):
        CardPhotos.from_config(config)


def test_without_a_decoder_only_wlt_is_unavailable_and_says_why() -> None:
    photos = CardPhotos.from_config(PhotoConfig())
    with pytest.raises(PhotoUnavailable) as err:
        photos.image_of(make_card(Photo(wlt=_wlt(1))))
    assert str(err.value) == NO_DECODER
    assert photos.describe() == "reader image only"


def test_the_readers_decoded_image_is_used_first() -> None:
    _, png = cv2.imencode(".png", np.full((126, 102, 3), 33, np.uint8))
    card = make_card(Photo(wlt=_wlt(1), image=png.tobytes(), image_format="png"))
    image = CardPhotos(None).image_of(card)
    assert image.shape == (126, 102, 3) and int(image[0, 0, 0]) == 33


def test_a_card_without_photo_or_with_a_broken_image() -> None:
    photos = CardPhotos(None)
    with pytest.raises(PhotoUnavailable, match="the card gave no photo"):
        photos.image_of(make_card(None))
    broken = make_card(Photo(wlt=b"", image=b"not a png", image_format="png"))
    with pytest.raises(PhotoUnavailable, match=r"reader's card photo \(png\) is not an image"):
        photos.image_of(broken)
