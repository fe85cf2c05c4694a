"""Tests for the media helpers in ``foxapi_core._media``."""

from __future__ import annotations

import base64
import io
import os
import struct
import wave
from pathlib import Path

import pytest

from foxapi_core._checks import check_body
from foxapi_core._media import (
    AUDIO_FORMATS,
    AUDIO_MIME,
    DEFAULT_CHUNK_SIZE,
    DataURIHeader,
    audio_format_from_mime,
    data_uri_from_bytes,
    data_uri_from_file,
    data_uri_header,
    format_from_extension,
    image_mime_from_bytes,
    mime_for_data_uri,
    sniff_audio_format,
    youtube_watch_url,
)


def make_wav(frames: int = 800) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(b"\x00\x01" * frames)
    return buffer.getvalue()


def decode_payload(uri: str) -> bytes:
    header = data_uri_header(uri)
    assert header is not None
    return base64.b64decode(uri[header.payload_offset :], validate=True)


# ---- tables ---------------------------------------------------------------------------------


def test_audio_mime_table() -> None:
    assert dict(AUDIO_MIME) == {
        "wav": "audio/wav",
        "mp3": "audio/mpeg",
        "aiff": "audio/aiff",
        "aac": "audio/aac",
        "ogg": "audio/ogg",
        "flac": "audio/flac",
        "m4a": "audio/mp4",
    }
    assert tuple(AUDIO_MIME) == AUDIO_FORMATS
    with pytest.raises(TypeError):
        AUDIO_MIME["opus"] = "audio/opus"  # type: ignore[index]
    assert DEFAULT_CHUNK_SIZE % 3 == 0


@pytest.mark.parametrize(
    ("mime", "fmt"),
    [
        ("audio/wav", "wav"),
        ("audio/x-wav", "wav"),
        ("audio/wave", "wav"),
        ("audio/mpeg", "mp3"),
        ("audio/mp3", "mp3"),
        ("audio/aiff", "aiff"),
        ("audio/x-aiff", "aiff"),
        ("audio/aac", "aac"),
        ("audio/ogg", "ogg"),
        ("audio/flac", "flac"),
        ("audio/x-flac", "flac"),
        ("audio/mp4", "m4a"),
        ("audio/m4a", "m4a"),
        ("AUDIO/X-M4A", "m4a"),
        ("audio/ogg; codecs=opus", "ogg"),
        ("audio/opus", None),
        ("video/mp4", None),
        ("wav", None),
    ],
)
def test_audio_format_from_mime(mime: str, fmt: str | None) -> None:
    assert audio_format_from_mime(mime) == fmt


def test_every_canonical_mime_maps_back_to_its_format() -> None:
    for fmt, mime in AUDIO_MIME.items():
        assert audio_format_from_mime(mime) == fmt


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.wav", "wav"),
        ("A.WAV", "wav"),
        ("/tmp/x/song.mp3", "mp3"),
        ("C:\\x\\take.aif", "aiff"),
        ("rec.aiff", "aiff"),
        ("rec.aac", "aac"),
        ("rec.ogg", "ogg"),
        ("rec.flac", "flac"),
        ("rec.m4a", "m4a"),
        ("https://cdn.example/a/b.mp3?sig=abc.wav&x=1", "mp3"),
        ("https://cdn.example/a/b.flac#t=10", "flac"),
        ("https://cdn.example/a.wav/stream", None),
        ("noext", None),
        ("video.mp4", None),
        ("archive.tar.gz", None),
        ("", None),
    ],
)
def test_format_from_extension(name: str, fmt: str | None) -> None:
    assert format_from_extension(name) == fmt


# ---- sniffing -------------------------------------------------------------------------------


