"""Tests for the model catalog and the body rules in ``foxapi_core._catalog``."""

from __future__ import annotations

import dataclasses
import pickle
import time
import tracemalloc
from typing import Any

import pytest

from foxapi_core._catalog import (
    CONTENT_TYPES,
    DEFAULT_CATALOG,
    FORM_FIELD,
    MAX_PROMPT_CHARS,
    MAX_SYSTEM_PROMPT_CHARS,
    Catalog,
    FormDetectionError,
    detect_form,
)
from foxapi_core._checks import Surface, Violation, check_body

WHITELIST = (
    "claude-opus-4-6",
    "claude-opus-4-7",
    "claude-sonnet-4-6",
    "gemini-3-pro-preview",
    "gemini-3.1-pro-preview",
    "gpt-5.4",
    "gpt-5.5",
    "kimi-k2.6",
)
PROMPT_ONLY = ("gemini-2.5-pro", "nemotron-3-nano-omni")
WAV_URI = "data:audio/wav;base64,UklGRg=="
PNG_URI = "data:image/png;base64,iVBORw0KGgo="


def user(content: Any) -> list[dict[str, Any]]:
    return [{"role": "user", "content": content}]


def chat(model: str, content: Any = "hi", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": user(content)}
    if model.startswith("claude-"):
        body["max_tokens"] = 1024
    body.update(extra)
    return body


def one(violations: list[Violation]) -> Violation:
    assert len(violations) == 1, violations
    return violations[0]


# ---- the catalog ----------------------------------------------------------------------------


def test_default_catalog_has_the_ten_documented_models() -> None:
    assert len(DEFAULT_CATALOG) == 10
    assert DEFAULT_CATALOG.names == tuple(sorted(WHITELIST + PROMPT_ONLY))
    assert DEFAULT_CATALOG.models_with_form("messages") == WHITELIST
    for name in PROMPT_ONLY:
        spec = DEFAULT_CATALOG[name]
        assert spec.forms == {"text", "vision", "audio", "video"}
        assert spec.content_types == frozenset()
        assert not spec.supports_tools


def test_content_table_of_protocol_doc_2_2() -> None:
    for name in ("gpt-5.4", "gpt-5.5", "kimi-k2.6"):
        assert DEFAULT_CATALOG[name].content_types == {"text", "image_url"}
    for name in ("claude-opus-4-6", "claude-opus-4-7", "claude-sonnet-4-6"):
        assert DEFAULT_CATALOG[name].content_types == {"text", "image_url", "file_url"}
    for name in ("gemini-3-pro-preview", "gemini-3.1-pro-preview"):
        assert DEFAULT_CATALOG[name].content_types == set(CONTENT_TYPES)
        assert DEFAULT_CATALOG[name].forms == {"messages", "text", "vision", "audio", "video"}


def test_per_model_rules() -> None:
    cat = DEFAULT_CATALOG
    assert all(cat[n].max_tokens_required for n in WHITELIST if n.startswith("claude-"))
    assert cat["gpt-5.4"].min_max_tokens == cat["gpt-5.5"].min_max_tokens == 16
    assert cat["kimi-k2.6"].thinking
    assert cat["gemini-2.5-pro"].max_body_bytes == 20 * 1024 * 1024
    assert cat["gemini-2.5-pro"].audio_formats == {
        "wav",
        "mp3",
        "aiff",
        "aac",
        "ogg",
        "flac",
        "m4a",
    }
    nemotron = cat["nemotron-3-nano-omni"]
    assert (nemotron.max_images, nemotron.max_videos) == (1, 1)
    assert nemotron.audio_formats == {"wav", "mp3"}
    assert cat["gpt-5.5"].max_videos == 0
    assert cat["gpt-5.5"].context_window == 400_000


def test_catalog_mapping_api() -> None:
    cat = DEFAULT_CATALOG
    assert cat.get("nope") is None
    assert cat.get("gpt-5.5") is cat["gpt-5.5"]
    with pytest.raises(KeyError):
        cat["nope"]
    assert "gpt-5.5" in cat
    assert "nope" not in cat
    assert 5 not in cat
    assert [s.name for s in cat] == list(cat.names) == sorted(cat.names)
    assert cat.models_accepting("audio_url") == ("gemini-3-pro-preview", "gemini-3.1-pro-preview")
    assert cat.models_accepting("file_url") == (
        "claude-opus-4-6",
        "claude-opus-4-7",
        "claude-sonnet-4-6",
        "gemini-3-pro-preview",
        "gemini-3.1-pro-preview",
    )
    assert cat.models_with_form("audio") == (
        "gemini-2.5-pro",
        "gemini-3-pro-preview",
        "gemini-3.1-pro-preview",
        "nemotron-3-nano-omni",
    )
    assert Catalog(list(cat)) == cat
    assert hash(Catalog(list(cat))) == hash(cat)
    assert "gpt-5.5" in repr(cat)


def test_catalog_rejects_duplicates_and_bad_specs() -> None:
    spec = DEFAULT_CATALOG["gpt-5.5"]
    with pytest.raises(ValueError, match="duplicate"):
        Catalog([spec, spec])
    with pytest.raises(TypeError):
        Catalog(["gpt-5.5"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="forms"):
        dataclasses.replace(spec, forms=frozenset({"chat"}))  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "x"  # type: ignore[misc]


def test_model_spec_coerces_sets_to_frozensets() -> None:
    spec = dataclasses.replace(
        DEFAULT_CATALOG["gpt-5.5"],
        forms={"messages"},  # type: ignore[arg-type]
        content_types=["text"],  # type: ignore[arg-type]
    )
    assert spec.forms == frozenset({"messages"})
    assert isinstance(spec.content_types, frozenset)
    hash(spec)


# ---- merged_with_live -----------------------------------------------------------------------

LIVE = {
    "object": "list",
    "data": [
        {"id": "gpt-5.5", "object": "model", "capabilities": ["text", "vision", "file"]},
        {"id": "claude-opus-4-7", "object": "model", "capabilities": ["text"]},
        {"id": "deepseek-v4", "object": "model", "capabilities": ["text", "vision", "audio"]},
        {"id": "claude-haiku-5", "object": "model", "capabilities": ["text", "vision"]},
        {"id": "kimi-k2.6", "object": "model"},
        {"object": "model"},
        "junk",
    ],
}


def test_merged_with_live_replaces_content_types_and_keeps_rules() -> None:
    merged = DEFAULT_CATALOG.merged_with_live(LIVE)
    gpt = merged["gpt-5.5"]
    assert gpt.content_types == {"text", "image_url", "file_url"}
    assert gpt.min_max_tokens == 16
    assert merged["claude-opus-4-7"].content_types == {"text"}
    assert merged["claude-opus-4-7"].max_tokens_required
    # No capabilities: the known content types stay.
    assert merged["kimi-k2.6"] == DEFAULT_CATALOG["kimi-k2.6"]
    # Now checked against the live capabilities.
    body = chat("gpt-5.5", [{"type": "file_url", "file_url": {"url": "https://x/a.pdf"}}])
    assert check_body(body, catalog=merged) == []
    assert check_body(body) != []


def test_merged_with_live_adds_unknown_models_permissively() -> None:
    merged = DEFAULT_CATALOG.merged_with_live(LIVE)
    deepseek = merged["deepseek-v4"]
    assert deepseek.family == "deepseek"
    assert deepseek.content_types == {"text", "image_url", "audio_url"}
    assert {"messages", "text", "vision", "audio"} <= deepseek.forms
    assert deepseek.supports_tools
    assert not deepseek.max_tokens_required
    haiku = merged["claude-haiku-5"]
    assert haiku.family == "claude"
    assert haiku.max_tokens_required  # claude-* family rule (protocol doc 2.3)
    assert check_body(chat("deepseek-v4"), catalog=merged) == []


def test_merged_with_live_drops_absent_messages_models_but_keeps_prompt_only_ones() -> None:
    merged = DEFAULT_CATALOG.merged_with_live(LIVE)
    assert set(merged.names) == {
        "gpt-5.5",
        "claude-opus-4-7",
        "deepseek-v4",
        "claude-haiku-5",
        "kimi-k2.6",
        "gemini-2.5-pro",
        "nemotron-3-nano-omni",
    }
    assert merged["gemini-2.5-pro"] == DEFAULT_CATALOG["gemini-2.5-pro"]
    v = one(check_body(chat("gpt-5.4"), catalog=merged))
    assert (v.field, v.code) == ("model", "model_not_supported")


def test_merged_with_live_empty_group_and_prompt_model_listed() -> None:
    empty = DEFAULT_CATALOG.merged_with_live({"object": "list", "data": []})
    assert empty.names == PROMPT_ONLY
    listed = DEFAULT_CATALOG.merged_with_live(
        {"data": [{"id": "gemini-2.5-pro", "capabilities": ["text", "audio"]}]}
    )
    spec = listed["gemini-2.5-pro"]
    assert "messages" in spec.forms
    assert spec.content_types == {"text", "audio_url"}
    assert spec.max_body_bytes == 20 * 1024 * 1024


@pytest.mark.parametrize("payload", [{}, {"data": None}, {"data": {"id": "x"}}, []])
def test_merged_with_live_rejects_non_lists(payload: Any) -> None:
    with pytest.raises(ValueError, match="model list"):
        DEFAULT_CATALOG.merged_with_live(payload)


# ---- detect_form ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "form"),
    [
        ({"messages": []}, "messages"),
        ({"prompt": "x"}, "text"),
        ({"system_prompt": "x"}, "text"),
        ({"prompt": "x", "image_urls": ["u"]}, "vision"),
        ({"audio_url": "u"}, "audio"),
        ({"prompt": "x", "video_urls": ["u"]}, "video"),
        ({"prompt": "x", "image_urls": None, "messages": None}, "text"),
    ],
)
def test_detect_form(body: dict[str, Any], form: str) -> None:
    assert detect_form(body) == form


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"messages": [], "prompt": "x"}, ("messages", "prompt")),
        ({"image_urls": ["u"], "audio_url": "u"}, ("audio_url", "image_urls")),
        ({"messages": [], "video_urls": ["u"]}, ("messages", "video_urls")),
        ({"messages": [], "system_prompt": "s"}, ("messages", "system_prompt")),
    ],
)
def test_detect_form_rejects_mixes(body: dict[str, Any], fields: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="mixes") as info:
        detect_form(body)
    assert isinstance(info.value, FormDetectionError)
    assert info.value.fields == fields
    for field in fields:
        assert field in str(info.value)
    clone = pickle.loads(pickle.dumps(info.value))
    assert clone.fields == fields


