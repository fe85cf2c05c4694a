"""Tests for ``foxapi_core._routing``: OpenAI chat-format conversations -> FoxAPI wire bodies."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from foxapi_core._catalog import DEFAULT_CATALOG, Catalog, detect_form
from foxapi_core._checks import check_body
from foxapi_core._errors import RequestValidationError
from foxapi_core._routing import build_body, to_foxapi_block

WAV_B64 = base64.b64encode(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00").decode()
MP3_B64 = base64.b64encode(b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 4).decode()
PNG_B64 = base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").decode()
WEBM_B64 = base64.b64encode(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01").decode()
PDF_B64 = base64.b64encode(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n").decode()
WAV_URI = f"data:audio/wav;base64,{WAV_B64}"
PNG_URI = f"data:image/png;base64,{PNG_B64}"
PDF_URI = f"data:application/pdf;base64,{PDF_B64}"
IMG = "https://example.com/cat.png"
IMG2 = "https://example.com/dog.jpg"
AUDIO = "https://example.com/talk.mp3"
VIDEO = "https://example.com/clip.mp4"
VIDEO2 = "https://example.com/clip2.webm"
MESSAGES_MODEL = "gemini-3-pro-preview"  # takes every block type on the messages form
PROMPT_MODELS = ("gemini-2.5-pro", "nemotron-3-nano-omni")


def user(content: Any) -> list[dict[str, Any]]:
    return [{"role": "user", "content": content}]


def text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


def blocks_of(body: dict[str, Any], i: int = 0) -> Any:
    return body["messages"][i]["content"]


def convert(block: dict[str, Any], model: str = MESSAGES_MODEL) -> dict[str, Any]:
    body = build_body(model, user([block]))
    result: dict[str, Any] = blocks_of(body)[0]
    return result


def fails(body: dict[str, Any], field_prefix: str, code: str) -> str:
    violations = check_body(body)
    assert violations, body
    match = [v for v in violations if v.field.startswith(field_prefix) and v.code == code]
    assert match, violations
    return f"{match[0].message} {match[0].fix}"


# ---- input blocks on the messages form --------------------------------------------------------


def test_string_content_stays_string() -> None:
    body = build_body("gpt-5.5", user("Hi"))
    assert body == {"model": "gpt-5.5", "messages": [{"role": "user", "content": "Hi"}]}
    assert detect_form(body) == "messages"
    assert check_body(body) == []


def test_text_blocks_stay_a_list_and_drop_extra_keys() -> None:
    body = build_body("gpt-5.5", user([{"type": "text", "text": "a", "id": "x"}, "b"]))
    assert blocks_of(body) == [text("a"), text("b")]
    assert check_body(body) == []


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image_url", "image_url": {"url": IMG, "detail": "high"}},
        {"type": "image_url", "image_url": IMG},
        {"type": "image", "url": IMG},
        {"type": "image", "source_type": "url", "url": IMG},
    ],
)
def test_image_blocks(block: dict[str, Any]) -> None:
    assert convert(block) == {"type": "image_url", "image_url": {"url": IMG}}


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
        {"type": "image", "source_type": "base64", "data": PNG_B64, "mime_type": "image/png"},
        {"type": "image", "base64": PNG_B64},  # mime sniffed from the bytes
        {"type": "image", "base64": PNG_URI},  # already a data URI: kept
    ],
)
def test_image_base64_blocks(block: dict[str, Any]) -> None:
    assert convert(block) == {"type": "image_url", "image_url": {"url": PNG_URI}}


def test_image_base64_without_mime_unrecognisable() -> None:
    with pytest.raises(RequestValidationError) as info:
        convert({"type": "image", "base64": "AAAAAAAA"})
    assert "mime_type" in str(info.value)


@pytest.mark.parametrize(
    ("fmt", "data", "mime"),
    [
        ("wav", WAV_B64, "audio/wav"),
        ("mp3", MP3_B64, "audio/mpeg"),
        ("mpeg", MP3_B64, "audio/mpeg"),  # what convert_to_openai_messages makes of audio/mpeg
        ("flac", WAV_B64, "audio/flac"),
        ("m4a", WAV_B64, "audio/mp4"),
        (None, WAV_B64, "audio/wav"),  # sniffed
        (None, MP3_B64, "audio/mpeg"),
    ],
)
def test_openai_input_audio(fmt: str | None, data: str, mime: str) -> None:
    inner: dict[str, Any] = {"data": data}
    if fmt is not None:
        inner["format"] = fmt
    block = convert({"type": "input_audio", "input_audio": inner})
    assert block == {"type": "audio_url", "audio_url": {"url": f"data:{mime};base64,{data}"}}


def test_input_audio_without_format_or_recognisable_bytes() -> None:
    with pytest.raises(RequestValidationError) as info:
        convert({"type": "input_audio", "input_audio": {"data": "AAAAAAAA"}})
    assert info.value.field == "messages[0].content[0]"


def test_input_audio_without_data() -> None:
    with pytest.raises(RequestValidationError) as info:
        convert({"type": "input_audio", "input_audio": {"format": "wav"}})
    assert info.value.field == "messages[0].content[0].input_audio.data"


@pytest.mark.parametrize(
    ("file", "url"),
    [
        ({"file_data": PDF_URI, "filename": "a.pdf"}, PDF_URI),
        ({"file_data": PDF_B64}, PDF_URI),
        ({"file_data": PDF_B64, "filename": "notes.txt"}, f"data:text/plain;base64,{PDF_B64}"),
        ({"file_data": "https://example.com/a.pdf"}, "https://example.com/a.pdf"),
    ],
)
def test_openai_file_blocks(file: dict[str, Any], url: str) -> None:
    assert convert({"type": "file", "file": file}) == {"type": "file_url", "file_url": {"url": url}}


@pytest.mark.parametrize(
    "block",
    [
        {"type": "file", "file": {"file_id": "file-abc"}},
        {"type": "file", "id": "file-abc"},  # convert_to_openai_messages' output for a file id
        {"type": "image", "id": "file-abc"},
        {"type": "audio", "file_id": "file-abc"},
        {"type": "video", "source_type": "id", "id": "file-abc"},
    ],
)
def test_file_ids_are_refused(block: dict[str, Any]) -> None:
    with pytest.raises(RequestValidationError) as info:
        build_body(MESSAGES_MODEL, [{"role": "user", "content": [text("x"), block]}])
    err = info.value
    assert err.field is not None and err.field.startswith("messages[0].content[1]")
    assert err.model == MESSAGES_MODEL
    assert err.fix is not None and "url" in err.fix and "base64" in err.fix


@pytest.mark.parametrize("kind", ["audio_url", "video_url", "file_url"])
def test_foxapi_blocks_pass_through(kind: str) -> None:
    url = "https://example.com/x"
    expected = {"type": kind, kind: {"url": url}}
    assert convert({"type": kind, kind: {"url": url}}) == expected
    assert convert({"type": kind, kind: url}) == expected


def test_foxapi_block_without_url() -> None:
    with pytest.raises(RequestValidationError) as info:
        convert({"type": "video_url", "video_url": {}})
    assert info.value.field == "messages[0].content[0].video_url"


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"type": "audio", "url": AUDIO}, {"type": "audio_url", "audio_url": {"url": AUDIO}}),
        (
            {"type": "audio", "base64": WAV_B64, "mime_type": "audio/x-wav"},  # canonical mime
            {"type": "audio_url", "audio_url": {"url": WAV_URI}},
        ),
        (
            {"type": "audio", "source_type": "base64", "data": WAV_B64, "mime_type": "audio/wav"},
            {"type": "audio_url", "audio_url": {"url": WAV_URI}},
        ),
        ({"type": "video", "url": VIDEO}, {"type": "video_url", "video_url": {"url": VIDEO}}),
        (
            {"type": "video", "base64": "AAAA", "mime_type": "video/webm"},
            {"type": "video_url", "video_url": {"url": "data:video/webm;base64,AAAA"}},
        ),
        (
            {"type": "video", "base64": "AAAA"},
            {"type": "video_url", "video_url": {"url": "data:video/mp4;base64,AAAA"}},
        ),
        (
            {"type": "video", "base64": WEBM_B64},  # sniffed
            {"type": "video_url", "video_url": {"url": f"data:video/webm;base64,{WEBM_B64}"}},
        ),
        (
            {"type": "file", "url": "https://example.com/a.pdf"},
            {"type": "file_url", "file_url": {"url": "https://example.com/a.pdf"}},
        ),
        (
            {"type": "file", "base64": PDF_B64, "mime_type": "application/pdf"},
            {"type": "file_url", "file_url": {"url": PDF_URI}},
        ),
        (
            {"type": "file", "base64": PDF_B64, "extras": {"filename": "a.pdf"}},
            {"type": "file_url", "file_url": {"url": PDF_URI}},
        ),
        ({"type": "text-plain", "text": "hello", "mime_type": "text/plain"}, text("hello")),
        (
            {"type": "text-plain", "base64": "aGk="},
            {"type": "file_url", "file_url": {"url": "data:text/plain;base64,aGk="}},
        ),
    ],
)
def test_langchain_v1_standard_blocks(block: dict[str, Any], expected: dict[str, Any]) -> None:
    assert convert(block) == expected


def test_standard_block_without_payload() -> None:
    with pytest.raises(RequestValidationError) as info:
        convert({"type": "video"})
    assert info.value.field == "messages[0].content[0]"
    assert "url" in str(info.value) and "base64" in str(info.value)


def test_unknown_block_type() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "s"},
        {"role": "assistant", "content": "a"},
        {"role": "user", "content": [text("x"), {"type": "hologram", "hologram": {}}]},
    ]
    with pytest.raises(RequestValidationError) as info:
        build_body("gpt-5.5", messages)
    err = info.value
    assert err.field == "messages[2].content[1]"
    assert err.model == "gpt-5.5"
    assert "'hologram'" in err.message
    assert err.fix is not None
    for supported in ("text", "image_url", "input_audio", "audio_url", "image", "base64"):
        assert supported in err.fix


def test_non_mapping_block() -> None:
    with pytest.raises(RequestValidationError) as info:
        build_body("gpt-5.5", user([42]))
    assert info.value.field == "messages[0].content[0]"


def test_base64_is_not_copied_more_than_once() -> None:
    big = "A" * 1_000_000
    url = f"data:image/png;base64,{big}"
    body = build_body(MESSAGES_MODEL, user([{"type": "image_url", "image_url": {"url": url}}]))
    assert blocks_of(body)[0]["image_url"]["url"] is url  # shared, not copied
    body = build_body("gemini-2.5-pro", user([text("x"), {"type": "image", "url": url}]))
    assert body["image_urls"][0] is url


def test_to_foxapi_block() -> None:
    block = {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}}
    assert to_foxapi_block(block, model="m") == {"type": "audio_url", "audio_url": {"url": WAV_URI}}
    with pytest.raises(RequestValidationError) as info:
        to_foxapi_block({"type": "reasoning", "reasoning": "hmm"}, model="m", field="x[1]")
    assert info.value.field == "x[1]"
    with pytest.raises(RequestValidationError):
        to_foxapi_block({"type": "nope"}, model="m")


# ---- message fields on the messages form ------------------------------------------------------


TOOL_CALL = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}


def test_tool_turns_and_reasoning_content_are_kept() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Weather?", "name": "ann"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [TOOL_CALL],
            "reasoning_content": "I should call f.",
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]
    body = build_body("kimi-k2.6", messages, params={"tools": [{"type": "function"}]})
    assert body["messages"] == [
        {"role": "user", "content": "Weather?", "name": "ann"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [TOOL_CALL],
            "reasoning_content": "I should call f.",
        },
        {"role": "tool", "content": "sunny", "tool_call_id": "call_1"},
    ]
    assert body["messages"][1]["tool_calls"][0] is TOOL_CALL  # passed through as is
    assert check_body(body) == []


def test_reasoning_blocks_dropped_from_content_and_recovered_on_tool_call_turns() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "q"},
        {
            "role": "assistant",
            "content": [{"type": "reasoning", "reasoning": "think "}, text("calling")],
            "tool_calls": [TOOL_CALL],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "r"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "more"},
                {"type": "tool_call", "name": "f", "args": {}, "id": "call_2"},
            ],
            "tool_calls": [TOOL_CALL],
        },
        {"role": "assistant", "content": [{"type": "reasoning", "reasoning": "x"}, text("done")]},
    ]
    out = build_body("kimi-k2.6", messages)["messages"]
    assert out[1] == {
        "role": "assistant",
        "content": [text("calling")],
        "tool_calls": [TOOL_CALL],
        "reasoning_content": "think ",
    }
    assert out[3]["content"] is None and out[3]["reasoning_content"] == "more"
    # Not a tool-call turn: the reasoning is dropped (only tool-call turns need it back).
    assert out[4] == {"role": "assistant", "content": [text("done")]}


def test_explicit_reasoning_content_wins_over_blocks() -> None:
    message = {
        "role": "assistant",
        "content": [{"type": "reasoning", "reasoning": "block"}],
        "tool_calls": [TOOL_CALL],
        "reasoning_content": "field",
    }
    out = build_body("kimi-k2.6", [{"role": "user", "content": "q"}, message])["messages"]
    assert out[1]["reasoning_content"] == "field"


def test_developer_becomes_system() -> None:
    body = build_body("gpt-5.5", [{"role": "developer", "content": "Be terse."}, *user("Hi")])
    assert body["messages"][0] == {"role": "system", "content": "Be terse."}


def test_empty_tool_calls_are_not_sent() -> None:
    out = build_body("gpt-5.5", [{"role": "assistant", "content": "a", "tool_calls": []}])
    assert out["messages"] == [{"role": "assistant", "content": "a"}]


# ---- params -----------------------------------------------------------------------------------


def test_params_pass_through_on_messages_form() -> None:
    params = {
        "temperature": 0.2,
        "max_tokens": 64,
        "top_p": 0.9,
        "stop": ["END"],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "response_format": {"type": "json_object"},
        "reasoning": True,
        "frequency_penalty": 0.5,
        "seed": None,
    }
    body = build_body("gpt-5.5", user("Hi"), params=params)
    expected = {k: v for k, v in params.items() if v is not None}
    assert {k: v for k, v in body.items() if k not in ("model", "messages")} == expected
    assert check_body(body) == []


def test_max_completion_tokens_becomes_max_tokens() -> None:
    body = build_body("claude-opus-4-7", user("Hi"), params={"max_completion_tokens": 100})
    assert body["max_tokens"] == 100 and "max_completion_tokens" not in body
    with pytest.raises(RequestValidationError):
        build_body("gpt-5.5", user("Hi"), params={"max_tokens": 1, "max_completion_tokens": 2})


@pytest.mark.parametrize("key", ["model", "messages", "prompt", "image_urls", "audio_url"])
def test_params_cannot_override_form_fields(key: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        build_body("gpt-5.5", user("Hi"), params={key: "x"})
    assert info.value.field == key


def test_prompt_form_params() -> None:
    params = {"max_tokens": 100, "temperature": 0.5, "reasoning": True, "sync": False, "x": 1}
    body = build_body("gemini-2.5-pro", user("Hi"), params=params)
    assert body == {"model": "gemini-2.5-pro", "prompt": "Hi", **params}
    assert check_body(body) == []


@pytest.mark.parametrize(
    "key", ["tools", "tool_choice", "parallel_tool_calls", "response_format", "stop", "top_p"]
)
@pytest.mark.parametrize("model", PROMPT_MODELS)
def test_prompt_form_refuses_messages_only_params(model: str, key: str) -> None:
    value: Any = {
        "tools": [{"type": "function"}],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "response_format": {"type": "json_object"},
        "stop": "END",
        "top_p": 0.5,
    }[key]
    with pytest.raises(RequestValidationError) as info:
        build_body(model, user("Hi"), params={key: value})
    err = info.value
    assert err.field == key and err.model == model
    assert model in err.message and key in err.message
    assert err.fix is not None and "gpt-5.5" in err.fix


def test_prompt_form_ignores_empty_tools() -> None:
    body = build_body("gemini-2.5-pro", user("Hi"), params={"tools": [], "tool_choice": None})
    assert "tools" not in body and "tool_choice" not in body


# ---- form routing -----------------------------------------------------------------------------


@pytest.mark.parametrize("model", sorted(DEFAULT_CATALOG.models_with_form("messages")))
def test_whitelisted_models_use_messages_form(model: str) -> None:
    body = build_body(model, user("Hi"), params={"max_tokens": 100})
    assert detect_form(body) == "messages"
    assert check_body(body) == []


def test_unknown_model_uses_messages_form() -> None:
    body = build_body("brand-new-model", user("Hi"))
    assert detect_form(body) == "messages"
    assert check_body(body, unknown_models=True) == []


@pytest.mark.parametrize("model", PROMPT_MODELS)
def test_prompt_models_text_form(model: str) -> None:
    body = build_body(model, user("Hello there"))
    assert body == {"model": model, "prompt": "Hello there"}
    assert detect_form(body) == "text"
    assert check_body(body) == []


@pytest.mark.parametrize("model", PROMPT_MODELS)
def test_prompt_models_vision_form(model: str) -> None:
    body = build_body(model, user([text("What is it?"), {"type": "image_url", "image_url": IMG}]))
    assert body == {"model": model, "prompt": "What is it?", "image_urls": [IMG]}
    assert detect_form(body) == "vision"
    assert check_body(body) == []


def test_vision_form_with_several_images() -> None:
    content = [
        {"type": "image_url", "image_url": {"url": IMG}},
        text("Compare"),
        {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
    ]
    body = build_body("gemini-2.5-pro", user(content))
    assert body["image_urls"] == [IMG, PNG_URI] and body["prompt"] == "Compare"
    assert check_body(body) == []
    # nemotron-3-nano-omni takes one image: build_body shapes, check_body refuses (2.1).
    message = fails(
        build_body("nemotron-3-nano-omni", user(content)), "image_urls", "model_rule_violation"
    )
    assert "single image" in message


@pytest.mark.parametrize("model", PROMPT_MODELS)
def test_prompt_models_audio_form(model: str) -> None:
    audio = {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}}
    body = build_body(model, user([text("Summarise"), audio]))
    assert body == {"model": model, "prompt": "Summarise", "audio_url": WAV_URI}
    assert detect_form(body) == "audio"
    assert check_body(body) == []
    # Audio alone: no prompt, the server transcribes (2.1).
    body = build_body(model, user([{"type": "audio", "url": AUDIO}]))
    assert body == {"model": model, "audio_url": AUDIO}
    assert detect_form(body) == "audio"
    assert check_body(body) == []


@pytest.mark.parametrize("model", PROMPT_MODELS)
def test_prompt_models_video_form(model: str) -> None:
    body = build_body(model, user([text("Describe"), {"type": "video", "url": VIDEO}]))
    assert body == {"model": model, "prompt": "Describe", "video_urls": [VIDEO]}
    assert detect_form(body) == "video"
    assert check_body(body) == []


def test_video_form_several_videos() -> None:
    content = [
        text("Diff"),
        {"type": "video_url", "video_url": {"url": VIDEO}},
        {"type": "video_url", "video_url": VIDEO2},
    ]
    body = build_body("gemini-2.5-pro", user(content))
    assert body["video_urls"] == [VIDEO, VIDEO2]
    assert check_body(body) == []
    fails(build_body("nemotron-3-nano-omni", user(content)), "video_urls", "model_rule_violation")


def test_system_prompt_extraction() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [text("Answer in French.")]},
        {"role": "user", "content": "Hi"},
    ]
    body = build_body("gemini-2.5-pro", messages)
    assert body == {
        "model": "gemini-2.5-pro",
        "system_prompt": "Be brief.\n\nAnswer in French.",
        "prompt": "Hi",
    }
    assert detect_form(body) == "text"
    assert check_body(body) == []


def test_system_message_with_media_on_prompt_form() -> None:
    messages = [{"role": "system", "content": [{"type": "image_url", "image_url": IMG}]}]
    with pytest.raises(RequestValidationError) as info:
        build_body("gemini-2.5-pro", [*messages, *user("Hi")])
    assert info.value.field == "messages[0].content[0]"


def test_transcript() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": [{"type": "reasoning", "reasoning": "r"}, text("Hello")]},
        {"role": "user", "content": [text("Look"), {"type": "image_url", "image_url": IMG}]},
    ]
    body = build_body("nemotron-3-nano-omni", messages)
    assert body == {
        "model": "nemotron-3-nano-omni",
        "system_prompt": "sys",
        "prompt": "User: Hi\n\nAssistant: Hello\n\nUser: Look",
        "image_urls": [IMG],
    }
    assert detect_form(body) == "vision"
    assert check_body(body) == []


def test_single_assistant_message_is_a_transcript() -> None:
    body = build_body("gemini-2.5-pro", [{"role": "assistant", "content": "Once upon"}])
    assert body["prompt"] == "Assistant: Once upon"


# ---- prompt-form errors -----------------------------------------------------------------------


def test_tool_messages_to_prompt_model() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "r"},
    ]
    with pytest.raises(RequestValidationError) as info:
        build_body("gemini-2.5-pro", messages)
    err = info.value
    assert err.field == "messages[1].tool_calls" and err.model == "gemini-2.5-pro"
    assert "gemini-2.5-pro takes only the prompt forms, which cannot carry tool" in err.message
    assert err.fix is not None
    for name in DEFAULT_CATALOG.models_with_form("messages"):
        assert name in err.fix
    with pytest.raises(RequestValidationError) as info:
        build_body("gemini-2.5-pro", [messages[0], messages[2]])
    assert info.value.field == "messages[1]"


def test_tools_param_to_prompt_model() -> None:
    with pytest.raises(RequestValidationError) as info:
        build_body("gemini-2.5-pro", user("Hi"), params={"tools": [{"type": "function"}]})
    err = info.value
    assert err.field == "tools"
    assert "gemini-2.5-pro takes only the prompt forms" in err.message
    assert err.fix is not None and "kimi-k2.6" in err.fix


def test_two_audios() -> None:
    content = [
        {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}},
        {"type": "audio", "url": AUDIO},
    ]
    with pytest.raises(RequestValidationError) as info:
        build_body("gemini-2.5-pro", user(content))
    err = info.value
    assert "exactly one audio_url" in err.message
    assert err.fix is not None and "split" in err.fix.lower()


def test_audios_across_turns_count_too() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [{"type": "audio", "url": AUDIO}]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "audio_url", "audio_url": AUDIO}]},
    ]
    with pytest.raises(RequestValidationError, match="exactly one audio_url"):
        build_body("nemotron-3-nano-omni", messages)


def test_image_and_audio_mix() -> None:
    content = [
        text("x"),
        {"type": "image_url", "image_url": IMG},
        {"type": "audio", "url": AUDIO},
    ]
    with pytest.raises(RequestValidationError) as info:
        build_body("gemini-2.5-pro", user(content))
    err = info.value
    assert "one kind of media" in err.message
    assert err.fix is not None and "separate requests" in err.fix
    assert err.field == "messages[0].content[1]"


def test_file_to_prompt_model() -> None:
    content = [text("Summarise"), {"type": "file", "file": {"file_data": PDF_URI}}]
    with pytest.raises(RequestValidationError) as info:
        build_body("gemini-2.5-pro", user(content))
    err = info.value
    assert err.field == "messages[0].content[1]"
    assert "file" in err.message
    assert err.fix is not None and "claude-opus-4-7" in err.fix


def test_unknown_role_on_prompt_form() -> None:
    with pytest.raises(RequestValidationError) as info:
        build_body("gemini-2.5-pro", [{"role": "narrator", "content": "x"}])
    assert info.value.field == "messages[0].role"


# ---- form override ----------------------------------------------------------------------------


def test_force_prompt_form_on_messages_model() -> None:
    body = build_body(
        "gemini-3-pro-preview",
        user([text("Hear"), {"type": "audio", "url": AUDIO}]),
        form="prompt",
    )
    assert body == {"model": "gemini-3-pro-preview", "prompt": "Hear", "audio_url": AUDIO}
    assert check_body(body) == []
    with pytest.raises(RequestValidationError) as info:
        build_body("gpt-5.5", user("Hi"), params={"stop": "x"}, form="prompt")
    assert "gpt-5.5 is sent on the prompt forms" in info.value.message


def test_force_messages_form() -> None:
    body = build_body("gemini-2.5-pro", user("Hi"), form="messages")
    assert detect_form(body) == "messages"
    # The override is the user's responsibility: check_body still tells the truth.
    fails(body, "messages", "model_not_supported")
    body = build_body("new-model", user("Hi"), form="prompt")
    assert body == {"model": "new-model", "prompt": "Hi"}


def test_custom_catalog_decides() -> None:
    spec = DEFAULT_CATALOG["gemini-2.5-pro"]
    catalog = Catalog([spec.__class__(**{**spec.__dict__, "name": "my-prompt-model"})])
    body = build_body("my-prompt-model", user("Hi"), catalog=catalog)
    assert detect_form(body) == "text"
    # With that catalog, gpt-5.5 is unknown and goes to the messages form.
    assert detect_form(build_body("gpt-5.5", user("Hi"), catalog=catalog)) == "messages"


def test_bad_arguments() -> None:
    with pytest.raises(RequestValidationError):
        build_body("gpt-5.5", [])
    with pytest.raises(RequestValidationError):
        build_body("", user("Hi"))
    with pytest.raises(RequestValidationError) as info:
        build_body("gpt-5.5", ["Hi"])  # type: ignore[list-item]
    assert info.value.field == "messages[0]"
    with pytest.raises(ValueError):
        build_body("gpt-5.5", user("Hi"), form="chat")  # type: ignore[arg-type]


# ---- built bodies that check_body refuses -------------------------------------------------------


def test_audio_block_to_gpt_fails_check_body() -> None:
    audio = {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}}
    body = build_body("gpt-5.5", user([text("hi"), audio]))
    message = fails(body, "messages[0].content[1]", "model_not_support_capability")
    assert "gpt-5.5" in message and "audio_url" in message and "gemini-3-pro-preview" in message


def test_file_block_to_kimi_fails_check_body() -> None:
    body = build_body("kimi-k2.6", user([{"type": "file", "file": {"file_data": PDF_URI}}]))
    message = fails(body, "messages[0].content[0]", "model_not_support_capability")
    assert "file_url" in message and "claude-opus-4-7" in message


def test_video_block_to_claude_fails_check_body() -> None:
    body = build_body(
        "claude-opus-4-7", user([{"type": "video", "url": VIDEO}]), params={"max_tokens": 10}
    )
    fails(body, "messages[0].content[0]", "model_not_support_capability")


def test_flac_to_nemotron_fails_check_body() -> None:
    audio = {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "flac"}}
    body = build_body("nemotron-3-nano-omni", user([audio]))
    message = fails(body, "audio_url", "model_not_support_capability")
    assert "nemotron-3-nano-omni" in message


def test_image_only_prompt_lacks_prompt() -> None:
    body = build_body("gemini-2.5-pro", user([{"type": "image_url", "image_url": IMG}]))
    assert body == {"model": "gemini-2.5-pro", "image_urls": [IMG]}
    fails(body, "prompt", "invalid_request_error")


def test_claude_body_without_max_tokens_fails_check_body() -> None:
    # build_body fills the catalog default; a body built by hand without it is still refused.
    body = build_body("claude-opus-4-7", user("Hi"))
    del body["max_tokens"]
    fails(body, "max_tokens", "invalid_param")


# ---- langchain-core's convert_to_openai_messages ----------------------------------------------


def test_langchain_convert_to_openai_messages_output() -> None:
    messages_mod = pytest.importorskip("langchain_core.messages")
    utils = pytest.importorskip("langchain_core.messages.utils")
    human = messages_mod.HumanMessage(
        content=[
            {"type": "text", "text": "What is in these?"},
            {"type": "image", "url": IMG},
            {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
            {"type": "audio", "base64": MP3_B64, "mime_type": "audio/mpeg"},
        ]
    )
    converted = utils.convert_to_openai_messages([messages_mod.SystemMessage("Be brief."), human])
    # langchain-core gives OpenAI shapes: image_url blocks and input_audio with format "mpeg".
    assert converted[1]["content"][3]["type"] == "input_audio"

    body = build_body(MESSAGES_MODEL, converted)
    assert body["messages"][1]["content"] == [
        text("What is in these?"),
        {"type": "image_url", "image_url": {"url": IMG}},
        {"type": "image_url", "image_url": {"url": PNG_URI}},
        {"type": "audio_url", "audio_url": {"url": f"data:audio/mpeg;base64,{MP3_B64}"}},
    ]
    assert check_body(body) == []
    # gpt-5.5 takes no audio: the body is built, check_body refuses it.
    fails(
        build_body("gpt-5.5", converted), "messages[1].content[3]", "model_not_support_capability"
    )
    # A prompt-only model cannot mix images and audio in one request.
    with pytest.raises(RequestValidationError, match="one kind of media"):
        build_body("gemini-2.5-pro", converted)

    audio_only = messages_mod.HumanMessage(
        content=[
            {"type": "text", "text": "Transcribe"},
            {"type": "audio", "base64": WAV_B64, "mime_type": "audio/wav"},
        ]
    )
    converted = utils.convert_to_openai_messages([audio_only])
    body = build_body("nemotron-3-nano-omni", converted)
    assert body == {"model": "nemotron-3-nano-omni", "prompt": "Transcribe", "audio_url": WAV_URI}
    assert detect_form(body) == "audio"
    assert check_body(body) == []


def test_langchain_ai_tool_call_turn_round_trip() -> None:
    messages_mod = pytest.importorskip("langchain_core.messages")
    utils = pytest.importorskip("langchain_core.messages.utils")
    ai = messages_mod.AIMessage(
        content=[{"type": "reasoning", "reasoning": "Need the weather."}, text("Checking")],
        tool_calls=[{"name": "weather", "args": {"city": "Paris"}, "id": "call_9"}],
    )
    converted = utils.convert_to_openai_messages(
        [
            messages_mod.HumanMessage("Weather in Paris?"),
            ai,
            messages_mod.ToolMessage("sunny", tool_call_id="call_9"),
        ]
    )
    body = build_body("kimi-k2.6", converted)
    assistant = body["messages"][1]
    assert assistant["content"] == [text("Checking")]
    assert assistant["reasoning_content"] == "Need the weather."
    assert assistant["tool_calls"][0]["id"] == "call_9"
    assert body["messages"][2] == {"role": "tool", "content": "sunny", "tool_call_id": "call_9"}
    assert check_body(body) == []


def test_claude_gets_the_catalog_default_max_tokens_and_passes_the_checks() -> None:
    from foxapi_core._catalog import CLAUDE_DEFAULT_MAX_TOKENS
    from foxapi_core._checks import check_body

    body = build_body("claude-sonnet-4-6", [{"role": "user", "content": "Hi"}])
    assert body["max_tokens"] == CLAUDE_DEFAULT_MAX_TOKENS
    assert check_body(body) == []
    given = build_body("claude-sonnet-4-6", user("Hi"), params={"max_tokens": 5})
    assert given["max_tokens"] == 5
    assert "max_tokens" not in build_body("gpt-5.5", [{"role": "user", "content": "Hi"}])


_FOREIGN_HISTORY: list[dict[str, Any]] = [
    {"role": "user", "content": "weather?"},
    {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
]


def test_kimi_foreign_tool_call_turn_is_filled_by_default() -> None:
    from foxapi_core._routing import FOREIGN_REASONING, missing_reasoning_turns

    body = build_body("kimi-k2.6", _FOREIGN_HISTORY)
    assert body["messages"][1]["reasoning_content"] == FOREIGN_REASONING
    assert missing_reasoning_turns(body) == []
    assert "reasoning_content" not in _FOREIGN_HISTORY[1]  # the caller's dict is not changed
    # Non-thinking models get the history as is.
    assert "reasoning_content" not in build_body("gpt-5.5", _FOREIGN_HISTORY)["messages"][1]


def test_kimi_foreign_tool_call_turn_refused_on_request() -> None:
    with pytest.raises(RequestValidationError) as info:
        build_body("kimi-k2.6", _FOREIGN_HISTORY, foreign_tool_calls="refuse")
    assert info.value.field == "messages[1].reasoning_content"
    assert "reasoning_content is missing in assistant tool call message" in str(info.value)
    assert "fill" in (info.value.fix or "")
