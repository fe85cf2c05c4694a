"""The shared audio layer: sources, format detection, model checks, splitting, ids, batches.

Everything runs against the emulator on a loopback socket; audio fixtures are generated here
(WAV with ``wave``; MP3/FLAC/OGG/... as magic-byte headers, enough for detection).
"""

from __future__ import annotations

import asyncio
import importlib
import io
import itertools
import logging
import wave
from pathlib import Path
from typing import Any

import pytest

from foxapi_core import RequestValidationError
from foxapi_core._audio import (
    AudioJob,
    AudioOptions,
    AudioSource,
    FoxAPIAudio,
    NamedAudio,
    build_request,
    build_video_request,
    confine_path,
    plan_jobs,
    progress_bar,
)
from foxapi_core._inline_media import InlineMedia
from foxapi_core._media import data_uri_from_bytes
from foxapi_core.emulator import RunningEmulator
from foxapi_core.emulator._responder import _transcription

RATE = 8000
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + bytes(200)
MP3_FRAME = b"\xff\xfb\x90\x00" + bytes(200)
FLAC = b"fLaC\x00\x00\x00\x22" + bytes(200)
OGG = b"OggS\x00\x02" + bytes(200)
AIFF = b"FORM\x00\x00\x01\x00AIFFCOMM" + bytes(200)
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + bytes(200)
AAC = b"\xff\xf1\x50\x80" + bytes(200)


def wav_bytes(seconds: float, *, rate: int = RATE, tone: int = 1) -> bytes:
    """A mono 16-bit PCM WAV; ``tone`` varies the samples so files differ."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(tone.to_bytes(2, "little", signed=True) * int(seconds * rate))
    return buf.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def helper(emu: RunningEmulator, **kwargs: Any) -> FoxAPIAudio:
    return FoxAPIAudio(api_key=emu.api_key, base_url=emu.base_url, **kwargs)


def expected_transcript(data: bytes, mime: str = "audio/wav") -> str:
    """The emulator's transcription is a hash of the data URI: equal text = same bytes arrived."""
    return "Transcription: " + _transcription(data_uri_from_bytes(data, mime))


# --- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (wav_bytes(0.1), "wav"),
        (MP3, "mp3"),
        (MP3_FRAME, "mp3"),
        (FLAC, "flac"),
        (OGG, "ogg"),
        (AIFF, "aiff"),
        (M4A, "m4a"),
        (AAC, "aac"),
    ],
)
def test_format_is_detected_by_content(data: bytes, fmt: str) -> None:
    source = AudioSource.from_input(data)
    assert (source.format, source.kind, source.size_bytes) == (fmt, "bytes", len(data))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.wav", b"Meeting notes: nothing to hear here.\n" * 20),  # a text file
        ("voice.mp3", bytes(range(7, 256)) * 8),  # random-looking bytes, no MPEG frame
        ("voice.ogg", b"no magic here" * 10),
    ],
)
def test_content_that_is_not_the_named_format_is_refused(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(RequestValidationError) as err:
        AudioSource.from_input(path)
    claimed = name.rsplit(".", 1)[1].upper()
    assert f"its content is not {claimed} audio" in str(err.value)
    assert "strict_format=False" in (err.value.fix or "")


def test_extension_is_the_fallback_only_when_asked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "voice.ogg", b"no magic here" * 10)
    assert AudioSource.from_input(path, strict_format=False).format == "ogg"
    assert "strict_format=False" in caplog.text


def test_text_file_named_wav_is_never_uploaded(
    tmp_path: Path, foxapi_emulator: RunningEmulator
) -> None:
    path = write(tmp_path / "notes.wav", b"just text\n" * 50)
    with pytest.raises(RequestValidationError):
        helper(foxapi_emulator).transcribe(path)
    assert foxapi_emulator.emulator.counters.requests == 0


def test_extension_content_mismatch_is_refused_or_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "call.mp3", wav_bytes(0.1))
    with pytest.raises(RequestValidationError) as err:
        AudioSource.from_input(path)
    assert "WAV by its content" in str(err.value) and "MP3" in str(err.value)
    assert "strict_format=False" in (err.value.fix or "")
    with caplog.at_level(logging.WARNING, logger="foxapi"):
        assert AudioSource.from_input(path, strict_format=False).format == "wav"
    assert "looks like WAV" in caplog.text


def test_wav_duration_is_known(tmp_path: Path) -> None:
    source = AudioSource.from_input(write(tmp_path / "a.wav", wav_bytes(2.5)))
    assert source.duration_s == pytest.approx(2.5)
    assert source.mime_type == "audio/wav"