def test_detect_form_rejects_empty_body() -> None:
    with pytest.raises(ValueError, match="no request form"):
        detect_form({"model": "gpt-5.5"})


# ---- valid bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        chat("gpt-5.5"),
        chat("claude-opus-4-7", temperature=0, top_p=1, stream=True, stop=["x"]),
        chat("kimi-k2.6", max_tokens=None, reasoning=True, sync=False),
        chat(
            "gemini-3.1-pro-preview",
            [
                {"type": "text", "text": "what is this"},
                {"type": "image_url", "image_url": {"url": PNG_URI}},
                {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}},
                {"type": "audio_url", "audio_url": {"url": WAV_URI}},
                {"type": "file_url", "file_url": {"url": "data:application/pdf;base64,JVBE"}},
            ],
        ),
        {
            "model": "gpt-5.4",
            "max_tokens": 16,
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": None, "tool_calls": [{"id": "c1"}]},
                {"role": "tool", "tool_call_id": "c1", "content": "42"},
            ],
            "tools": [{"type": "function", "function": {"name": "f"}}],
        },
        {"model": "claude-sonnet-4-6", "prompt": "hi", "max_tokens": 50},
        {"model": "gemini-2.5-pro", "prompt": "x", "system_prompt": "y", "reasoning": True},
        {"model": "gemini-2.5-pro", "prompt": "x", "image_urls": [PNG_URI] * 10},
        {"model": "nemotron-3-nano-omni", "prompt": "x", "image_urls": ["https://x/a.png"]},
        {"model": "nemotron-3-nano-omni", "audio_url": WAV_URI},
        {"model": "nemotron-3-nano-omni", "audio_url": "data:audio/mpeg;base64,SUQz"},
        {"model": "nemotron-3-nano-omni", "audio_url": "https://x/a.mp3?sig=a.flac"},
        {"model": "nemotron-3-nano-omni", "audio_url": "https://x/stream"},
        {"model": "gemini-2.5-pro", "audio_url": "data:audio/x-flac;base64,ZkxhQw=="},
        {"model": "gemini-2.5-pro", "audio_url": "https://x/a.m4a", "prompt": "summarise"},
        {
            "model": "gemini-2.5-pro",
            "prompt": "x",
            "video_urls": ["https://www.youtube.com/watch?v=abc", "https://youtu.be/abc"],
        },
        {
            "model": "nemotron-3-nano-omni",
            "prompt": "x",
            "video_urls": ["data:video/mp4;base64,AA"],
        },
    ],
)
def test_valid_bodies(body: dict[str, Any]) -> None:
    assert check_body(body) == []


