"""SAM frames (readers/sam/frames.py): any bytes, whole or in any chunks, give frames or a
``FrameError`` naming a byte; the streaming decoders find every good frame after line noise."""

from __future__ import annotations

import re

import pytest
from fuzzing import corpus, mutated_bytes, printable
from hypothesis import given
from hypothesis import strategies as st

from readers.sam.frames import (
    PREAMBLE,
    Frame,
    FrameDecoder,
    FrameError,
    Request,
    RequestDecoder,
    decode_frame,
    decode_request,
)

BYTE_NAMED = re.compile(r"^byte [0-9]+: ")
BYTE = st.integers(0, 255)
FRAMES = st.builds(Frame, BYTE, BYTE, BYTE, st.binary(max_size=2400))
REQUESTS = st.builds(Request, BYTE, BYTE, st.binary(max_size=64))
NOISE = st.binary(max_size=64).map(lambda data: data.replace(PREAMBLE[:1], b""))


def _check_error(error: FrameError, size: int) -> None:
    printable(str(error))
    assert BYTE_NAMED.match(str(error)), str(error)
    assert 0 <= error.offset <= size


def check_whole(data: bytes) -> None:
    """One frame each way: decoded, or a ``FrameError`` naming a byte within the data."""
    for decode in (decode_frame, decode_request):
        try:
            decoded = decode(data)
        except FrameError as error:
            _check_error(error, len(data))
        else:
            assert decoded.encode() == data


def check_stream(data: bytes, cuts: list[int]) -> None:
    """Fed in pieces: every frame that comes out was in the data, only ``FrameError`` is raised."""
    for decoder in (FrameDecoder(), RequestDecoder()):
        for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
            for piece in (data[start:end], b""):
                try:
                    frames = decoder.feed(piece)
                except FrameError as error:
                    printable(str(error))
                else:
                    assert all(frame.encode() in data for frame in frames)


@pytest.mark.parametrize("data", corpus("sam_frames"))
def test_the_corpus(data: bytes) -> None:
    check_whole(data)
    check_stream(data, [len(data) // 2])


@given(st.binary(max_size=5000))
def test_arbitrary_bytes(data: bytes) -> None:
    check_whole(data)


@given(mutated_bytes("sam_frames"))
def test_frames_with_bytes_changed(data: bytes) -> None:
    check_whole(data)


@given(st.lists(mutated_bytes("sam_frames") | st.binary(max_size=64), max_size=6), st.data())
def test_streams_in_any_chunks(parts: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(parts)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    check_stream(stream, cuts)


@given(st.lists(st.tuples(NOISE, FRAMES), min_size=1, max_size=4), st.data())
def test_every_frame_after_noise_comes_out(
    sent: list[tuple[bytes, Frame]], data: st.DataObject
) -> None:
    """Noise without a preamble byte between frames costs nothing: all frames arrive, in order."""
    stream = b"".join(noise + frame.encode() for noise, frame in sent)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    decoder = FrameDecoder()
    received: list[Frame] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        received += decoder.feed(stream[start:end])
    assert received == [frame for _, frame in sent]


@given(st.lists(REQUESTS, min_size=1, max_size=4))
def test_requests_round_trip(requests: list[Request]) -> None:
    stream = b"".join(request.encode() for request in requests)
    assert RequestDecoder().feed(stream) == requests
    for request in requests:
        assert decode_request(request.encode()) == request
