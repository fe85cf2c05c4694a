"""``ChunkStream.on_event``: the text-only fast path builds exactly the message of the general
path, and every other delta (reasoning, tool calls, empty) still takes the general one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import tool_call_chunk

from foxapi_core import ChunkEvent
from foxapi_core._wire import ChatCompletionChunk
from langchain_foxapi._stream import ChunkStream


def _event(delta: dict[str, Any], index: int = 0, finish: str | None = None) -> ChunkEvent:
    data = json.dumps(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "kimi-k2.6",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )
    return ChunkEvent("task-1", index, data, ChatCompletionChunk.model_validate_json(data))


@pytest.mark.parametrize("v1", [False, True])
def test_a_text_chunk_is_the_general_paths_message(v1: bool) -> None:
    acc = ChunkStream(model="kimi-k2.6", thinking=True, stream_usage=True, v1=v1)
    out = acc.on_event(_event({"role": "assistant", "content": "fox "}, finish="stop"))
    assert out is not None
    expected = AIMessageChunk(
        content="fox ",
        additional_kwargs={},
        tool_call_chunks=[],
        response_metadata={"model_provider": "foxapi"},
    )
    assert out.message == expected
    assert out.message.model_dump() == expected.model_dump()
    assert acc.finish_reason == "stop"  # read on the fast path too
    assert acc.model_name == "kimi-k2.6"


def test_reasoning_and_tool_calls_take_the_general_path() -> None:
    acc = ChunkStream(model="kimi-k2.6", thinking=True, stream_usage=True, v1=True)
    thought = acc.on_event(_event({"reasoning_content": "hmm", "content": "a"}))
    assert thought is not None
    assert thought.message.additional_kwargs == {"reasoning_content": "hmm"}
    assert thought.message.content == "a"
    call = acc.on_event(
        _event(
            {
                "content": "b",
                "tool_calls": [
                    {"index": 0, "id": "t1", "type": "function", "function": {"name": "f"}}
                ],
            }
        )
    )
    assert call is not None
    # v1: the tool index moves past the two content runs before it (reasoning, then text)
    assert call.message.tool_call_chunks == [tool_call_chunk(name="f", args=None, id="t1", index=2)]
    assert acc.on_event(_event({})) is None
