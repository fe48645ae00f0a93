"""The card photo as an image: the reader's decoded image, else the raw WLT via a vendor decoder.

WLT is a proprietary wavelet format; only the card vendors' libraries decode it. They are loaded
with ctypes and share one calling style, ``int f(const char *wlt_path, const char *bmp_path)``:
read the 1024-byte WLT file, write a 102×126 BMP. The files live in a private temporary folder
removed right after, since the photo is biometric data. Vendor libraries are rarely thread-safe,
so calls are serialised.
"""

from __future__ import annotations

import ctypes
import tempfile
import threading
from pathlib import Path

import cv2

from kiosk.face.config import PhotoConfig
from kiosk.face.engines.base import Image
from kiosk.face.errors import FaceSetupError, PhotoUnavailable
from kiosk.face.images import decode_image
from readers import IdCard

WLT_SIZE = 1024
NO_DECODER = (
    "no WLT decoder configured (face.photo.decoder_library) and the reader gave no decoded photo"
)


class WltDecoder:
    """A vendor decoder library, checked at load for the configured function."""

    def __init__(self, library: Path, function: str, success_code: int) -> None:
        try:
            handle = ctypes.CDLL(str(library))
        except OSError as exc:
            raise FaceSetupError(
                f"face.photo.decoder_library: cannot load {library}: {_first_line(exc)}"
            ) from None
        try:
            self._decode = getattr(handle, function)
        except AttributeError:
            raise FaceSetupError(
                f"face.photo.decoder_function: {library} has no function {function!r}"
            ) from None
        self._decode.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        self._decode.restype = ctypes.c_int
        self._success = success_code
        self._lock = threading.Lock()
        self.library = library

    def decode(self, wlt: bytes) -> Image:
        """The decoded photo; ``PhotoUnavailable`` says what went wrong."""
        if len(wlt) != WLT_SIZE:
            raise PhotoUnavailable(f"card photo: WLT is {len(wlt)} bytes, expected {WLT_SIZE}")
        with self._lock, tempfile.TemporaryDirectory(prefix="yzt-wlt-") as folder:
            wlt_path, bmp_path = Path(folder) / "photo.wlt", Path(folder) / "photo.bmp"
            wlt_path.write_bytes(wlt)
            code = self._decode(bytes(wlt_path), bytes(bmp_path))
            if code != self._success:
                raise PhotoUnavailable(
                    f"WLT decoder {self.library.name} returned {code}, expected {self._success}"
                )
            image = cv2.imread(str(bmp_path), cv2.IMREAD_COLOR)
        if image is None:
            raise PhotoUnavailable(f"WLT decoder {self.library.name} wrote no readable BMP")
        return image


class CardPhotos:
    """Where card photos come from on this kiosk: the reader's image first, the decoder second."""

    def __init__(self, decoder: WltDecoder | None) -> None:
        self.decoder = decoder

    @classmethod
    def from_config(cls, config: PhotoConfig) -> CardPhotos:
        if config.decoder_library is None:
            return cls(None)
        return cls(WltDecoder(config.decoder_library, config.decoder_function, config.success_code))

    def describe(self) -> str:
        return f"vendor:{self.decoder.library}" if self.decoder is not None else "reader image only"

    def image_of(self, card: IdCard) -> Image:
        """The card's photo as a BGR image; ``PhotoUnavailable`` when there is none to be had."""
        photo = card.photo
        if photo is None or not (photo.image or photo.wlt):
            raise PhotoUnavailable("the card gave no photo")
        if photo.image:
            image = decode_image(photo.image)
            if image is None:
                raise PhotoUnavailable(
                    f"the reader's card photo ({photo.image_format or 'unknown format'}) "
                    "is not an image OpenCV can read"
                )
            return image
        if self.decoder is None:
            raise PhotoUnavailable(NO_DECODER)
        return self.decoder.decode(photo.wlt)


def _first_line(exc: OSError) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
