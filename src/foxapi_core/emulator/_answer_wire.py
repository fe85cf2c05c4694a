"""An emulated :class:`~._responder.Answer` on the wire: the OpenAI ``chat.completion`` dict, its
``chat.completion.chunk`` dicts and their bytes (with the final usage chunk when asked for).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ._responder import TOKEN, Answer, split_tokens

__all__ = [
    "chunk_count",
    "chunks",
    "completion",
    "encode",
    "encoded_chunks",
    "usage_chunk",
    "usage_dict",
    "wants_usage_chunk",
]

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_encode_str = _ENCODER.encode


def usage_dict(answer: Answer) -> dict[str, Any]:
    """OpenAI ``usage`` object of an answer (with ``completion_tokens_details`` if reasoning)."""
    usage: dict[str, Any] = {
        "prompt_tokens": answer.usage.prompt_tokens,
        "completion_tokens": answer.usage.completion_tokens,
        "total_tokens": answer.usage.total_tokens,
    }
    if answer.reasoning:
        usage["completion_tokens_details"] = {"reasoning_tokens": answer.usage.reasoning_tokens}
    return usage


def completion(
    answer: Answer,
    *,
    completion_id: str = "chatcmpl-emulator",
    created: int = 0,
    include_reasoning: bool = False,
) -> dict[str, Any]:
    """The OpenAI ``chat.completion`` dict of an answer.

    ``include_reasoning`` adds ``message.reasoning_content``; the task result never has it (doc
    section 4.3), the OpenAI-compatible ``/v1/chat/completions`` endpoint does.
    """
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None if answer.tool_calls else answer.content,
    }
    if include_reasoning and answer.reasoning:
        message["reasoning_content"] = answer.reasoning
    if answer.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in answer.tool_calls
        ]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": answer.model,
        "choices": [{"index": 0, "message": message, "finish_reason": answer.finish_reason}],
        "usage": usage_dict(answer),
    }


def _deltas(answer: Answer, chunk_size: int) -> Iterator[dict[str, Any]]:
    for piece in split_tokens(answer.reasoning, chunk_size):
        yield {"reasoning_content": piece}
    for piece in split_tokens(answer.content, chunk_size):
        yield {"content": piece}
    for index, call in enumerate(answer.tool_calls):
        # OpenAI streaming shape: the first fragment names the call, the next ones carry
        # argument pieces keyed by index only.
        yield {
            "tool_calls": [
                {
                    "index": index,
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": ""},
                }
            ]
        }
        for piece in split_tokens(call.arguments, chunk_size):
            yield {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}


def chunks(
    answer: Answer,
    *,
    chunk_size: int = 3,
    completion_id: str = "chatcmpl-emulator",
    created: int = 0,
) -> list[dict[str, Any]]:
    """The answer as OpenAI ``chat.completion.chunk`` dicts.

    Reasoning pieces first (``delta.reasoning_content``), then content pieces of ``chunk_size``
    words, then tool-call fragments; the first delta carries ``role``, the last chunk has an empty
    delta and the finish reason. No usage (doc section 10: none in the stream by default).
    """
    deltas = list(_deltas(answer, chunk_size)) or [{"content": ""}]
    deltas[0] = {"role": "assistant", **deltas[0]}
    head = {"id": completion_id, "object": "chat.completion.chunk", "created": created}
    out = [
        {
            **head,
            "model": answer.model,
            "choices": [{"index": 0, "delta": d, "finish_reason": None}],
        }
        for d in deltas
    ]
    out.append(
        {
            **head,
            "model": answer.model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": answer.finish_reason}],
        }
    )
    return out


def chunk_count(answer: Answer, chunk_size: int = 3) -> int:
    """``len(chunks(answer, chunk_size=chunk_size))``, without building a chunk.

    A task needs its chunk count for its timeline on every request (status, ``finished_at``),
    while the chunks themselves are only needed when someone streams it.
    """
    step = max(1, chunk_size)

    def pieces(text: str) -> int:
        return -(-max(1, len(TOKEN.findall(text))) // step) if text else 0

    deltas = pieces(answer.reasoning) + pieces(answer.content)
    deltas += sum(1 + pieces(call.arguments) for call in answer.tool_calls)
    return max(1, deltas) + 1


def encoded_chunks(
    answer: Answer,
    *,
    chunk_size: int = 3,
    completion_id: str = "chatcmpl-emulator",
    created: int = 0,
) -> list[bytes]:
    """``[encode(c) for c in chunks(answer, ...)]``, byte for byte, at a fraction of the cost.

    Every chunk of an answer shares everything but its delta (and the last one's finish reason),
    so the shared JSON is encoded once and only the deltas per chunk. Long answers (2,000 chunks
    in the streaming benchmarks) are serialized by the emulator on the same cores as the client.
    """
    head = (
        '{"id":'
        + _encode_str(completion_id)
        + ',"object":"chat.completion.chunk","created":'
        + _encode_str(created)
        + ',"model":'
        + _encode_str(answer.model)
        + ',"choices":[{"index":0,"delta":'
    )
    tail = ',"finish_reason":null}]}'
    deltas = list(_deltas(answer, chunk_size)) or [{"content": ""}]
    deltas[0] = {"role": "assistant", **deltas[0]}
    out = []
    for delta in deltas:
        if len(delta) == 1 and "content" in delta:
            # The common delta, assembled as json.dumps would write it.
            text = '{"content":' + _encode_str(delta["content"]) + "}"
        else:
            text = _encode_str(delta)
        out.append((head + text + tail).encode("utf-8"))
    last = head + '{},"finish_reason":' + _encode_str(answer.finish_reason) + "}]}"
    out.append(last.encode("utf-8"))
    return out


def wants_usage_chunk(body: Mapping[str, Any]) -> bool:
    """Whether a streamed request asked for OpenAI's final usage chunk
    (``stream_options: {"include_usage": true}``)."""
    options = body.get("stream_options")
    return isinstance(options, Mapping) and options.get("include_usage") is True


def usage_chunk(answer: Answer, *, completion_id: str, created: int) -> bytes:
    """OpenAI's last chunk of a stream asked for usage: empty ``choices``, the ``usage``."""
    return encode(
        {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": answer.model,
            "choices": [],
            "usage": usage_dict(answer),
        }
    )


def encode(obj: Any) -> bytes:
    """Compact JSON bytes, as sent on the wire (serialize once, replay the bytes)."""
    return _encode_str(obj).encode("utf-8")
