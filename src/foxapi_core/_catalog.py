"""The model catalog and the documented request rules, I/O free.

``POST /v1/llm/generations`` takes five request forms (protocol doc 2): the OpenAI-style
``messages`` form (llm-custom, 2.2) and four prompt forms, told apart by which body field is
present: ``prompt`` (text), ``image_urls`` (vision), ``audio_url`` (audio) and ``video_urls``
(video) (2.1). Which model takes which form, which content blocks and which media, is per model
(2.2, 2.3); this module records that in a :class:`Catalog` of :class:`ModelSpec`, and tells a
body's form (:func:`detect_form`). :func:`~._checks.check_body` checks a wire body against it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Final, Literal

from ._media import (
    AUDIO_FORMATS,
)

__all__ = [
    "CONTENT_TYPES",
    "DEFAULT_CATALOG",
    "FORMS",
    "FORM_FIELD",
    "MAX_MEDIA_URLS",
    "MAX_PROMPT_CHARS",
    "MAX_SYSTEM_PROMPT_CHARS",
    "MESSAGE_ROLES",
    "Catalog",
    "ContentType",
    "Form",
    "FormDetectionError",
    "ModelSpec",
    "detect_form",
]

Form = Literal["messages", "text", "vision", "audio", "video"]
ContentType = Literal["text", "image_url", "video_url", "audio_url", "file_url"]

#: Every request form, messages first.
FORMS: Final[tuple[Form, ...]] = ("messages", "text", "vision", "audio", "video")
#: Every content block type of the messages form (protocol doc 2.2), in the docs' order.
CONTENT_TYPES: Final[tuple[ContentType, ...]] = (
    "text",
    "image_url",
    "video_url",
    "audio_url",
    "file_url",
)
#: The body field that marks each form (protocol doc 2: the field present decides the form).
FORM_FIELD: Final[Mapping[Form, str]] = MappingProxyType(
    {
        "messages": "messages",
        "text": "prompt",
        "vision": "image_urls",
        "audio": "audio_url",
        "video": "video_urls",
    }
)
#: Roles accepted on the messages form (OpenAI Chat roles, protocol doc 2.2).
MESSAGE_ROLES: Final[frozenset[str]] = frozenset(
    {"system", "developer", "user", "assistant", "tool"}
)
#: ``prompt`` limit of the prompt forms (protocol doc 2.1).
MAX_PROMPT_CHARS: Final = 100_000
#: ``system_prompt`` limit of the prompt forms (protocol doc 2.1).
MAX_SYSTEM_PROMPT_CHARS: Final = 10_000
#: ``image_urls`` and ``video_urls`` take 1-10 items (protocol doc 2.1).
MAX_MEDIA_URLS: Final = 10

_MIB: Final = 1024 * 1024
# Slack for the JSON punctuation and small fields when estimating the body size cheaply.
_BODY_SLACK: Final = 1024

# Capability names of GET /v1/configs/llm_generations_models -> block type (protocol doc 6).
_CAPABILITY_CONTENT_TYPE: Final[Mapping[str, ContentType]] = MappingProxyType(
    {
        "text": "text",
        "vision": "image_url",
        "video": "video_url",
        "audio": "audio_url",
        "file": "file_url",
    }
)
# Messages-form block type -> top-level mime type its data URIs must have (protocol doc 2.2).
_BLOCK_DATA_KIND: Final[Mapping[str, str | None]] = MappingProxyType(
    {"image_url": "image", "video_url": "video", "audio_url": "audio", "file_url": None}
)
_CONTENT_TYPE_SET: Final[frozenset[str]] = frozenset(CONTENT_TYPES)
# Wire string -> ContentType, to narrow a block's ``type`` without casts.
_CONTENT_TYPE_BY_NAME: Final[Mapping[str, ContentType]] = MappingProxyType(
    {t: t for t in CONTENT_TYPES}
)
# Prompt media form -> the messages-form block that carries the same media (2.2).
_FORM_BLOCK: Final[Mapping[Form, ContentType]] = MappingProxyType(
    {"vision": "image_url", "audio": "audio_url", "video": "video_url"}
)
_PROMPT_FORM_FIELDS: Final = ("prompt", "system_prompt")
_MEDIA_FORM_FIELDS: Final[tuple[tuple[str, Form], ...]] = (
    # Precedence the docs suggest for an ambiguous body (protocol doc 2): audio > video > vision.
    ("audio_url", "audio"),
    ("video_urls", "video"),
    ("image_urls", "vision"),
)
_HTTP_URL: Final = re.compile(r"https?://[^\s/?#]", re.IGNORECASE)
_YOUTUBE: Final = re.compile(
    r"https?://(?:(?:www|m|music)\.)?(?:youtube\.com|youtu\.be)/", re.IGNORECASE
)
# Audio URLs longer than this are not parsed for an extension (real URLs are far shorter).
_MAX_URL_PARSE: Final = 8192


# --------------------------------------------------------------------------------------------
# Specs and the catalog
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    """What one model accepts, as documented (protocol doc 2.1-2.3).

    Attributes:
        name: Model id as sent in ``model``.
        family: ``"gpt"``, ``"claude"``, ``"gemini"``, ``"kimi"``, ``"nemotron"``, ...
        forms: Request forms the model accepts.
        content_types: Block types accepted on the messages form (empty without that form).
        audio_formats: Audio formats (keys of ``_media.AUDIO_MIME``); empty = no audio form.
        max_images: Most ``image_urls`` on the vision form.
        max_videos: Most ``video_urls`` on the video form (0 = no video form).
        max_tokens_required: ``max_tokens`` must be sent (claude-*).
        min_max_tokens: Smallest allowed ``max_tokens`` when sent (16 for gpt-5.x), or ``None``.
        thinking: A thinking model whose reasoning is visible only in the stream (kimi-k2.6).
        supports_tools: Accepts OpenAI ``tools`` (pass-through on the messages form).
        max_body_bytes: Limit on the whole body with inline media, or ``None``.
        context_window: Best public figure for the context window, in tokens.
        max_output_tokens: Best public figure for the output limit, in tokens.
        audio_mimes: If not empty, the only mimes allowed in an audio data URI (nemotron-3-nano-omni
            takes exactly ``audio/wav`` and ``audio/mpeg``, protocol doc 2.1).
        default_max_tokens: ``max_tokens`` sent when the caller gives none, for models whose
            server requires the field (claude-*: 8192, see ``CLAUDE_DEFAULT_MAX_TOKENS``), else
            ``None`` (the field is left out and the server decides).
    """

    name: str
    family: str
    forms: frozenset[Form]
    content_types: frozenset[ContentType]
    audio_formats: frozenset[str]
    max_images: int
    max_videos: int
    max_tokens_required: bool
    min_max_tokens: int | None
    thinking: bool
    supports_tools: bool
    max_body_bytes: int | None
    context_window: int
    max_output_tokens: int
    audio_mimes: frozenset[str] = frozenset()
    default_max_tokens: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("ModelSpec.name must be a non-empty string")
        # Accept any iterable of names but store frozensets, so specs stay hashable and immutable.
        for attr, allowed in (
            ("forms", frozenset(FORMS)),
            ("content_types", _CONTENT_TYPE_SET),
            ("audio_formats", frozenset(AUDIO_FORMATS)),
            ("audio_mimes", None),
        ):
            value = frozenset(getattr(self, attr))
            if allowed is not None and not value <= allowed:
                unknown = ", ".join(sorted(value - allowed))
                raise ValueError(f"ModelSpec {self.name}: unknown {attr}: {unknown}")
            object.__setattr__(self, attr, value)

    @property
    def takes_messages(self) -> bool:
        """Whether the model accepts the messages (llm-custom) form."""
        return "messages" in self.forms


class Catalog:
    """Known models; immutable; lookup by name.

    Iteration yields :class:`ModelSpec` objects sorted by name.

    Args:
        models: The specs; names must be unique.

    Raises:
        ValueError: On a duplicate model name.
        TypeError: If an item is not a :class:`ModelSpec`.
    """

    __slots__ = ("_by_name", "_names")

    def __init__(self, models: Iterable[ModelSpec]) -> None:
        by_name: dict[str, ModelSpec] = {}
        for spec in models:
            if not isinstance(spec, ModelSpec):
                raise TypeError(f"Catalog takes ModelSpec objects, got {type(spec).__name__}")
            if spec.name in by_name:
                raise ValueError(f"duplicate model in catalog: {spec.name}")
            by_name[spec.name] = spec
        self._names: tuple[str, ...] = tuple(sorted(by_name))
        self._by_name: Mapping[str, ModelSpec] = MappingProxyType(
            {name: by_name[name] for name in self._names}
        )

    def get(self, name: str) -> ModelSpec | None:
        """Return the spec of ``name``, or ``None`` if unknown."""
        return self._by_name.get(name)

    def __getitem__(self, name: str) -> ModelSpec:
        """Return the spec of ``name``.

        Raises:
            KeyError: If the model is unknown.
        """
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(name) from None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._by_name

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Catalog):
            return NotImplemented
        return self._by_name == other._by_name

    def __hash__(self) -> int:
        return hash(tuple(self._by_name.values()))

    def __repr__(self) -> str:
        return f"Catalog([{', '.join(self._names)}])"

    @property
    def names(self) -> tuple[str, ...]:
        """All model names, sorted."""
        return self._names

    def models_accepting(self, content_type: ContentType) -> tuple[str, ...]:
        """Names of the models that take ``content_type`` blocks on the messages form, sorted.

        Meant for error messages ("send audio_url blocks to one of ...").
        """
        return tuple(
            s.name
            for s in self._by_name.values()
            if s.takes_messages and content_type in s.content_types
        )

    def models_with_form(self, form: Form) -> tuple[str, ...]:
        """Names of the models that accept request form ``form``, sorted."""
        return tuple(s.name for s in self._by_name.values() if form in s.forms)

    def merged_with_live(self, payload: Mapping[str, Any]) -> Catalog:
        """Combine this catalog with the live model list of the token.

        ``payload`` is the JSON of ``GET /v1/configs/llm_generations_models`` (protocol doc 6),
        ``{"object": "list", "data": [{"id": ..., "capabilities": ["text", "vision"]}]}``, which
        lists the models this token may use on the messages form.

        - A listed known model keeps its rules; its ``capabilities`` (``text``, ``vision``,
          ``video``, ``audio``, ``file``) replace its ``content_types``, and since the endpoint
          lists messages-form models, it gains the messages form if it lacked it.
        - A listed unknown model gets a permissive messages-form spec derived from its
          capabilities (family from the name prefix; ``claude-*`` still requires ``max_tokens``
          and ``gpt-*`` still needs ``max_tokens >= 16``, as documented per family in 2.3).
        - An unlisted known model is dropped if it takes the messages form (the token cannot use
          it) but kept if it takes only prompt forms (gemini-2.5-pro, nemotron-3-nano-omni): the
          endpoint does not list those.

        Entries without a string ``id`` are skipped; a missing or non-list ``capabilities`` keeps
        the known content types (``text`` only for an unknown model).

        Args:
            payload: The decoded JSON response.

        Returns:
            A new catalog.

        Raises:
            ValueError: If ``payload`` has no ``data`` list.
        """
        data = payload.get("data") if isinstance(payload, Mapping) else None
        if not isinstance(data, list):
            raise ValueError(
                "not a model list: expected {'object': 'list', 'data': [...]} from "
                "GET /v1/configs/llm_generations_models"
            )
        merged: dict[str, ModelSpec] = {}
        for entry in data:
            if not isinstance(entry, Mapping):
                continue
            model_id = entry.get("id")
            if not isinstance(model_id, str) or not model_id or model_id in merged:
                continue
            capabilities = entry.get("capabilities")
            content_types = (
                _content_types_from_capabilities(capabilities)
                if isinstance(capabilities, list)
                else None
            )
            known = self.get(model_id)
            if known is None:
                merged[model_id] = _live_spec(model_id, content_types or frozenset({"text"}))
                continue
            forms: frozenset[Form] = known.forms | {"messages"}
            merged[model_id] = replace(
                known,
                forms=forms,
                content_types=known.content_types if content_types is None else content_types,
                supports_tools=known.supports_tools or not known.takes_messages,
            )
        for spec in self:
            if spec.name not in merged and not spec.takes_messages:
                merged[spec.name] = spec
        return Catalog(merged.values())


def _content_types_from_capabilities(capabilities: Sequence[Any]) -> frozenset[ContentType]:
    return frozenset(
        _CAPABILITY_CONTENT_TYPE[c]
        for c in capabilities
        if isinstance(c, str) and c in _CAPABILITY_CONTENT_TYPE
    )


# Family -> (context_window, max_output_tokens, max_tokens_required, min_max_tokens), for live
# models the static catalog does not know; per-family rules from protocol doc 2.3.
_FAMILY_DEFAULTS: Final[Mapping[str, tuple[int, int, bool, int | None]]] = MappingProxyType(
    {
        "gpt": (400_000, 128_000, False, 16),
        "claude": (200_000, 64_000, True, None),
        "gemini": (1_048_576, 65_536, False, None),
        "kimi": (262_144, 32_768, False, None),
        "nemotron": (128_000, 32_768, False, None),
    }
)
_UNKNOWN_FAMILY_DEFAULTS: Final = (128_000, 8_192, False, None)


def _live_spec(name: str, content_types: frozenset[ContentType]) -> ModelSpec:
    """A permissive spec for a model only the live list knows."""
    family = name.split("-", 1)[0].lower() or name.lower()
    context_window, max_output, required, min_tokens = _FAMILY_DEFAULTS.get(
        family, _UNKNOWN_FAMILY_DEFAULTS
    )
    forms: set[Form] = {"messages", "text"}
    if "image_url" in content_types:
        forms.add("vision")
    if "video_url" in content_types:
        forms.add("video")
    if "audio_url" in content_types:
        forms.add("audio")
    return ModelSpec(
        name=name,
        family=family,
        forms=frozenset(forms),
        content_types=content_types,
        audio_formats=frozenset(AUDIO_FORMATS) if "audio_url" in content_types else frozenset(),
        max_images=MAX_MEDIA_URLS if "image_url" in content_types else 0,
        max_videos=MAX_MEDIA_URLS if "video_url" in content_types else 0,
        max_tokens_required=required,
        min_max_tokens=min_tokens,
        thinking=False,
        supports_tools=True,
        max_body_bytes=None,
        context_window=context_window,
        max_output_tokens=max_output,
        default_max_tokens=min(CLAUDE_DEFAULT_MAX_TOKENS, max_output) if required else None,
    )


#: ``max_tokens`` sent to claude-* when the caller gives none: the server requires the field
#: (protocol doc 2.3). 8192 is below every claude output limit in the catalog and long enough for
#: ordinary answers; set ``max_tokens`` yourself for longer ones.
CLAUDE_DEFAULT_MAX_TOKENS: Final = 8192

_GEMINI_AUDIO: Final = frozenset({"wav", "mp3", "aiff", "aac", "ogg", "flac", "m4a"})


def _messages_model(
    name: str,
    family: str,
    content_types: Iterable[ContentType],
    *,
    context_window: int,
    max_output_tokens: int,
    media: bool = False,
    max_tokens_required: bool = False,
    min_max_tokens: int | None = None,
    thinking: bool = False,
) -> ModelSpec:
    """A whitelisted messages-form model (protocol doc 2.3); also takes text + vision prompts."""
    forms: frozenset[Form] = frozenset({"messages", "text", "vision"})
    if media:
        forms = forms | {"audio", "video"}
    return ModelSpec(
        name=name,
        family=family,
        forms=forms,
        content_types=frozenset(content_types),
        audio_formats=_GEMINI_AUDIO if media else frozenset(),
        max_images=MAX_MEDIA_URLS,
        max_videos=MAX_MEDIA_URLS if media else 0,
        max_tokens_required=max_tokens_required,
        min_max_tokens=min_max_tokens,
        thinking=thinking,
        supports_tools=True,
        max_body_bytes=None,
        context_window=context_window,
        max_output_tokens=max_output_tokens,
        default_max_tokens=(
            min(CLAUDE_DEFAULT_MAX_TOKENS, max_output_tokens) if max_tokens_required else None
        ),
    )


_GPT_BLOCKS: Final[tuple[ContentType, ...]] = ("text", "image_url")
_CLAUDE_BLOCKS: Final[tuple[ContentType, ...]] = ("text", "image_url", "file_url")

#: The ten documented models (protocol doc 2.1-2.3). The messages-form whitelist (8 models) also
#: takes the text and vision prompt forms; the gemini-3* models also the audio and video forms.
#: gemini-2.5-pro and nemotron-3-nano-omni take only the prompt forms (protocol doc 10).
DEFAULT_CATALOG: Final = Catalog(
    [
        # gpt-5.x: upstream Azure OpenAI rejects max_tokens < 16 (2.3).
        _messages_model(
            "gpt-5.4",
            "gpt",
            _GPT_BLOCKS,
            context_window=400_000,
            max_output_tokens=128_000,
            min_max_tokens=16,
        ),
        _messages_model(
            "gpt-5.5",
            "gpt",
            _GPT_BLOCKS,
            context_window=400_000,
            max_output_tokens=128_000,
            min_max_tokens=16,
        ),
        # kimi-k2.6: reasoning only over SSE, final content may be "" (4.3).
        _messages_model(
            "kimi-k2.6",
            "kimi",
            _GPT_BLOCKS,
            context_window=262_144,
            max_output_tokens=32_768,
            thinking=True,
        ),
        # claude-*: max_tokens is required (2.3); output figures are conservative.
        _messages_model(
            "claude-opus-4-6",
            "claude",
            _CLAUDE_BLOCKS,
            context_window=200_000,
            max_output_tokens=32_000,
            max_tokens_required=True,
        ),
        _messages_model(
            "claude-opus-4-7",
            "claude",
            _CLAUDE_BLOCKS,
            context_window=200_000,
            max_output_tokens=32_000,
            max_tokens_required=True,
        ),
        _messages_model(
            "claude-sonnet-4-6",
            "claude",
            _CLAUDE_BLOCKS,
            context_window=200_000,
            max_output_tokens=64_000,
            max_tokens_required=True,
        ),
        _messages_model(
            "gemini-3-pro-preview",
            "gemini",
            CONTENT_TYPES,
            context_window=1_048_576,
            max_output_tokens=65_536,
            media=True,
        ),
        _messages_model(
            "gemini-3.1-pro-preview",
            "gemini",
            CONTENT_TYPES,
            context_window=1_048_576,
            max_output_tokens=65_536,
            media=True,
        ),
        # Prompt forms only; the whole body with inline media must stay within 20 MB (2.1).
        ModelSpec(
            name="gemini-2.5-pro",
            family="gemini",
            forms=frozenset({"text", "vision", "audio", "video"}),
            content_types=frozenset(),
            audio_formats=_GEMINI_AUDIO,
            max_images=MAX_MEDIA_URLS,
            max_videos=MAX_MEDIA_URLS,
            max_tokens_required=False,
            min_max_tokens=None,
            thinking=False,
            supports_tools=False,
            max_body_bytes=20 * _MIB,
            context_window=1_048_576,
            max_output_tokens=65_536,
        ),
        # Prompt forms only; one image, one video, wav/mp3 with exact data-URI mimes (2.1).
        ModelSpec(
            name="nemotron-3-nano-omni",
            family="nemotron",
            forms=frozenset({"text", "vision", "audio", "video"}),
            content_types=frozenset(),
            audio_formats=frozenset({"wav", "mp3"}),
            max_images=1,
            max_videos=1,
            max_tokens_required=False,
            min_max_tokens=None,
            thinking=False,
            supports_tools=False,
            max_body_bytes=None,
            context_window=128_000,
            max_output_tokens=32_768,
            audio_mimes=frozenset({"audio/wav", "audio/mpeg"}),
        ),
    ]
)


# --------------------------------------------------------------------------------------------
# Form detection
# --------------------------------------------------------------------------------------------


class FormDetectionError(ValueError):
    """A body carries fields of several request forms, or of none.

    Attributes:
        fields: The form fields present, in precedence order (empty when there are none).
    """

    def __init__(self, message: str, fields: tuple[str, ...]) -> None:
        super().__init__(message)
        self.fields = fields

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.fields))


def _present(body: Mapping[str, Any], key: str) -> bool:
    # JSON null means "not sent" for every optional field of the docs (2.1).
    return body.get(key) is not None


def detect_form(body: Mapping[str, Any]) -> Form:
    """Tell which request form a wire body is.

    ``messages`` -> messages; ``audio_url`` -> audio; ``video_urls`` -> video; ``image_urls`` ->
    vision; ``prompt`` (or only ``system_prompt``) -> text (protocol doc 2). Fields whose value is
    ``None`` count as absent.

    Args:
        body: The JSON body to POST to ``/v1/llm/generations``.

    Returns:
        The form.

    Raises:
        FormDetectionError: (a ``ValueError``) if the body mixes forms, e.g. ``messages`` and
            ``prompt``, or ``image_urls`` and ``audio_url``: the client must send exactly one
            form per body and the emulator rejects mixes (protocol doc 10); or if it carries no
            form field at all.
    """
    messages = _present(body, "messages")
    media = [(key, form) for key, form in _MEDIA_FORM_FIELDS if _present(body, key)]
    prompt_fields = [key for key in _PROMPT_FORM_FIELDS if _present(body, key)]
    if (messages and (media or prompt_fields)) or len(media) > 1:
        # Name the conflicting fields: prompt/system_prompt only conflict with messages.
        fields = tuple(["messages"] if messages else []) + tuple(key for key, _ in media)
        if messages:
            fields += tuple(prompt_fields)
        raise FormDetectionError(
            f"the body mixes request forms ({', '.join(fields)}); send exactly one form: "
            "messages, or prompt with at most one of image_urls / audio_url / video_urls",
            fields,
        )
    if messages:
        return "messages"
    if media:
        return media[0][1]
    if prompt_fields:
        return "text"
    raise FormDetectionError(
        "the body has no request form: none of messages, prompt, image_urls, audio_url, "
        "video_urls is set",
        (),
    )