def test_sniff_real_wav() -> None:
    assert sniff_audio_format(make_wav()[:12]) == "wav"
    assert sniff_audio_format(make_wav()) == "wav"


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        # ID3v2.4 tag, then an MPEG-1 Layer III frame.
        (b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64", "mp3"),
        (b"ID3\x03\x00\x00\x00\x00\x01\x00", "mp3"),  # tag too long to see past: still mp3
        (b"\xff\xfb\x90\x64\x00\x00", "mp3"),  # MPEG-1 Layer III, no CRC
        (b"\xff\xf3\x48\xc4", "mp3"),  # MPEG-2 Layer III
        (b"\xff\xe3\x18\xc4", "mp3"),  # MPEG-2.5 Layer III
        (b"\xff\xf1\x50\x80\x02\x1f\xfc", "aac"),  # ADTS, MPEG-4, no CRC
        (b"\xff\xf9\x50\x80\x02\x1f\xfc", "aac"),  # ADTS, MPEG-2, no CRC
        (b"\xff\xf0\x50\x80", "aac"),  # ADTS with CRC
        (b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xf1\x50\x80", "aac"),  # ID3 in front of ADTS
        (b"ADIF\x00\x00", "aac"),
        (b"fLaC\x00\x00\x00\x22", "flac"),
        (b"OggS\x00\x02\x00\x00", "ogg"),
        (b"FORM\x00\x00\x10\x00AIFFCOMM", "aiff"),
        (b"FORM\x00\x00\x10\x00AIFCFVER", "aiff"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "m4a"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "m4a"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", "m4a"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", None),  # QuickTime movie
        (b"\xff\xfd\x90\x64", None),  # MPEG-1 Layer II
        (b"\xff\xff\x90\x64", None),  # MPEG-1 Layer I
        (b"\xff\xeb\x90\x64", None),  # reserved MPEG version
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", None),
        (b"\x89PNG\r\n\x1a\n", None),
        (b"RIFF", None),
        (b"", None),
    ],
)
def test_sniff_audio_format(head: bytes, fmt: str | None) -> None:
    assert sniff_audio_format(head) == fmt


def test_sniff_id3_with_footer_flag() -> None:
    size = 5
    tag = b"ID3\x04\x00\x10" + bytes([0, 0, 0, size]) + b"\x00" * size + b"3DI" + b"\x00" * 7
    assert sniff_audio_format(tag + b"\xff\xf1\x50\x80") == "aac"


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF87a\x01\x00", "image/gif"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"BM", None),
        (b"", None),
    ],
)
def test_image_mime_from_bytes(head: bytes, mime: str | None) -> None:
    assert image_mime_from_bytes(head) == mime


# ---- data URIs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "header"),
    [
        ("data:audio/wav;base64,UklG", DataURIHeader("audio/wav", True, 22)),
        ("data:Audio/X-WAV;BASE64,UklG", DataURIHeader("audio/x-wav", True, 24)),
        ("data:text/plain;charset=utf-8,hi", DataURIHeader("text/plain", False, 30)),
        (
            "data:audio/ogg;codecs=opus;base64,T2dn",
            DataURIHeader("audio/ogg", True, 34),
        ),
        ("data:;base64,AAAA", None),
        ("data:audio;base64,AAAA", None),
        ("https://x/a.wav", None),
        ("", None),
    ],
)
def test_data_uri_header(uri: str, header: DataURIHeader | None) -> None:
    assert data_uri_header(uri) == header
    if header is not None:
        assert header.payload_offset == uri.index(",") + 1
    assert mime_for_data_uri(uri) == (header.mime if header else None)


def test_data_uri_header_reads_only_the_prefix() -> None:
    # No comma in a 10 MB string: the bounded scan gives up early instead of walking it all.
    assert data_uri_header("data:audio/wav;" + "A" * 10_000_000) is None


def test_data_uri_from_bytes_round_trips() -> None:
    wav = make_wav()
    uri = data_uri_from_bytes(wav, AUDIO_MIME["wav"])
    assert uri.startswith("data:audio/wav;base64,")
    assert decode_payload(uri) == wav
    assert mime_for_data_uri(uri) == "audio/wav"
    assert sniff_audio_format(decode_payload(uri)[:12]) == "wav"
    assert data_uri_from_bytes(b"", "image/png") == "data:image/png;base64,"
    for n in range(1, 8):
        data = bytes(range(n))
        assert decode_payload(data_uri_from_bytes(data, "application/octet-stream")) == data