# ---- model ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [None, "", 5])
def test_missing_or_non_string_model(model: Any) -> None:
    body: dict[str, Any] = {"messages": user("hi")}
    if model is not None:
        body["model"] = model
    v = one(check_body(body))
    assert (v.field, v.code) == ("model", "invalid_request_error")


def test_unknown_model_on_messages_form_lists_known_names() -> None:
    v = one(check_body(chat("gpt-9")))
    assert (v.field, v.code) == ("model", "model_not_supported")
    assert "gpt-9" in v.message
    for name in WHITELIST:
        assert name in v.message
    assert "gemini-2.5-pro" not in v.message  # it does not take the messages form
    assert "validate=False to FoxAPIClient" in v.fix


def test_unknown_model_on_prompt_form_is_model_not_found() -> None:
    v = one(check_body({"model": "gpt-9", "prompt": "hi"}))
    assert (v.field, v.code) == ("model", "model_not_found")
    assert "gemini-2.5-pro" in v.message


def test_unknown_models_allowed_skips_spec_rules_but_not_shape_rules() -> None:
    assert check_body(chat("gpt-9", max_tokens=1), unknown_models=True) == []
    v = one(check_body(chat("gpt-9", temperature=3), unknown_models=True))
    assert v.field == "temperature"


# ---- forms ----------------------------------------------------------------------------------


