"""Check a wire body against the documented request rules, I/O free: :func:`check_body`.

:func:`check_body` is shared by the client (which raises before sending) and the emulator (which
answers 422 with the :attr:`~._refusals.Violation.code`), so both enforce the same reading of the
docs, and it runs on every request: it walks the body structure once, never copies a large string
(inline media can be 20 MB) and uses only module-level compiled patterns. This module holds the
entry point and the rules on the model and scalar fields; the rules on content (messages, media,
prompt forms, the body size) are in :mod:`._content_checks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._catalog import (
    _FORM_BLOCK,
    DEFAULT_CATALOG,
    FORM_FIELD,
    Catalog,
    Form,
    FormDetectionError,
    ModelSpec,
    detect_form,
)
from ._content_checks import check_body_size, check_messages, check_prompt_form
from ._refusals import CORE_SURFACE, Check, Surface, Violation, brief, joined, suggest_models

__all__ = ["CORE_SURFACE", "Surface", "Violation", "check_body", "suggest_models"]


def check_body(
    body: Mapping[str, Any],
    *,
    catalog: Catalog = DEFAULT_CATALOG,
    unknown_models: bool = False,
    surface: Surface = CORE_SURFACE,
) -> list[Violation]:
    """Check a wire body for ``POST /v1/llm/generations`` against the documented rules.

    The rules are those of protocol doc 2.1-2.3 (as decided in 10): form detection, the model
    whitelist, per-model ``max_tokens`` rules, ranges of ``temperature`` / ``top_p``, prompt
    lengths, message and block shapes, per-model block types, image / video counts, YouTube links,
    audio formats and the gemini-2.5-pro 20 MB body limit. Every violation is reported, not only
    the first. The run is linear in the size of the body structure and never copies a large
    string.

    Args:
        body: The JSON object that will be POSTed.
        catalog: Models and their rules.
        unknown_models: Allow models the catalog does not know; rules that need a spec are then
            skipped for them.
        surface: Where the request comes from: an unknown model's fix names its switch.

    Returns:
        The violations; an empty list means the body is valid.
    """
    if not isinstance(body, Mapping):
        return [
            Violation(
                "body",
                "invalid_request_error",
                f"The request body must be a JSON object, got {type(body).__name__}.",
                "Send a JSON object with model and one request form.",
            )
        ]
    model = body.get("model")
    name = model if isinstance(model, str) and model else None
    spec = catalog.get(name) if name is not None else None
    check = Check(catalog, name or "this request")
    if name is None:
        check.invalid(
            "model",
            f"The request has no model (model is {brief(model)}); model must be a non-empty "
            "string.",
            f"Set model to one of {joined(catalog.names)}.",
        )

    form: Form | None
    try:
        form = detect_form(body)
    except FormDetectionError as exc:
        form = None
        field = ",".join(exc.fields) if exc.fields else "messages"
        check.invalid(
            field,
            f"The body for {check.label} mixes request forms ({', '.join(exc.fields)})."
            if exc.fields
            else f"The body for {check.label} has no request form (messages or prompt).",
            "Send exactly one form: messages (chat), or prompt/system_prompt plus at most one of "
            "image_urls, audio_url, video_urls.",
        )

    if name is not None and spec is None and not unknown_models:
        _unknown_model(check, name, form, surface)

    form_ok = True
    if spec is not None and form is not None and form not in spec.forms:
        form_ok = False
        _form_not_accepted(check, spec, form)
    # Per-form model rules only make sense for a form the model takes (avoids noise).
    form_spec = spec if form_ok else None

    _check_scalars(check, body, spec)
    if form == "messages":
        check_messages(check, body, form_spec)
    elif form is not None:
        check_prompt_form(check, body, form, form_spec)
    _check_tools(check, body, form, spec)
    if spec is not None and spec.max_body_bytes is not None:
        check_body_size(check, spec.max_body_bytes, form, surface)
    return check.out


def _unknown_model(check: Check, name: str, form: Form | None, surface: Surface) -> None:
    # The messages form answers model_not_supported for a non-whitelisted model (2.3, 10);
    # prompt forms answer model_not_found / no_available_model per vendor clients (2.3).
    known = check.catalog.models_with_form(form) if form is not None else check.catalog.names
    where = f" on the {form} form" if form is not None else ""
    near = suggest_models(name, known)
    guess = f" Did you mean {' or '.join(near)}?" if near else ""
    check.add(
        "model",
        "model_not_supported" if form == "messages" else "model_not_found",
        f"Model {name} is not in the catalog; known models{where}: {joined(known)}.{guess}",
        f"Use {near[0] if near else 'one of ' + joined(known)}, or {surface.skip_checks} "
        "if the service serves this model.",
    )


def _form_hint(spec: ModelSpec) -> str:
    """How to send a body in one of the prompt forms ``spec`` takes."""
    media = [FORM_FIELD[f] for f in ("vision", "audio", "video") if f in spec.forms]
    hint = "prompt/system_prompt"
    return f"{hint} (+ {'/'.join(media)})" if media else hint


def _form_not_accepted(check: Check, spec: ModelSpec, form: Form) -> None:
    name = spec.name
    if form == "messages":
        # Protocol doc 10: the messages form is a whitelist; prompt-only models reject it.
        check.add(
            "messages",
            "model_not_supported",
            f"{name} does not accept the messages form (llm-custom).",
            f"{name} takes only the prompt forms: send {_form_hint(spec)}.",
        )
        return
    field = FORM_FIELD[form]
    others = [n for n in check.catalog.models_with_form(form) if n != name]
    block = _FORM_BLOCK.get(form)
    fix = f"Use a model that takes it ({joined(others)})"
    if spec.takes_messages and block is not None and block in spec.content_types:
        fix += f", or send the media as a {block} block on the messages form"
    check.add(
        field,
        "model_not_support_capability",
        f"{name} does not accept the {form} form ({field}).",
        fix + ".",
    )


# ---- shared scalar fields -------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_scalars(check: Check, body: Mapping[str, Any], spec: ModelSpec | None) -> None:
    label = check.label
    max_tokens = body.get("max_tokens")
    if max_tokens is None:
        if spec is not None and spec.max_tokens_required:
            # claude-*: 422 invalid_param without max_tokens (2.3); applied on every form since
            # the upstream Anthropic API always needs it.
            check.add(
                "max_tokens",
                "invalid_param",
                f"{spec.name} requires max_tokens.",
                "Set max_tokens (e.g. 1024).",
            )
    elif not _is_int(max_tokens) or max_tokens < 1:
        check.invalid(
            "max_tokens",
            f"max_tokens for {label} must be an integer >= 1, got {brief(max_tokens)}.",
            "Set max_tokens to a positive integer or leave it out.",
        )
    elif spec is not None and spec.min_max_tokens is not None and max_tokens < spec.min_max_tokens:
        # gpt-5.x: Azure OpenAI hard limit (2.3).
        check.add(
            "max_tokens",
            "model_rule_violation",
            f"{spec.name} requires max_tokens >= {spec.min_max_tokens}, got {max_tokens}.",
            f"Use max_tokens >= {spec.min_max_tokens}.",
        )

    for key, high in (("temperature", 2), ("top_p", 1)):
        value = body.get(key)
        if value is None:
            continue
        # ``not lo <= x <= hi`` is also true for NaN.
        if not _is_number(value) or not 0 <= value <= high:
            check.invalid(
                key,
                f"{key} for {label} must be a number from 0 to {high}, got {brief(value)}.",
                f"Set {key} within [0, {high}] or leave it out.",
            )

    for key in ("reasoning", "stream", "sync"):
        value = body.get(key)
        if value is not None and not isinstance(value, bool):
            check.invalid(
                key,
                f"{key} for {label} must be a boolean, got {brief(value)}.",
                f"Send {key} as true or false.",
            )


def _check_tools(
    check: Check, body: Mapping[str, Any], form: Form | None, spec: ModelSpec | None
) -> None:
    tools = body.get("tools")
    if not tools:
        return
    capable = [s.name for s in check.catalog if s.takes_messages and s.supports_tools]
    if form is not None and form != "messages":
        # Tools are an OpenAI pass-through of the messages form only (protocol doc 10).
        check.invalid(
            "tools",
            f"tools are only passed through on the messages form, but {check.label} uses the "
            f"{form} form.",
            f"Send the request on the messages form to one of {joined(capable)}.",
        )
    elif form == "messages" and spec is not None and not spec.supports_tools:
        check.add(
            "tools",
            "model_not_support_capability",
            f"{spec.name} does not support tools.",
            f"Use one of {joined(capable)} or remove tools.",
        )
