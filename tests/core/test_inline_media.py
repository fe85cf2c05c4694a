"""InlineMedia and the streamed JSON body: exact bytes, checks, retries, changes, bounded memory."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foxapi_core import AsyncFoxAPIClient, FoxAPIClient, InlineMedia, RequestValidationError
from foxapi_core._flows import SUBMIT_PATH, Send
from foxapi_core._inline_media import PIECE_SIZE
from foxapi_core._json_body import StreamedJSON, encode_json
from foxapi_core._media import data_uri_from_bytes
from foxapi_core._wire import AudioRequest, VideoRequest, VisionRequest
from foxapi_core.emulator import RunningEmulator, serve_in_thread

WAV_HEAD = b"RIFF\x00\x00\x00\x00WAVEfmt "


def compact(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def random_file(path: Path, size: int, head: bytes = WAV_HEAD) -> bytes:
    data = head[:size] + os.urandom(max(0, size - len(head)))
    path.write_bytes(data)
    return data


# --- the value ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=2_000),
    piece=st.integers(1, 40).map(lambda n: 3 * n),
    from_path=st.booleans(),
)
def test_pieces_concatenate_to_the_data_uri(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, piece: int, from_path: bool
) -> None:
    if from_path:
        path = tmp_path_factory.mktemp("m") / "f.bin"
        path.write_bytes(data)
        media = InlineMedia(path, "audio/wav")
    else:
        media = InlineMedia(data, "audio/wav")
    expected = data_uri_from_bytes(data, "audio/wav")
    assert b"".join(media.iter_encoded(piece)).decode("ascii") == expected
    assert media.to_data_uri() == expected
    assert media.uri_length == len(expected) and media.size == len(data)
    assert expected.startswith(media.head())


def test_repr_names_the_file_not_the_payload(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    random_file(path, 5000)
    text = repr(InlineMedia(path, "audio/wav"))
    assert "call.wav" in text and "size=5000" in text and len(text) < 200
    assert "5,000 bytes" in repr(InlineMedia(bytes(5000), "audio/wav"))


def test_equality_is_by_source_and_mime(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    random_file(path, 100)
    assert InlineMedia(path, "audio/wav") == InlineMedia(str(path), "audio/wav")
    assert InlineMedia(path, "audio/wav") != InlineMedia(path, "audio/mpeg")
    assert InlineMedia(b"abc", "audio/wav") == InlineMedia(bytearray(b"abc"), "audio/wav")
    assert InlineMedia(b"abc", "audio/wav") != InlineMedia(b"abd", "audio/wav")


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda p: InlineMedia(p / "missing.wav", "audio/wav"), FileNotFoundError),
        (lambda p: InlineMedia(p, "audio/wav"), IsADirectoryError),
        (lambda p: InlineMedia(b"x", "not a mime"), ValueError),
    ],
)
def test_bad_sources_fail_at_construction(tmp_path: Path, make: Any, error: type) -> None:
    with pytest.raises(error):
        make(tmp_path)


def test_requests_keep_the_object_and_json_dumps_spell_it_out(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    data = random_file(path, 3000)
    media = InlineMedia(path, "audio/wav")
    request = AudioRequest(model="gemini-2.5-pro", audio_url=media)
    assert request.to_body()["audio_url"] is media  # streamed by the client, not materialised
    assert json.loads(request.model_dump_json())["audio_url"] == data_uri_from_bytes(
        data, "audio/wav"
    )
    video = VideoRequest(model="gemini-2.5-pro", prompt="What?", video_urls=[media])
    assert video.to_body()["video_urls"] == [media]
    vision = VisionRequest(model="gpt-5.5", prompt="?", image_urls=["https://x/a.png", media])
    assert vision.to_body()["image_urls"][1] is media


# --- the body ----------------------------------------------------------------------------------


def test_a_body_without_media_is_what_httpx_would_send() -> None:
    body = {"model": "gpt-5.5", "prompt": 'héllo "quoted" \u2028', "n": [1, 2.5, None, True]}
    encoded = encode_json(body)
    assert isinstance(encoded, bytes)
    assert encoded == httpx.Request("POST", "http://x", json=body).read()


def test_a_nan_is_refused_like_httpx_does() -> None:
    with pytest.raises(ValueError):
        encode_json({"temperature": float("nan")})
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        encode_json({"x": {1}})


json_text = st.text(max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | json_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=80, deadline=None)
@given(
    extra=st.dictionaries(json_text, json_values, max_size=5),
    payloads=st.lists(st.binary(max_size=300), min_size=1, max_size=3),
    mime=st.sampled_from(["audio/wav", 'audio/wav;name="a\\b.wav"', "image/png"]),
)
def test_a_streamed_body_equals_the_materialised_one(
    extra: dict[str, Any], payloads: list[bytes], mime: str
) -> None:
    media = [InlineMedia(p, mime) for p in payloads]
    body = {**extra, "model": "m", "audio_url": media[0], "video_urls": media}
    streamed = encode_json(body)
    assert isinstance(streamed, StreamedJSON)
    expected = compact(
        {
            **extra,
            "model": "m",
            "audio_url": data_uri_from_bytes(payloads[0], mime),
            "video_urls": [data_uri_from_bytes(p, mime) for p in payloads],
        }
    )
    first, again = b"".join(streamed), b"".join(streamed)
    assert first == again == expected  # re-iterable: a retried submit resends it whole
    assert streamed.length == len(expected)


def test_text_that_looks_like_a_placeholder_is_left_alone() -> None:
    lookalike = "\x00foxapi-inline-0000000000000000-0\x00"
    body = {"prompt": lookalike, "audio_url": InlineMedia(b"abc", "audio/wav")}
    streamed = encode_json(body)
    assert json.loads(b"".join(streamed)) == {
        "prompt": lookalike,
        "audio_url": data_uri_from_bytes(b"abc", "audio/wav"),
    }


def test_the_request_announces_its_exact_length(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    random_file(path, 10_000)
    body = AudioRequest(model="gemini-2.5-pro", audio_url=InlineMedia(path, "audio/wav")).to_body()
    with FoxAPIClient(api_key="k", base_url="http://127.0.0.1:9") as client, httpx.Client() as http:
        request = client._build(http, Send("POST", SUBMIT_PATH, body=body, submit=True))
    content = request.read()
    assert request.headers["Content-Length"] == str(len(content))
    assert request.headers["Content-Type"] == "application/json"
    assert "Transfer-Encoding" not in request.headers
    assert json.loads(content)["audio_url"] == data_uri_from_bytes(path.read_bytes(), "audio/wav")


class _HashingTransport(httpx.BaseTransport):
    """Consumes a request body piece by piece, as a socket write would, keeping only a hash."""

    def __init__(self) -> None:
        self.digest = ""
        self.length = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        h = hashlib.sha256()
        for piece in request.stream:  # type: ignore[union-attr]
            h.update(piece)
            self.length += len(piece)
        self.digest = h.hexdigest()
        return httpx.Response(200, json={"ok": True})


def test_sending_a_large_file_holds_about_one_piece(tmp_path: Path) -> None:
    path = tmp_path / "big.wav"
    size = 6_000_000
    with open(path, "wb") as out:
        out.write(WAV_HEAD)
        for _ in range(size // 1_000_000):
            out.write(os.urandom(1_000_000))
    size = path.stat().st_size
    transport = _HashingTransport()
    with FoxAPIClient(api_key="k", base_url="http://127.0.0.1:9") as client:
        http = httpx.Client(transport=transport)
        tracemalloc.start()
        try:
            body = AudioRequest(
                model="gemini-2.5-pro", audio_url=InlineMedia(path, "audio/wav")
            ).to_body()
            http.send(client._build(http, Send("POST", SUBMIT_PATH, body=body, submit=True)))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            http.close()
    expected = compact(
        {
            "model": "gemini-2.5-pro",
            "audio_url": data_uri_from_bytes(path.read_bytes(), "audio/wav"),
        }
    )
    assert transport.digest == hashlib.sha256(expected).hexdigest()
    # A few pieces (the read buffer, the piece being encoded, the one being written), however
    # large the file; a str data URI alone would be ~2.7x the file.
    assert peak < 6 * PIECE_SIZE < size / 5


# --- against the emulator ----------------------------------------------------------------------


@pytest.fixture(params=["sync", "async"])
def generate(request: pytest.FixtureRequest, foxapi_emulator: RunningEmulator) -> Any:
    def run(body: Any, **kwargs: Any) -> Any:
        settings: dict[str, Any] = {"api_key": foxapi_emulator.api_key}
        settings["base_url"] = foxapi_emulator.base_url
        if request.param == "sync":
            with FoxAPIClient(**settings) as client:
                return client.generate(body, **kwargs)

        async def main() -> Any:
            async with AsyncFoxAPIClient(**settings) as client:
                return await client.generate(body, **kwargs)

        return asyncio.run(main())

    return run


@pytest.mark.parametrize("transport", ["stream", "poll", "sync"])
def test_the_emulator_receives_the_file(
    generate: Any, foxapi_emulator: RunningEmulator, tmp_path: Path, transport: str
) -> None:
    path = tmp_path / "a.wav"
    data = random_file(path, 50_000)
    request = AudioRequest(model="gemini-2.5-pro", audio_url=InlineMedia(path, "audio/wav"))
    completion = generate(request, transport=transport)
    (task,) = foxapi_emulator.emulator.tasks.values()
    uri = data_uri_from_bytes(data, "audio/wav")
    assert task.request["audio_url"] == uri
    # The emulator's answer names a hash of what it received.
    assert f"sha256:{hashlib.sha256(uri.encode()).hexdigest()[:8]}" in completion.text


def test_a_retried_submit_sends_the_whole_file_again(
    generate: Any, foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    emu = foxapi_emulator.emulator
    path = tmp_path / "a.wav"
    data = random_file(path, 400_000)  # several pieces
    emu.faults.fail("submit", 503)
    generate(AudioRequest(model="gemini-2.5-pro", audio_url=InlineMedia(path, "audio/wav")))
    assert emu.counters.submit_attempts == 2 and emu.counters.submits == 1
    (task,) = emu.tasks.values()
    assert task.request["audio_url"] == data_uri_from_bytes(data, "audio/wav")


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("change", ["grew", "shrank"])
def test_a_file_that_changed_is_not_half_sent(tmp_path: Path, change: str, kind: str) -> None:
    path = tmp_path / "a.wav"
    data = random_file(path, 400_000)
    media = InlineMedia(path, "audio/wav")
    path.write_bytes(data + b"x" * 10 if change == "grew" else data[:-10])
    request = AudioRequest(model="gemini-2.5-pro", audio_url=media)
    # A server of its own: the cut request is still being read when the test ends, and must not
    # land in the next test's counters.
    with serve_in_thread() as server:
        settings = {"api_key": server.api_key, "base_url": server.base_url}
        with pytest.raises(OSError, match="changed while it was being sent") as info:
            if kind == "sync":
                with FoxAPIClient(**settings) as client:
                    client.generate(request)
            else:
                asyncio.run(_agenerate(settings, request))
    assert "a.wav" in str(info.value) and "send it again" in str(info.value)
    assert server.emulator.counters.submits == 0 and not server.emulator.tasks


async def _agenerate(settings: dict[str, Any], request: AudioRequest) -> Any:
    async with AsyncFoxAPIClient(**settings) as client:
        return await client.generate(request)


def test_inline_media_is_checked_before_sending(
    generate: Any, foxapi_emulator: RunningEmulator
) -> None:
    flac = InlineMedia(b"fLaC\x00\x00\x00\x22" + bytes(100), "audio/flac")
    with pytest.raises(RequestValidationError, match="wav, mp3") as info:
        generate(AudioRequest(model="nemotron-3-nano-omni", audio_url=flac))
    assert info.value.field == "audio_url" and "gemini-2.5-pro" in str(info.value)
    big = InlineMedia(bytes(16_000_000), "audio/wav")  # 21.3 MB once base64-encoded
    with pytest.raises(RequestValidationError, match="over the 20 MB limit"):
        generate(AudioRequest(model="gemini-2.5-pro", audio_url=big))
    empty = InlineMedia(b"", "audio/wav")
    with pytest.raises(RequestValidationError, match="empty payload"):
        generate(AudioRequest(model="gemini-2.5-pro", audio_url=empty))
    assert foxapi_emulator.emulator.counters.submit_attempts == 0