def test_messages_form_for_gemini_2_5_pro() -> None:
    v = one(check_body(chat("gemini-2.5-pro")))
    assert (v.field, v.code) == ("messages", "model_not_supported")
    assert "gemini-2.5-pro" in v.message
    assert v.fix == (
        "gemini-2.5-pro takes only the prompt forms: send prompt/system_prompt "
        "(+ image_urls/audio_url/video_urls)."
    )


def test_messages_form_for_nemotron_does_not_also_flag_blocks() -> None:
    body = chat("nemotron-3-nano-omni", [{"type": "image_url", "image_url": {"url": PNG_URI}}])
    v = one(check_body(body))
    assert v.code == "model_not_supported"


def test_prompt_form_the_model_lacks() -> None:
    v = one(check_body({"model": "gpt-5.5", "audio_url": WAV_URI}))
    assert (v.field, v.code) == ("audio_url", "model_not_support_capability")
    assert "gpt-5.5" in v.message
    assert "gemini-2.5-pro" in v.fix
    v = one(
        check_body(
            {
                "model": "claude-opus-4-7",
                "max_tokens": 9,
                "prompt": "x",
                "video_urls": ["https://x/v.mp4"],
            }
        )
    )
    assert (v.field, v.code) == ("video_urls", "model_not_support_capability")


def test_mixed_forms_violation() -> None:
    body = {"model": "gpt-5.5", "messages": user("hi"), "prompt": "hi"}
    v = one(check_body(body))
    assert (v.field, v.code) == ("messages,prompt", "invalid_request_error")
    assert "gpt-5.5" in v.message
    v = one(
        check_body(
            {
                "model": "gemini-2.5-pro",
                "prompt": "x",
                "image_urls": [PNG_URI],
                "audio_url": WAV_URI,
            }
        )
    )
    assert v.field == "audio_url,image_urls"


def test_no_form_violation() -> None:
    v = one(check_body({"model": "gpt-5.5"}))
    assert v.code == "invalid_request_error"
    assert "gpt-5.5" in v.message


def test_non_mapping_body() -> None:
    v = one(check_body([]))  # type: ignore[arg-type]
    assert (v.field, v.code) == ("body", "invalid_request_error")


# ---- max_tokens, temperature, top_p, booleans -----------------------------------------------


def test_claude_without_max_tokens() -> None:
    for name in ("claude-opus-4-6", "claude-opus-4-7", "claude-sonnet-4-6"):
        v = one(check_body({"model": name, "messages": user("hi")}))
        assert (v.field, v.code) == ("max_tokens", "invalid_param")
        assert v.message == f"{name} requires max_tokens."
        assert v.fix == "Set max_tokens (e.g. 1024)."
    v = one(check_body({"model": "claude-opus-4-7", "prompt": "hi", "max_tokens": None}))
    assert v.code == "invalid_param"


def test_gpt_with_max_tokens_below_16() -> None:
    v = one(check_body(chat("gpt-5.4", max_tokens=8)))
    assert (v.field, v.code) == ("max_tokens", "model_rule_violation")
    assert "gpt-5.4" in v.message
    assert v.fix == "Use max_tokens >= 16."
    assert check_body(chat("gpt-5.5", max_tokens=16)) == []
    assert check_body(chat("kimi-k2.6", max_tokens=1)) == []


