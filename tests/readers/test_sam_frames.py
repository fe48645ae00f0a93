"""SAM frames: the literal frames of the protocol notes, every defect, streaming recovery."""

from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readers.errors import ReaderError
from readers.sam.frames import (
    PREAMBLE,
    ChecksumError,
    Frame,
    FrameDecoder,
    FrameError,
    FrameLengthError,
    PreambleError,
    Request,
    RequestDecoder,
    TruncatedFrameError,
    checksum,
    decode_frame,
    decode_request,
    encode_request,
    encode_response,
)

HEAD = "AA AA AA 96 69"


@pytest.mark.parametrize(
    ("cmd", "para", "data", "wire"),
    [
        (0x10, 0xFF, b"", "00 03 10 FF EC"),
        (0x11, 0xFF, b"", "00 03 11 FF ED"),
        (0x12, 0xFF, b"", "00 03 12 FF EE"),
        (0x20, 0x01, b"", "00 03 20 01 22"),
        (0x20, 0x02, b"", "00 03 20 02 21"),
        (0x30, 0x01, b"", "00 03 30 01 32"),
        (0x30, 0x10, b"", "00 03 30 10 23"),
        (0x30, 0x03, b"", "00 03 30 03 30"),
        (0x61, 0xFF, b"\x50", "00 04 61 FF 50 CA"),
    ],
)
def test_requests_match_the_documented_bytes(cmd: int, para: int, data: bytes, wire: str) -> None:
    frame = bytes.fromhex(f"{HEAD} {wire}")
    assert encode_request(cmd, para, data) == frame
    assert decode_request(frame) == Request(cmd, para, data)


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("00 04 00 00 90 94", Frame(0, 0, 0x90)),
        ("00 08 00 00 9F 00 00 00 00 97", Frame(0, 0, 0x9F, bytes(4))),
        ("00 0C 00 00 90" + " 00" * 8 + " 9C", Frame(0, 0, 0x90, bytes(8))),
    ],
)
def test_documented_responses_decode(wire: str, expected: Frame) -> None:
    frame = bytes.fromhex(f"{HEAD} {wire}")
    assert decode_frame(frame) == expected
    assert expected.encode() == frame


def test_read_answer_has_the_documented_header_and_size() -> None:
    data = b"\x01\x00\x04\x00" + bytes(256 + 1024)
    frame = encode_response(0x90, data)
    assert len(frame) == 1295
    assert frame[:14] == bytes.fromhex(f"{HEAD} 05 08 00 00 90 01 00 04 00")
    assert checksum(frame[5:-1]) == frame[-1]


GOOD = bytes.fromhex(f"{HEAD} 00 04 00 00 90 94")


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        (GOOD[:-1] + b"\x95", ChecksumError, "byte 10: checksum 95, expected 94"),
        (GOOD[:8], TruncatedFrameError, "byte 8: frame truncated, LEN 4 expects 11 bytes, got 8"),
        (GOOD[:6], TruncatedFrameError, "byte 6: frame ends inside its header"),
        (b"", TruncatedFrameError, "byte 0"),
        (b"\x00" + GOOD, PreambleError, "byte 0: expected preamble AA AA AA 96 69, got 00 AA"),
        (GOOD + b"\x00", FrameLengthError, "byte 11: 1 bytes after the end of the frame"),
        (bytes.fromhex(f"{HEAD} 00 02 90 92"), FrameLengthError, "byte 5: LEN 2 out of range"),
        (bytes.fromhex(f"{HEAD} FF FF 00"), FrameLengthError, "expected 4..4096"),
    ],
)
def test_defects_name_the_byte_and_what_was_expected(
    data: bytes, error: type[FrameError], words: str
) -> None:
    with pytest.raises(error, match=words) as caught:
        decode_frame(data)
    assert isinstance(caught.value, ReaderError)
    assert "\n" not in str(caught.value)


def frames_for_stream() -> list[bytes]:
    return [
        encode_response(0x9F, bytes(4)),
        encode_response(0x90, b"\x01\x00\x04\x00" + bytes(range(256)) * 5),
        encode_response(0x80),
    ]