# --- bad inputs ----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RequestValidationError, match="No such audio file"):
        AudioSource.from_input(tmp_path / "nope.wav")


def test_empty_file_and_empty_bytes(tmp_path: Path) -> None:
    with pytest.raises(RequestValidationError, match="empty"):
        AudioSource.from_input(write(tmp_path / "empty.wav", b""))
    with pytest.raises(RequestValidationError, match="empty"):
        AudioSource.from_input(b"")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(RequestValidationError, match="is a directory") as err:
        AudioSource.from_input(tmp_path)
    assert "directory loader" in (err.value.fix or "")


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(RequestValidationError, match="Unknown audio format") as err:
        AudioSource.from_input(write(tmp_path / "notes.txt", b"hello world"))
    assert "WAV, MP3" in (err.value.fix or "")


@pytest.mark.parametrize(
    "url", ["ftp://example.com/a.mp3", "file:///tmp/a.wav", "data:audio/wav;base64,AAAA"]
)
def test_url_that_is_not_http(url: str) -> None:
    with pytest.raises(RequestValidationError, match="only http"):
        AudioSource.from_input(url)


def test_text_file_object_is_refused() -> None:
    with pytest.raises(RequestValidationError, match="binary mode"):
        AudioSource.from_input(io.StringIO("abc"))  # type: ignore[arg-type]


def test_unknown_model_and_model_without_audio() -> None:
    source = AudioSource.from_input(wav_bytes(0.1))
    for model in ("whisper-9", "gpt-5.5"):
        with pytest.raises(RequestValidationError) as err:
            plan_jobs(source, AudioOptions(model=model))
        assert "gemini-2.5-pro" in (err.value.fix or "")


# --- acceptance: checks before upload ------------------------------------------------------