@pytest.mark.parametrize("value", [0, -1, 1.5, "100", True])
def test_max_tokens_must_be_positive_int(value: Any) -> None:
    v = one(check_body(chat("kimi-k2.6", max_tokens=value)))
    assert (v.field, v.code) == ("max_tokens", "invalid_request_error")
    assert "kimi-k2.6" in v.message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("temperature", 3),
        ("temperature", -0.1),
        ("temperature", "1"),
        ("temperature", float("nan")),
        ("temperature", float("inf")),
        ("top_p", 1.5),
        ("top_p", -1),
        ("top_p", False),
    ],
)
def test_sampling_ranges(key: str, value: Any) -> None:
    v = one(check_body(chat("gpt-5.5", **{key: value})))
    assert (v.field, v.code) == (key, "invalid_request_error")
    assert "gpt-5.5" in v.message


def test_temperature_3_on_prompt_form() -> None:
    v = one(check_body({"model": "gemini-2.5-pro", "prompt": "x", "temperature": 3}))
    assert (v.field, v.code) == ("temperature", "invalid_request_error")
    assert check_body({"model": "gemini-2.5-pro", "prompt": "x", "temperature": 2}) == []


@pytest.mark.parametrize("key", ["reasoning", "stream", "sync"])
def test_booleans(key: str) -> None:
    v = one(check_body({"model": "gemini-2.5-pro", "prompt": "x", key: "true"}))
    assert (v.field, v.code) == (key, "invalid_request_error")


# ---- prompt fields --------------------------------------------------------------------------


def test_prompt_of_100_001_characters() -> None:
    body = {"model": "gemini-2.5-pro", "prompt": "a" * (MAX_PROMPT_CHARS + 1)}
    v = one(check_body(body))
    assert (v.field, v.code) == ("prompt", "invalid_request_error")
    assert "100,001" in v.message
    assert "gemini-2.5-pro" in v.message
    assert check_body({"model": "gemini-2.5-pro", "prompt": "a" * MAX_PROMPT_CHARS}) == []


def test_system_prompt_limit() -> None:
    body: dict[str, Any] = {"model": "gpt-5.5", "prompt": "x"}
    body["system_prompt"] = "s" * (MAX_SYSTEM_PROMPT_CHARS + 1)
    v = one(check_body(body))
    assert (v.field, v.code) == ("system_prompt", "invalid_request_error")
    body["system_prompt"] = 5
    assert one(check_body(body)).field == "system_prompt"


@pytest.mark.parametrize(
    "body",
    [
        {"model": "gpt-5.5", "system_prompt": "only a system prompt"},
        {"model": "gpt-5.5", "image_urls": [PNG_URI]},
        {"model": "gemini-2.5-pro", "video_urls": ["https://x/v.mp4"]},
        {"model": "gemini-2.5-pro", "prompt": "", "video_urls": ["https://x/v.mp4"]},
        {"model": "gemini-2.5-pro", "prompt": 7},
    ],
)
def test_prompt_required_on_text_vision_video(body: dict[str, Any]) -> None:
    v = one(check_body(body))
    assert (v.field, v.code) == ("prompt", "invalid_request_error")


def test_prompt_optional_on_audio() -> None:
    assert check_body({"model": "gemini-2.5-pro", "audio_url": WAV_URI, "prompt": None}) == []


# ---- messages form --------------------------------------------------------------------------


def test_audio_url_block_to_gpt_5_5() -> None:
    body = chat("gpt-5.5", [{"type": "audio_url", "audio_url": {"url": WAV_URI}}])
    v = one(check_body(body))
    assert (v.field, v.code) == ("messages[0].content[0]", "model_not_support_capability")
    assert "gpt-5.5" in v.message
    assert "audio_url" in v.message
    assert "gemini-3-pro-preview" in v.fix
    assert "gemini-3.1-pro-preview" in v.fix
    assert "gemini-2.5-pro" not in v.fix  # it has no messages form


def test_file_url_block_to_kimi_and_video_block_to_claude() -> None:
    body = chat("kimi-k2.6", [{"type": "file_url", "file_url": {"url": "https://x/a.pdf"}}])
    v = one(check_body(body))
    assert "claude-opus-4-7" in v.fix
    body = chat("claude-opus-4-7", [{"type": "video_url", "video_url": {"url": "https://x/v"}}])
    v = one(check_body(body))
    assert v.code == "model_not_support_capability"
    assert "claude-opus-4-7" in v.message


