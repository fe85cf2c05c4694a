"""Wire models: shapes of the documented examples, unknown fields kept, request bodies."""

from __future__ import annotations

import pickle

from foxapi_core import (
    AudioRequest,
    ChatCompletionChunk,
    ChunkAssembler,
    FoxAPIError,
    MessagesRequest,
    RateLimitError,
    Task,
    TextRequest,
)

TASK = (
    '{"id": "task-llmrouter-1776874481-rj6bs3yb", "object": "llm.generation.task", "type": "llm",'
    ' "model": "claude-opus-4-7", "status": "pending", "progress": 0, "created": 1776874481,'
    ' "stream": null, "results": null, "error": null, "brand_new_field": {"x": 1}}'
)


def test_documented_task_parses_and_keeps_unknown_fields() -> None:
    task = Task.model_validate_json(TASK)
    assert task.status == "pending" and not task.is_terminal
    assert task.model_extra == {"brand_new_field": {"x": 1}}
    assert '"brand_new_field"' in task.model_dump_json()


def test_request_bodies_carry_only_what_was_set() -> None:
    assert TextRequest(model="gemini-2.5-pro", prompt="hi").to_body(stream=True) == {
        "model": "gemini-2.5-pro",
        "prompt": "hi",
        "stream": True,
    }
    assert AudioRequest(model="gemini-2.5-pro", audio_url="https://e.test/a.wav").to_body(
        sync=True
    ) == {"model": "gemini-2.5-pro", "audio_url": "https://e.test/a.wav", "sync": True}
    body = MessagesRequest(
        model="gpt-5.5", messages=[{"role": "user", "content": "x"}], frequency_penalty=0.5
    ).to_body()
    assert body["frequency_penalty"] == 0.5  # OpenAI parameters pass through


def test_assembler_joins_tool_call_fragments_by_index() -> None:
    pieces = [
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "c0",
                    "type": "function",
                    "function": {"name": "add", "arguments": ""},
                }
            ]
        },
        {
            "tool_calls": [
                {
                    "index": 1,
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "mul", "arguments": '{"a"'},
                }
            ]
        },
        {
            "tool_calls": [
                {"index": 0, "function": {"arguments": '{"x": 1}'}},
                {"index": 1, "function": {"arguments": ": 2}"}},
            ]
        },
        {"reasoning_content": "because"},
    ]
    assembler = ChunkAssembler()
    for delta in pieces:
        assembler.add(ChatCompletionChunk.model_validate({"choices": [{"delta": delta}]}))
    assembler.add(
        ChatCompletionChunk.model_validate(
            {
                "choices": [{"delta": {}, "finish_reason": "tool_calls"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
            }
        )
    )
    completion = assembler.completion()
    calls = completion.message.tool_calls or []
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("c0", "add", '{"x": 1}'),
        ("c1", "mul", '{"a": 2}'),
    ]
    assert completion.message.content is None
    assert completion.reasoning == "because"
    assert completion.finish_reason == "tool_calls"
    assert completion.usage is not None and completion.usage.total_tokens == 3


def test_errors_pickle_with_their_fields() -> None:
    error = RateLimitError("slow down", status=429, task_id="t", request_id="r", retry_after=2.0)
    clone = pickle.loads(pickle.dumps(error))
    assert isinstance(clone, FoxAPIError)
    assert (clone.status, clone.task_id, clone.request_id, clone.retry_after) == (
        429,
        "t",
        "r",
        2.0,
    )
    assert str(clone) == str(error)