def test_wav_data_uri_passes_check_body_for_nemotron() -> None:
    uri = data_uri_from_bytes(make_wav(), AUDIO_MIME[sniff_audio_format(make_wav()) or ""])
    assert check_body({"model": "nemotron-3-nano-omni", "audio_url": uri}) == []


@pytest.mark.parametrize("mime", ["", "audio", "audio/wav,x", "audio/ wav", "a/b;c", 5])
def test_data_uri_from_bytes_rejects_bad_mimes(mime: object) -> None:
    with pytest.raises(ValueError, match="mime"):
        data_uri_from_bytes(b"x", mime)  # type: ignore[arg-type]


def test_data_uri_from_bytes_accepts_mime_parameters() -> None:
    uri = data_uri_from_bytes(b"abc", "audio/ogg;codecs=opus")
    assert uri == "data:audio/ogg;codecs=opus;base64,YWJj"
    assert mime_for_data_uri(uri) == "audio/ogg"


def test_data_uri_from_file_matches_bytes_for_10_mb_plus_1(tmp_path: Path) -> None:
    data = os.urandom(10 * 1024 * 1024 + 1)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    from_file = data_uri_from_file(path, "audio/wav")
    assert from_file == data_uri_from_bytes(data, "audio/wav")
    assert decode_payload(from_file) == data


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 6, 20, 21, 22, 100])
@pytest.mark.parametrize("chunk_size", [3, 6, 21])
def test_data_uri_from_file_chunk_boundaries(tmp_path: Path, size: int, chunk_size: int) -> None:
    data = bytes((i * 7) % 256 for i in range(size))
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    uri = data_uri_from_file(str(path), "application/octet-stream", chunk_size=chunk_size)
    assert uri == data_uri_from_bytes(data, "application/octet-stream")


def test_data_uri_from_file_with_a_real_wav(tmp_path: Path) -> None:
    wav = make_wav(12345)
    path = tmp_path / "a.wav"
    path.write_bytes(wav)
    uri = data_uri_from_file(path, "audio/wav", chunk_size=999)
    assert decode_payload(uri) == wav


@pytest.mark.parametrize("chunk_size", [0, -3, 4, 1024 * 1024, True])
def test_data_uri_from_file_rejects_bad_chunk_sizes(tmp_path: Path, chunk_size: int) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    with pytest.raises(ValueError, match="multiple of 3"):
        data_uri_from_file(path, "audio/wav", chunk_size=chunk_size)


def test_data_uri_from_file_errors(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        data_uri_from_file(tmp_path / "missing.wav", "audio/wav")
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    with pytest.raises(ValueError, match="mime"):
        data_uri_from_file(path, "wav")


def test_data_uri_from_file_from_a_pipe() -> None:
    # A pipe reports size 0: the buffer must grow as data arrives.
    data = struct.pack(">1000I", *range(1000))
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, data)
        os.close(write_fd)
        write_fd = -1
        uri = data_uri_from_file(f"/dev/fd/{read_fd}", "application/octet-stream", chunk_size=30)
    finally:
        os.close(read_fd)
        if write_fd != -1:
            os.close(write_fd)
    assert decode_payload(uri) == data


# ---- YouTube --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "watch"),
    [
        (
            "https://www.youtube.com/shorts/abc_DEF-123",
            "https://www.youtube.com/watch?v=abc_DEF-123",
        ),
        ("https://youtube.com/shorts/abc?feature=share", "https://www.youtube.com/watch?v=abc"),
        ("http://m.youtube.com/shorts/abc/", "https://www.youtube.com/watch?v=abc"),
        ("https://www.youtube.com/watch?v=abc", None),
        ("https://youtu.be/abc", None),
        ("https://example.com/shorts/abc", None),
    ],
)
def test_youtube_watch_url(url: str, watch: str | None) -> None:
    assert youtube_watch_url(url) == watch
