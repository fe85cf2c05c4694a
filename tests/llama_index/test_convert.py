"""Conversions and the stream accumulator, without a server; and media sent to the emulator."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from conftest import MakeLLM
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    CitableBlock,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from foxapi_core import ChatCompletionChunk, ChunkEvent, RequestValidationError
from foxapi_core.emulator import RunningEmulator
from llama_index_foxapi._convert import to_openai_messages
from llama_index_foxapi._stream import StreamAccumulator

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
WAV = (
    b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00D\xac\x00\x00\x88X\x01\x00"
    b"\x02\x00\x10\x00data\x00\x00\x00\x00"
)


def event(index: int, **delta: Any) -> ChunkEvent:
    chunk = ChatCompletionChunk.model_validate(
        {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    )
    return ChunkEvent("task-1", index, chunk.model_dump_json(), chunk)


def test_accumulator_takes_every_tool_fragment_of_a_chunk() -> None:
    acc = StreamAccumulator()
    acc.add(event(0, reasoning_content="Two tools. "))
    both = acc.add(
        event(
            1,
            tool_calls=[
                {"index": 0, "id": "c0", "function": {"name": "multiply", "arguments": '{"a": 2'}},
                {"index": 1, "id": "c1", "function": {"name": "add", "arguments": '{"a": 1'}},
            ],
        )
    )
    assert [type(b) for b in both.message.blocks] == [
        ThinkingBlock,
        TextBlock,
        ToolCallBlock,
        ToolCallBlock,
    ]
    last = acc.add(
        event(
            2,
            tool_calls=[
                {"index": 1, "function": {"arguments": ', "b": 2}'}},
                {"index": 0, "function": {"arguments": ', "b": 3}'}},
            ],
        )
    )
    calls = [b for b in last.message.blocks if isinstance(b, ToolCallBlock)]
    assert [(c.tool_call_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("c0", "multiply", '{"a": 2, "b": 3}'),
        ("c1", "add", '{"a": 1, "b": 2}'),
    ]
    assert last.delta == "" and "thinking_delta" not in last.additional_kwargs


def test_accumulator_content_and_thinking_deltas() -> None:
    acc = StreamAccumulator()
    first = acc.add(event(0, reasoning_content="Hmm. "))
    second = acc.add(event(1, content="Hel"))
    third = acc.add(event(2, content="lo"))
    assert first.additional_kwargs == {"thinking_delta": "Hmm. "} and first.delta == ""
    assert (second.delta, third.delta) == ("Hel", "lo")
    assert third.message.content == "Hello"
    assert third.message.blocks[0] == ThinkingBlock(content="Hmm. ")


def test_media_blocks_become_standard_blocks() -> None:
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="Look"),
            ImageBlock(image=PNG),
            ImageBlock(url="https://example.test/cat.png"),
            AudioBlock(audio=WAV, format="wav"),
            VideoBlock(url="https://example.test/clip.mp4"),
            DocumentBlock(data=b"%PDF-1.4 tiny", title="doc.pdf"),
        ],
    )
    [wire] = to_openai_messages([message])
    text, image, image_url, audio, video, document = wire["content"]
    assert text == {"type": "text", "text": "Look"}
    assert image["type"] == "image" and base64.b64decode(image["base64"]) == PNG
    assert image["mime_type"] == "image/png"
    assert image_url == {"type": "image", "url": "https://example.test/cat.png"}
    assert audio["type"] == "audio" and base64.b64decode(audio["base64"]) == WAV
    assert audio["mime_type"] == "wav"
    assert video == {"type": "video", "url": "https://example.test/clip.mp4"}
    assert document["type"] == "file" and base64.b64decode(document["base64"]) == b"%PDF-1.4 tiny"
    assert document["filename"] == "doc.pdf"


def test_roles_and_tool_messages() -> None:
    wire = to_openai_messages(
        [
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(role="chatbot", content="Hi"),
            ChatMessage(role="tool", content="6", additional_kwargs={"tool_call_id": "c1"}),
        ]
    )
    assert wire == [
        {"role": "system", "content": "Be brief."},
        {"role": "assistant", "content": "Hi"},
        {"role": "tool", "tool_call_id": "c1", "content": "6"},
    ]


def test_unknown_blocks_are_refused() -> None:
    message = ChatMessage(
        role="user", blocks=[CitableBlock(content=[TextBlock(text="x")], title="t", source="s")]
    )
    with pytest.raises(RequestValidationError, match="CitableBlock") as info:
        to_openai_messages([message])
    assert not isinstance(info.value, TypeError)  # the synthesizers would swallow a TypeError


def test_image_and_document_reach_the_emulator(make_llm: MakeLLM, emu: RunningEmulator) -> None:
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="Describe"),
            ImageBlock(image=PNG),
            DocumentBlock(data=b"%PDF-1.4 tiny", title="doc.pdf"),
        ],
    )
    text = make_llm("claude-sonnet-4-6").chat([message]).message.content or ""
    assert "I see 1 image." in text and "I read 1 file." in text
    content = next(iter(emu.emulator.tasks.values())).request["messages"][0]["content"]
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert content[2]["file_url"]["url"].startswith("data:application/pdf;base64,")


def test_video_to_gemini_and_refused_for_kimi(make_llm: MakeLLM, emu: RunningEmulator) -> None:
    message = ChatMessage(
        role="user",
        blocks=[TextBlock(text="Summarise"), VideoBlock(url="https://example.test/clip.mp4")],
    )
    assert "I watched 1 video." in (make_llm().chat([message]).message.content or "")
    with pytest.raises(RequestValidationError, match="VideoBlock"):
        make_llm("kimi-k2.6").chat([message])
    assert emu.emulator.counters.submit_attempts == 1


def test_stream_cut_is_resumed_without_repeats(make_llm: MakeLLM, emu: RunningEmulator) -> None:
    llm = make_llm("kimi-k2.6")
    expected = llm.chat([ChatMessage(role="user", content="Name five rivers")])
    emu.emulator.faults.cut_stream(after_chunks=4)
    responses = list(llm.stream_chat([ChatMessage(role="user", content="Name five rivers")]))
    thinking = "".join(r.additional_kwargs.get("thinking_delta", "") for r in responses)
    assert "".join(r.delta or "" for r in responses) == expected.message.content
    assert thinking == expected.message.blocks[0].content  # type: ignore[union-attr]
    assert responses[-1].message == expected.message