def test_unknown_block_type() -> None:
    v = one(check_body(chat("gpt-5.5", [{"type": "input_audio", "input_audio": {}}])))
    assert (v.field, v.code) == ("messages[0].content[0]", "model_not_support_capability")
    assert "input_audio" in v.message


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        ([], "messages"),
        ("hello", "messages"),
        (["hello"], "messages[0]"),
        ([{"role": "robot", "content": "x"}], "messages[0].role"),
        ([{"content": "x"}], "messages[0].role"),
        ([{"role": "user"}], "messages[0].content"),
        ([{"role": "user", "content": None}], "messages[0].content"),
        ([{"role": "assistant", "content": None}], "messages[0].content"),
        ([{"role": "user", "content": 5}], "messages[0].content"),
        ([{"role": "user", "content": ["x"]}], "messages[0].content[0]"),
        ([{"role": "user", "content": [{"text": "x"}]}], "messages[0].content[0].type"),
        ([{"role": "user", "content": [{"type": "text"}]}], "messages[0].content[0].text"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": "https://x"}]}],
            "messages[0].content[0].image_url",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": ""}}]}],
            "messages[0].content[0].image_url",
        ),
        (
            [
                {"role": "user", "content": "x"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "x"},
                        {"type": "image_url", "image_url": {"url": "data:video/mp4;base64,AA"}},
                    ],
                },
            ],
            "messages[1].content[1].image_url.url",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}],
            "messages[0].content[0].image_url.url",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:x"}}]}],
            "messages[0].content[0].image_url.url",
        ),
    ],
)
def test_message_shapes(messages: Any, field: str) -> None:
    v = one(check_body({"model": "gpt-5.5", "messages": messages}))
    assert (v.field, v.code) == (field, "invalid_request_error")
    assert "gpt-5.5" in v.message


def test_block_data_uri_kinds() -> None:
    def block(btype: str, url: str) -> dict[str, Any]:
        return chat("gemini-3-pro-preview", [{"type": btype, btype: {"url": url}}])

    assert check_body(block("file_url", "data:application/pdf;base64,JVBE")) == []
    assert check_body(block("video_url", "data:video/webm;base64,GkXf")) == []
    assert one(check_body(block("video_url", PNG_URI))).field.endswith("video_url.url")
    assert one(check_body(block("audio_url", "data:audio/wav,notbase64"))).code == (
        "invalid_request_error"
    )
    assert one(check_body(block("audio_url", "data:audio/wav;base64,"))).code == (
        "invalid_request_error"
    )


def test_audio_block_format_follows_the_model_formats() -> None:
    opus = {"type": "audio_url", "audio_url": {"url": "data:audio/opus;base64,AA"}}
    body = chat("gemini-3-pro-preview", [opus])
    v = one(check_body(body))
    assert (v.field, v.code) == (
        "messages[0].content[0].audio_url.url",
        "model_not_support_capability",
    )
    assert "audio/opus" in v.message


def test_stop_shape() -> None:
    v = one(check_body(chat("gpt-5.5", stop=[1])))
    assert v.field == "stop"


def test_several_violations_are_all_reported() -> None:
    body = {
        "model": "claude-opus-4-7",
        "temperature": 9,
        "messages": [
            {"role": "user", "content": [{"type": "audio_url", "audio_url": {"url": WAV_URI}}]},
            {"role": "wizard", "content": "x"},
        ],
    }
    fields = {v.field for v in check_body(body)}
    assert fields == {"max_tokens", "temperature", "messages[0].content[0]", "messages[1].role"}


# ---- tools ----------------------------------------------------------------------------------


def test_tools_on_a_prompt_form() -> None:
    body = {"model": "gemini-2.5-pro", "prompt": "x", "tools": [{"type": "function"}]}
    v = one(check_body(body))
    assert (v.field, v.code) == ("tools", "invalid_request_error")
    assert "gemini-2.5-pro" in v.message


def test_tools_on_a_model_without_tools() -> None:
    spec = dataclasses.replace(DEFAULT_CATALOG["kimi-k2.6"], supports_tools=False)
    cat = Catalog([spec])
    v = one(check_body(chat("kimi-k2.6", tools=[{"type": "function"}]), catalog=cat))
    assert (v.field, v.code) == ("tools", "model_not_support_capability")


# ---- vision ---------------------------------------------------------------------------------


def test_two_images_for_nemotron() -> None:
    body = {
        "model": "nemotron-3-nano-omni",
        "prompt": "compare",
        "image_urls": ["https://x/a.png", PNG_URI],
    }
    v = one(check_body(body))
    assert (v.field, v.code) == ("image_urls", "model_rule_violation")
    assert "nemotron-3-nano-omni" in v.message
    assert v.fix.startswith("Send one image per request or use ")
    assert "gemini-2.5-pro" in v.fix
    assert "gemini-3.1-pro-preview" in v.fix
    assert "nemotron-3-nano-omni" not in v.fix