def test_flac_to_nemotron_is_refused_before_upload(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write(tmp_path / "call.flac", FLAC)
    audio = helper(foxapi_emulator, model="nemotron-3-nano-omni")
    with pytest.raises(RequestValidationError) as err:
        audio.transcribe(path)
    text = f"{err.value} {err.value.fix}"
    assert "FLAC" in text and "WAV and MP3" in text and "gemini-2.5-pro" in text
    assert foxapi_emulator.emulator.counters.requests == 0


@pytest.fixture
def big_wav(tmp_path: Path) -> Path:
    """16 MB of WAV (its base64 body is over gemini-2.5-pro's 20 MB): 500 s at 16 kHz."""
    path = tmp_path / "long.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        for second in range(500):
            w.writeframes((second % 100).to_bytes(2, "little") * 16000)
    assert path.stat().st_size > 16_000_000
    return path


def test_16mb_wav_is_refused_without_split(foxapi_emulator: RunningEmulator, big_wav: Path) -> None:
    with pytest.raises(RequestValidationError) as err:
        helper(foxapi_emulator).transcribe(big_wav)
    message, fix = str(err.value), err.value.fix or ""
    assert "15.3 MiB of WAV" in message and "20 MiB (20,971,520 bytes) limit" in message
    assert "http(s) URL" in fix and "split=True" in fix and "nemotron-3-nano-omni" in fix
    assert foxapi_emulator.emulator.counters.requests == 0


def test_16mb_wav_is_split_into_segments(foxapi_emulator: RunningEmulator, big_wav: Path) -> None:
    audio = helper(foxapi_emulator, split=True, prompt="What is said?")
    results = list(audio.iter_results([big_wav]))
    assert len(results) >= 2
    assert [r.metadata["segment"] for r in results] == list(range(len(results)))
    assert results[0].metadata["start_s"] == 0.0
    for before, after in itertools.pairwise(results):
        assert before.metadata["end_s"] == after.metadata["start_s"]
    assert results[-1].metadata["end_s"] == pytest.approx(500.0)
    assert all(r.metadata["duration_s"] == pytest.approx(500.0) for r in results)
    # Each segment is a whole WAV of its own duration (44-byte header + 2 bytes per frame),
    # and the emulator saw exactly those bytes.
    for r in results:
        seconds = r.metadata["end_s"] - r.metadata["start_s"]
        assert f"({44 + round(seconds * 16000) * 2} bytes)" in r.text
    assert foxapi_emulator.emulator.counters.submits == len(results)
    assert len({r.id for r in results}) == len(results)


# --- requests, metadata, ids ---------------------------------------------------------------


def test_path_is_sent_as_a_wav_data_uri(
    foxapi_emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def whole_uri(self: InlineMedia) -> str:
        raise AssertionError("a local file must be streamed, never built as one string")

    monkeypatch.setattr(InlineMedia, "to_data_uri", whole_uri)
    data = wav_bytes(1.0, tone=7)
    path = write(tmp_path / "a.wav", data)
    result = next(helper(foxapi_emulator, model="nemotron-3-nano-omni").iter_results([path]))
    assert result.text == expected_transcript(data)
    assert result.metadata == {
        "source": str(path),
        "model": "nemotron-3-nano-omni",
        "mime_type": "audio/wav",
        "size_bytes": len(data),
        "duration_s": 1.0,
    }
    # The task id is on the result, not in the metadata (which frameworks hash).
    assert result.task_id is not None and result.task_id.startswith("task-")
    (task,) = foxapi_emulator.emulator.tasks.values()
    assert task.id == result.task_id
    assert task.request["audio_url"] == data_uri_from_bytes(data, "audio/wav")
    assert "prompt" not in task.request


def test_url_is_passed_as_is(foxapi_emulator: RunningEmulator) -> None:
    url = "https://example.com/calls/a.mp3?sig=1"
    result = next(helper(foxapi_emulator).iter_results([url]))
    (task,) = foxapi_emulator.emulator.tasks.values()
    assert task.request["audio_url"] == url
    assert result.metadata["source"] == url and result.metadata["mime_type"] == "audio/mpeg"
    assert "size_bytes" not in result.metadata
    assert result.text == "Transcription: " + _transcription(url)


def test_mp3_url_to_nemotron_is_fine_but_flac_url_is_not() -> None:
    options = AudioOptions(model="nemotron-3-nano-omni")
    assert plan_jobs(AudioSource.from_input("https://x.test/a.mp3"), options)
    with pytest.raises(RequestValidationError, match="FLAC"):
        plan_jobs(AudioSource.from_input("https://x.test/a.flac"), options)


def test_ids_are_deterministic(tmp_path: Path) -> None:
    data = wav_bytes(0.5)
    path = write(tmp_path / "a.wav", data)
    from foxapi_core._audio import document_id

    def doc_id(item: Any, **opts: Any) -> str:
        options = AudioOptions(**opts)
        return document_id(AudioJob(AudioSource.from_input(item)), options)

    assert doc_id(path) == doc_id(data) == doc_id(NamedAudio(data, "other.wav"))
    assert doc_id(path) != doc_id(path, prompt="Who speaks?")
    assert doc_id(path) != doc_id(path, model="nemotron-3-nano-omni")
    assert doc_id(path) != doc_id(wav_bytes(0.5, tone=2))
    assert doc_id("https://x.test/a.wav") != doc_id("https://x.test/b.wav")


def test_prompt_is_in_metadata_only_when_not_default(foxapi_emulator: RunningEmulator) -> None:
    audio = helper(foxapi_emulator)
    (asked,) = audio.iter_results([wav_bytes(0.2)], prompt="Who speaks?")
    assert asked.metadata["prompt"] == "Who speaks?"
    assert "You said: Who speaks?" in asked.text
    (default,) = audio.iter_results([wav_bytes(0.2)], prompt="Please transcribe this audio file")
    assert "prompt" not in default.metadata


def test_max_segment_s_splits_wav(foxapi_emulator: RunningEmulator) -> None:
    audio = helper(foxapi_emulator, max_segment_s=1.0)
    results = list(audio.iter_results([NamedAudio(wav_bytes(2.5), "a.wav")]))
    spans = [(r.metadata["start_s"], r.metadata["end_s"]) for r in results]
    assert spans == [(0.0, 1.0), (1.0, 2.0), (2.0, 2.5)]
    again = list(audio.iter_results([NamedAudio(wav_bytes(2.5), "a.wav")]))
    assert [r.id for r in again] == [r.id for r in results]
    assert audio.transcribe(NamedAudio(wav_bytes(2.5), "a.wav")).startswith("[0.0s-1.0s] ")


def test_on_segment_reports_progress_inside_one_long_recording(
    foxapi_emulator: RunningEmulator,
) -> None:
    """A split source reports each segment as it ends (sync: from the worker; async: on the
    loop), so one long file is not silent; an unsplit source reports nothing extra."""
    audio = helper(foxapi_emulator, max_segment_s=1.0)
    seen: list[tuple[float, int, int]] = []

    def on_segment(result: Any, done: int, total: int) -> None:
        seen.append((result.metadata["start_s"], done, total))

    list(audio.iter_results([NamedAudio(wav_bytes(2.5), "a.wav")], on_segment=on_segment))
    assert [(d, t) for _, d, t in seen] == [(1, 3), (2, 3), (3, 3)]
    assert [s for s, _, _ in seen] == [0.0, 1.0, 2.0]  # sequential in a sync worker

    async def run() -> list[Any]:
        return [
            r
            async for r in audio.aiter_results(
                [NamedAudio(wav_bytes(2.5), "b.wav")], on_segment=on_segment
            )
        ]

    seen.clear()
    asyncio.run(run())
    assert sorted(d for _, d, _ in seen) == [1, 2, 3] and {t for _, _, t in seen} == {3}
    assert sorted(s for s, _, _ in seen) == [0.0, 1.0, 2.0]
    seen.clear()
    list(audio.iter_results([NamedAudio(wav_bytes(0.5), "c.wav")], on_segment=on_segment))
    assert seen == []


# --- non-WAV splitting ---------------------------------------------------------------------


def test_flac_splits_with_soundfile(foxapi_emulator: RunningEmulator, tmp_path: Path) -> None:
    sf = importlib.import_module("soundfile")
    np = importlib.import_module("numpy")
    path = tmp_path / "a.flac"
    sf.write(str(path), np.linspace(-0.5, 0.5, 3 * RATE, dtype="float32"), RATE, format="FLAC")
    audio = helper(foxapi_emulator, max_segment_s=1.0)
    results = list(audio.iter_results([path]))
    assert [(r.metadata["start_s"], r.metadata["end_s"]) for r in results] == [
        (0.0, 1.0),
        (1.0, 2.0),
        (2.0, 3.0),
    ]
    assert {r.metadata["mime_type"] for r in results} == {"audio/flac"}
    assert results[0].metadata["duration_s"] == pytest.approx(3.0)
    bodies = [t.request["audio_url"] for t in foxapi_emulator.emulator.tasks.values()]
    assert all(b.startswith("data:audio/flac;base64,") for b in bodies)


def test_non_wav_split_without_decoder_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.import_module

    def no_soundfile(name: str, package: str | None = None) -> Any:
        if name == "soundfile":
            raise ImportError("no soundfile")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_soundfile)
    source = AudioSource.from_input(write(tmp_path / "a.flac", FLAC))
    with pytest.raises(RequestValidationError, match="soundfile") as err:
        plan_jobs(source, AudioOptions(max_segment_s=10))
    assert "pip install soundfile" in (err.value.fix or "")


def test_m4a_split_is_explained(tmp_path: Path) -> None:
    source = AudioSource.from_input(write(tmp_path / "a.m4a", M4A))
    with pytest.raises(RequestValidationError, match="M4A") as err:
        plan_jobs(source, AudioOptions(max_segment_s=10))
    assert "ffmpeg" in (err.value.fix or "") and "URL" in (err.value.fix or "")


# --- errors: raise or record ----------------------------------------------------------------


def test_on_error_record_keeps_order(foxapi_emulator: RunningEmulator, tmp_path: Path) -> None:
    good = write(tmp_path / "a.wav", wav_bytes(0.2))
    sources = [good, tmp_path / "missing.wav", good]
    results = list(helper(foxapi_emulator, on_error="record").iter_results(sources))
    assert [r.error is None for r in results] == [True, False, True]
    bad = results[1]
    assert bad.text == "" and bad.metadata["error_type"] == "RequestValidationError"
    assert "No such audio file" in bad.metadata["error"]
    assert bad.metadata["source"] == str(tmp_path / "missing.wav")
    with pytest.raises(RequestValidationError):
        list(helper(foxapi_emulator).iter_results(sources))


async def test_server_error_is_recorded(foxapi_emulator: RunningEmulator) -> None:
    foxapi_emulator.emulator.config.validate = True
    audio = helper(foxapi_emulator, on_error="record", max_tokens=0)  # invalid: max_tokens >= 1
    results = [r async for r in audio.aiter_results([wav_bytes(0.1)])]
    assert results[0].error is not None and "max_tokens" in results[0].metadata["error"]


# --- concurrency -----------------------------------------------------------------------------


class CountingAudio(FoxAPIAudio):
    """Counts requests in flight on the client side."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = self.peak = 0

    async def _agenerate(self, job: Any, options: Any) -> Any:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await super()._agenerate(job, options)
        finally:
            self.in_flight -= 1


def max_overlap(emu: RunningEmulator) -> int:
    """Most tasks alive at once on the emulator's own timeline (submit to finish)."""
    events = []
    for task in emu.emulator.tasks.values():
        events += [(task.submitted_at, 1), (task.finished_at, -1)]
    alive = peak = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        alive += step
        peak = max(peak, alive)
    return peak


async def test_batch_of_50_is_ordered_and_bounded(foxapi_emulator: RunningEmulator) -> None:
    foxapi_emulator.emulator.config.processing_delay = 0.05  # so that tasks overlap
    audio = CountingAudio(
        api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url, max_concurrency=8
    )
    sources = [NamedAudio(wav_bytes(0.05, tone=i), f"f{i:02}.wav") for i in range(50)]
    progress: list[tuple[int, int | None]] = []
    results = [
        r
        async for r in audio.aiter_results(
            sources, on_progress=lambda d, t: progress.append((d, t))
        )
    ]
    assert [r.metadata["source"] for r in results] == [f"f{i:02}.wav" for i in range(50)]
    assert [r.text for r in results] == [expected_transcript(s.audio) for s in sources]  # type: ignore[arg-type]
    assert 1 < audio.peak <= 8
    assert max_overlap(foxapi_emulator) <= 8
    assert progress[-1] == (50, 50) and len(progress) == 50
    await audio.aclose()


async def test_bound_holds_across_concurrent_calls(foxapi_emulator: RunningEmulator) -> None:
    foxapi_emulator.emulator.config.processing_delay = 0.05
    audio = CountingAudio(
        api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url, max_concurrency=3
    )

    async def one(i: int) -> list[Any]:
        return [r async for r in audio.aiter_results([wav_bytes(0.05, tone=i)])]

    results = await asyncio.gather(*(one(i) for i in range(12)))
    assert len(results) == 12 and audio.peak <= 3


def test_sync_batch_is_ordered(foxapi_emulator: RunningEmulator) -> None:
    sources = [NamedAudio(wav_bytes(0.05, tone=i), f"s{i}.wav") for i in range(12)]
    results = list(helper(foxapi_emulator, max_concurrency=4).iter_results(sources))
    assert [r.metadata["source"] for r in results] == [f"s{i}.wav" for i in range(12)]


# --- small helpers ---------------------------------------------------------------------------


def test_build_request_carries_the_options() -> None:
    options = AudioOptions(prompt="Q?", system_prompt="S", reasoning=True, temperature=0.2)
    (job,) = plan_jobs(AudioSource.from_input(MP3), options)
    body = build_request(job, options).to_body()
    assert body["audio_url"].to_data_uri() == data_uri_from_bytes(MP3, "audio/mpeg")
    assert (body["prompt"], body["system_prompt"], body["reasoning"]) == ("Q?", "S", True)


def test_video_request(tmp_path: Path) -> None:
    shorts = build_video_request("https://youtube.com/shorts/abc123", "What?")
    assert shorts.video_urls == ["https://www.youtube.com/watch?v=abc123"]
    clip = write(tmp_path / "clip.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(100))
    (inline,) = build_video_request(clip, "What?").video_urls
    assert isinstance(inline, InlineMedia) and inline.path == clip
    assert inline.to_data_uri() == data_uri_from_bytes(clip.read_bytes(), "video/mp4")
    with pytest.raises(RequestValidationError):
        build_video_request(tmp_path / "missing.mp4", "What?")
    with pytest.raises(RequestValidationError):
        build_video_request("https://x.test/v.mp4", "What?", model="gpt-5.5")


def test_confine_path(tmp_path: Path) -> None:
    inside = write(tmp_path / "a.wav", wav_bytes(0.1))
    assert confine_path("a.wav", tmp_path) == str(inside)
    assert confine_path("https://x.test/a.wav", tmp_path) == "https://x.test/a.wav"
    with pytest.raises(RequestValidationError, match="outside"):
        confine_path("../etc/passwd", tmp_path)


def test_progress_bar() -> None:
    with progress_bar(False, 3, "x") as callback:
        assert callback is None
    with progress_bar(True, 3, "x") as callback:
        assert callback is not None
        callback(2, 3)


async def test_async_raise_mode_raises_in_order(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    good = write(tmp_path / "a.wav", wav_bytes(0.1))
    seen: list[str] = []
    with pytest.raises(RequestValidationError, match="No such audio file"):
        async for result in helper(foxapi_emulator).aiter_results([good, tmp_path / "x.wav"]):
            seen.append(result.metadata["source"])
    assert seen == [str(good)]  # results before the failure were delivered, in order


def test_sync_bound_holds_across_threads(foxapi_emulator: RunningEmulator) -> None:
    foxapi_emulator.emulator.config.processing_delay = 0.05
    audio = helper(foxapi_emulator, max_concurrency=2)
    sources = [wav_bytes(0.05, tone=i) for i in range(8)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:  # four callers share one helper
        outs = list(pool.map(lambda s: audio.transcribe(s), sources))
    assert outs == [expected_transcript(s) for s in sources]
    assert max_overlap(foxapi_emulator) <= 2