def test_a_frame_split_at_every_byte_boundary_is_reassembled() -> None:
    frame = frames_for_stream()[1]
    for cut in range(1, len(frame)):
        decoder = FrameDecoder()
        assert decoder.feed(frame[:cut]) == []
        assert decoder.feed(frame[cut:]) == [decode_frame(frame)]


def test_a_frame_fed_byte_by_byte_comes_out_once_at_its_last_byte() -> None:
    frame = frames_for_stream()[0]
    decoder = FrameDecoder()
    out = [decoder.feed(frame[i : i + 1]) for i in range(len(frame))]
    assert out[:-1] == [[]] * (len(frame) - 1)
    assert out[-1] == [decode_frame(frame)]


def test_random_garbage_between_frames_is_skipped() -> None:
    rng = random.Random(2)
    frames = frames_for_stream() * 5
    stream = b""
    for frame in frames:
        garbage = bytes(rng.choice([0xAA, 0x96, 0x69, 0x00, 0x55, 0xFF]) for _ in range(20))
        stream += garbage.replace(PREAMBLE, b"") + frame
    decoder = FrameDecoder()
    out: list[Frame] = []
    for start in range(0, len(stream), 37):
        out += decoder.feed(stream[start : start + 37])
    assert out == [decode_frame(f) for f in frames]


def test_a_damaged_frame_is_reported_and_the_next_one_still_decodes() -> None:
    first, second, third = frames_for_stream()
    bad = second[:-1] + bytes((second[-1] ^ 1,))
    decoder = FrameDecoder()
    assert decoder.feed(first + bad + third) == [decode_frame(first)]
    with pytest.raises(ChecksumError):
        decoder.feed(b"")
    assert decoder.feed(b"") == [decode_frame(third)]


def test_a_false_preamble_with_an_impossible_length_resynchronises() -> None:
    decoder = FrameDecoder()
    with pytest.raises(FrameLengthError, match="LEN 65535"):
        decoder.feed(PREAMBLE + b"\xff\xff" + GOOD)
    assert decoder.feed(b"") == [decode_frame(GOOD)]


def test_request_decoder_reads_what_the_host_sends() -> None:
    decoder = RequestDecoder()
    stream = encode_request(0x20, 0x01) + b"\x00junk" + encode_request(0x61, 0xFF, b"\x50")
    assert decoder.feed(stream) == [Request(0x20, 0x01), Request(0x61, 0xFF, b"\x50")]


@given(
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(max_size=2400),
)
def test_response_round_trip(sw1: int, sw2: int, sw3: int, data: bytes) -> None:
    frame = Frame(sw1, sw2, sw3, data)
    assert decode_frame(frame.encode()) == frame


@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=64))
def test_request_round_trip(cmd: int, para: int, data: bytes) -> None:
    assert decode_request(encode_request(cmd, para, data)) == Request(cmd, para, data)


@given(st.binary(max_size=600), st.lists(st.integers(1, 64), max_size=20))
def test_decoder_raises_nothing_but_its_own_errors(data: bytes, cuts: list[int]) -> None:
    decoder = FrameDecoder()
    position = 0
    for size in [*cuts, len(data)]:
        chunk, position = data[position : position + size], position + size
        with contextlib.suppress(FrameError):
            decoder.feed(chunk)


@given(st.binary(max_size=300))
def test_one_shot_decoder_raises_nothing_but_its_own_errors(data: bytes) -> None:
    with contextlib.suppress(FrameError):
        decode_frame(data)


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=5), st.integers(1, 50))
def test_valid_frames_survive_any_chunking(payloads: list[bytes], size: int) -> None:
    stream = b"".join(encode_response(0x90, p) for p in payloads)
    decoder = FrameDecoder()
    out: list[Frame] = []
    for start in range(0, len(stream), size):
        out += decoder.feed(stream[start : start + size])
    assert [f.data for f in out] == payloads