@pytest.mark.parametrize(
    ("urls", "field"),
    [
        ([], "image_urls"),
        ([PNG_URI] * 11, "image_urls"),
        ("https://x/a.png", "image_urls"),
        ([PNG_URI, 5], "image_urls[1]"),
        (["ftp://x/a.png"], "image_urls[0]"),
        (["data:audio/wav;base64,AA"], "image_urls[0]"),
        (["data:image/png,raw"], "image_urls[0]"),
        (["iVBORw0KGgo"], "image_urls[0]"),
    ],
)
def test_image_urls_shape(urls: Any, field: str) -> None:
    v = one(check_body({"model": "gemini-2.5-pro", "prompt": "x", "image_urls": urls}))
    assert (v.field, v.code) == (field, "invalid_request_error")


# ---- video ----------------------------------------------------------------------------------


def test_two_videos_for_nemotron() -> None:
    body = {
        "model": "nemotron-3-nano-omni",
        "prompt": "x",
        "video_urls": ["https://x/a.mp4", "https://x/b.mp4"],
    }
    v = one(check_body(body))
    assert (v.field, v.code) == ("video_urls", "model_rule_violation")
    assert "gemini-2.5-pro" in v.fix


def test_youtube_shorts_is_rewritten_in_the_fix() -> None:
    body = {
        "model": "gemini-2.5-pro",
        "prompt": "x",
        "video_urls": ["https://youtube.com/shorts/dQw4w9WgXcQ?feature=share"],
    }
    v = one(check_body(body))
    assert (v.field, v.code) == ("video_urls[0]", "model_rule_violation")
    assert "https://www.youtube.com/watch?v=dQw4w9WgXcQ" in v.fix


def test_youtube_only_for_gemini() -> None:
    body = {
        "model": "nemotron-3-nano-omni",
        "prompt": "x",
        "video_urls": ["https://www.youtube.com/watch?v=abc"],
    }
    v = one(check_body(body))
    assert (v.field, v.code) == ("video_urls[0]", "model_not_support_capability")
    assert "gemini-2.5-pro" in v.fix


def test_video_urls_shape() -> None:
    body = {"model": "gemini-2.5-pro", "prompt": "x", "video_urls": [PNG_URI]}
    assert one(check_body(body)).field == "video_urls[0]"
    body["video_urls"] = ["https://x/v.mp4"] * 11
    assert one(check_body(body)).field == "video_urls"


# ---- audio ----------------------------------------------------------------------------------


def test_flac_data_uri_for_nemotron() -> None:
    body = {"model": "nemotron-3-nano-omni", "audio_url": "data:audio/flac;base64,ZkxhQw=="}
    v = one(check_body(body))
    assert (v.field, v.code) == ("audio_url", "model_not_support_capability")
    assert "nemotron-3-nano-omni" in v.message
    assert "flac" in v.message
    assert "wav, mp3" in v.message
    assert "wav/mp3" in v.fix
    assert "http(s) URL" in v.fix
    assert "gemini-2.5-pro" in v.fix


def test_nemotron_needs_the_exact_mime() -> None:
    body = {"model": "nemotron-3-nano-omni", "audio_url": "data:audio/x-wav;base64,UklGRg=="}
    v = one(check_body(body))
    assert (v.field, v.code) == ("audio_url", "model_not_support_capability")
    assert "audio/x-wav" in v.message
    assert "data:audio/wav;base64" in v.fix
    # gemini-2.5-pro is lenient about the spelling.
    assert check_body({**body, "model": "gemini-2.5-pro"}) == []


def test_audio_url_extension_for_nemotron() -> None:
    body = {"model": "nemotron-3-nano-omni", "audio_url": "https://x/a.FLAC?sig=1#t"}
    v = one(check_body(body))
    assert (v.field, v.code) == ("audio_url", "model_not_support_capability")
    assert "flac" in v.message


@pytest.mark.parametrize(
    "audio_url",
    [["https://x/a.wav"], "", 5, "ftp://x/a.wav", "data:image/png;base64,AA", "UklGRg=="],
)
def test_audio_url_shape(audio_url: Any) -> None:
    v = one(check_body({"model": "gemini-2.5-pro", "audio_url": audio_url}))
    assert (v.field, v.code) == ("audio_url", "invalid_request_error")


# ---- the 20 MB rule -------------------------------------------------------------------------

PREFIX = "data:audio/wav;base64,"


