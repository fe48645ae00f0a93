"""The SAM-module frame protocol (``AA AA AA 96 69``): frames, SW3 statuses, an async client."""

from readers.sam.client import ConnectionLostError, SamClient, SamTimeouts
from readers.sam.frames import (
    ChecksumError,
    Frame,
    FrameDecoder,
    FrameError,
    FrameLengthError,
    Request,
    RequestDecoder,
    TruncatedFrameError,
    decode_frame,
    decode_request,
    encode_request,
    encode_response,
)
from readers.sam.status import SamStatusError, status_error

__all__ = [
    "ChecksumError",
    "ConnectionLostError",
    "Frame",
    "FrameDecoder",
    "FrameError",
    "FrameLengthError",
    "Request",
    "RequestDecoder",
    "SamClient",
    "SamStatusError",
    "SamTimeouts",
    "TruncatedFrameError",
    "decode_frame",
    "decode_request",
    "encode_request",
    "encode_response",
    "status_error",
]