def test_body_over_20_mb_for_gemini_2_5_pro() -> None:
    audio = PREFIX + "A" * (21 * 1024 * 1024)
    v = one(check_body({"model": "gemini-2.5-pro", "audio_url": audio, "prompt": "x"}))
    assert (v.field, v.code) == ("audio_url", "model_rule_violation")
    assert "21.00 MB" in v.message
    assert "20 MB" in v.message
    assert "gemini-2.5-pro" in v.message
    assert v.fix == (
        "Pass an http(s) URL instead of inline data, split=True (FoxAPIAudio and the audio "
        "loaders) to send the recording in segments, or use a model without this limit "
        "(gemini-3-pro-preview, gemini-3.1-pro-preview, nemotron-3-nano-omni)."
    )
    cli = one(
        check_body(
            {"model": "gemini-2.5-pro", "audio_url": audio, "prompt": "x"},
            surface=Surface("pass --no-validate", split="--split"),
        )
    )
    assert "--split to send the recording in segments" in cli.fix and "split=True" not in cli.fix


def test_body_size_names_the_biggest_field_and_sums_them() -> None:
    images = [PNG_URI[:-1] + "A" * (4 * 1024 * 1024) for _ in range(6)]
    v = one(check_body({"model": "gemini-2.5-pro", "prompt": "x", "image_urls": images}))
    assert (v.field, v.code) == ("image_urls", "model_rule_violation")


def test_body_under_20_mb_and_other_models() -> None:
    audio = PREFIX + "A" * (19 * 1024 * 1024)
    assert check_body({"model": "gemini-2.5-pro", "audio_url": audio}) == []
    big = PREFIX + "A" * (21 * 1024 * 1024)
    assert check_body({"model": "gemini-3.1-pro-preview", "audio_url": big}) == []


def test_check_body_does_not_copy_big_strings() -> None:
    audio = PREFIX + "A" * (21 * 1024 * 1024)
    body = {"model": "gemini-2.5-pro", "audio_url": audio, "prompt": "x"}
    check_body(body)  # warm up
    tracemalloc.start()
    try:
        check_body(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024
    started = time.perf_counter()
    for _ in range(100):
        check_body(body)
    assert time.perf_counter() - started < 1.0


# ---- every message names the model ----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"model": "gpt-5.5", "messages": [{"role": "x"}], "temperature": 5, "top_p": 2},
        {"model": "gpt-5.5", "prompt": "", "system_prompt": 1, "sync": 1, "max_tokens": 0},
        {"model": "nemotron-3-nano-omni", "prompt": "x", "video_urls": [PNG_URI, 1, "x"]},
        {"model": "gemini-2.5-pro", "audio_url": [], "tools": [{}], "stream": "no"},
        {"model": "gpt-5.5", "messages": [{"role": "user", "content": [{"type": "x"}, 3]}]},
    ],
)
def test_every_violation_names_the_model(body: dict[str, Any]) -> None:
    violations = check_body(body)
    assert len(violations) >= 2
    for v in violations:
        assert body["model"] in v.message, v
        assert v.fix.endswith("."), v
        assert v.code
    assert str(violations[0]).startswith(violations[0].field + ": ")


def test_form_field_table() -> None:
    assert FORM_FIELD["vision"] == "image_urls"
    assert FORM_FIELD["messages"] == "messages"


# ---- near misses and per-surface fixes (issue 14.3) ------------------------------------------


@pytest.mark.parametrize("typo", ["kimi-k2", "Kimi-K2.6", "KIMI-K2.6"])
def test_unknown_model_suggests_the_near_miss(typo: str) -> None:
    v = one(check_body(chat(typo)))
    assert "Did you mean kimi-k2.6?" in v.message
    assert v.fix.startswith("Use kimi-k2.6,")


def test_unknown_model_fix_names_the_callers_switch_only() -> None:
    from foxapi_core._checks import Surface

    v = one(check_body(chat("gpt-9"), surface=Surface("set validate=False on ChatFoxAPI")))
    assert "set validate=False on ChatFoxAPI" in v.fix
    assert "FoxAPIClient" not in v.fix
    assert "list_models" not in v.fix


def test_claude_specs_have_a_documented_default_max_tokens() -> None:
    from foxapi_core._catalog import CLAUDE_DEFAULT_MAX_TOKENS, DEFAULT_CATALOG

    for spec in DEFAULT_CATALOG:
        if spec.max_tokens_required:
            assert spec.default_max_tokens == CLAUDE_DEFAULT_MAX_TOKENS
            assert spec.default_max_tokens <= spec.max_output_tokens
        else:
            assert spec.default_max_tokens is None
