"""The model catalog and the documented request rules, I/O free.

``POST /v1/llm/generations`` takes five request forms (protocol doc 2): the OpenAI-style
``messages`` form (llm-custom, 2.2) and four prompt forms, told apart by which body field is
present: ``prompt`` (text), ``image_urls`` (vision), ``audio_url`` (audio) and ``video_urls``
(video) (2.1). Which model takes which form, which content blocks and which media, is per model
(2.2, 2.3); this module records that in a :class:`Catalog` of :class:`ModelSpec` and checks a wire
body against it with :func:`check_body`.

:func:`check_body` is shared by the client (which raises before sending) and the emulator (which
answers 422 with the :attr:`Violation.code`), so both enforce the same reading of the docs, and it
runs on every request: it walks the body structure once, never copies a large string (inline
media can be 20 MB) and uses only module-level compiled patterns.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Final, Literal

from ._inline_media import InlineMedia
from ._media import (
    AUDIO_FORMATS,
    AUDIO_MIME,
    audio_format_from_mime,
    data_uri_header,
    format_from_extension,
    youtube_watch_url,
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
    "Surface",
    "Violation",
    "check_body",
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


# --------------------------------------------------------------------------------------------
# Body checks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One broken rule of a request body.

    Attributes:
        field: Wire field path, e.g. ``"max_tokens"``, ``"messages[1].content[0]"``,
            ``"image_urls"``, ``"audio_url"``.
        code: The server's 422 ``error.code`` this corresponds to (``model_not_supported``,
            ``model_not_found``, ``model_not_support_capability``, ``model_rule_violation``,
            ``invalid_param`` or ``invalid_request_error``).
        message: One sentence naming the model and what is wrong.
        fix: One sentence saying what to do.
    """

    field: str
    code: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} {self.fix}"


@dataclass(frozen=True)
class Surface:
    """How the user turns client-side checks off where they are, for the "fix" of a refusal.

    Each surface (the core client, ``ChatFoxAPI``, the LlamaIndex ``FoxAPI`` LLM, the CLI) has its
    own switch; a refusal must name only the one that exists where the user is.

    Attributes:
        skip_checks: A phrase completing "or ...", e.g. ``"pass validate=False to FoxAPIClient"``.
        split: How to ask for an audio recording in segments where the user is, completing
            "or ... to send it in segments" (``split=True`` in Python, ``--split`` in the CLI).
    """

    skip_checks: str
    split: str = "split=True (FoxAPIAudio and the audio loaders)"


#: The core client's switch; adapters and the CLI pass their own :class:`Surface`.
CORE_SURFACE: Final = Surface("pass validate=False to FoxAPIClient / AsyncFoxAPIClient")


def suggest_models(name: str, names: Iterable[str]) -> list[str]:
    """Known names close to ``name`` ("did you mean"), best first; case is ignored.

    Example:
        >>> suggest_models("Kimi-K2.6", DEFAULT_CATALOG.names)
        ['kimi-k2.6']
    """
    by_folded: dict[str, str] = {}
    for known in names:
        by_folded.setdefault(known.casefold(), known)
    folded = name.casefold()
    if folded in by_folded:
        return [by_folded[folded]]
    close = difflib.get_close_matches(folded, list(by_folded), n=3, cutoff=0.6)
    # A prefix ("kimi-k2" of "kimi-k2.6") is a near miss even when the ratio is low.
    prefixed = [k for k in by_folded if k.startswith(folded) and k not in close] if folded else []
    return [by_folded[k] for k in [*close, *prefixed][:3]]


def _short(value: Any) -> str:
    """A short repr for messages; never renders a large string in full."""
    if isinstance(value, str) and len(value) > 40:
        return repr(value[:40]) + "..."
    text = repr(value) if isinstance(value, (str, int, float, bool)) or value is None else ""
    return text if text and len(text) <= 60 else f"a {type(value).__name__}"


def _names(names: Iterable[str]) -> str:
    listed = ", ".join(names)
    return listed or "(none)"


def _mb(size: int) -> str:
    return f"{size / _MIB:.2f} MB"


class _Check:
    """State of one :func:`check_body` run."""

    __slots__ = ("catalog", "label", "out", "sizes")

    def __init__(self, catalog: Catalog, label: str) -> None:
        self.catalog = catalog
        self.label = label
        self.out: list[Violation] = []
        # Characters per top-level field, for the body-size rule (2.1).
        self.sizes: dict[str, int] = {}

    def add(self, field: str, code: str, message: str, fix: str) -> None:
        self.out.append(Violation(field, code, message, fix))

    def invalid(self, field: str, message: str, fix: str) -> None:
        self.add(field, "invalid_request_error", message, fix)

    def count(self, field: str, size: int) -> None:
        self.sizes[field] = self.sizes.get(field, 0) + size


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
    check = _Check(catalog, name or "this request")
    if name is None:
        check.invalid(
            "model",
            f"The request has no model (model is {_short(model)}); model must be a non-empty "
            "string.",
            f"Set model to one of {_names(catalog.names)}.",
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
        _check_messages(check, body, form_spec)
    elif form is not None:
        _check_prompt_form(check, body, form, form_spec)
    _check_tools(check, body, form, spec)
    if spec is not None and spec.max_body_bytes is not None:
        _check_body_size(check, spec.max_body_bytes, form, surface)
    return check.out


def _unknown_model(check: _Check, name: str, form: Form | None, surface: Surface) -> None:
    # The messages form answers model_not_supported for a non-whitelisted model (2.3, 10);
    # prompt forms answer model_not_found / no_available_model per vendor clients (2.3).
    known = check.catalog.models_with_form(form) if form is not None else check.catalog.names
    where = f" on the {form} form" if form is not None else ""
    near = suggest_models(name, known)
    guess = f" Did you mean {' or '.join(near)}?" if near else ""
    check.add(
        "model",
        "model_not_supported" if form == "messages" else "model_not_found",
        f"Model {name} is not in the catalog; known models{where}: {_names(known)}.{guess}",
        f"Use {near[0] if near else 'one of ' + _names(known)}, or {surface.skip_checks} "
        "if the service serves this model.",
    )


def _form_hint(spec: ModelSpec) -> str:
    """How to send a body in one of the prompt forms ``spec`` takes."""
    media = [FORM_FIELD[f] for f in ("vision", "audio", "video") if f in spec.forms]
    hint = "prompt/system_prompt"
    return f"{hint} (+ {'/'.join(media)})" if media else hint


def _form_not_accepted(check: _Check, spec: ModelSpec, form: Form) -> None:
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
    fix = f"Use a model that takes it ({_names(others)})"
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


def _check_scalars(check: _Check, body: Mapping[str, Any], spec: ModelSpec | None) -> None:
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
            f"max_tokens for {label} must be an integer >= 1, got {_short(max_tokens)}.",
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
                f"{key} for {label} must be a number from 0 to {high}, got {_short(value)}.",
                f"Set {key} within [0, {high}] or leave it out.",
            )

    for key in ("reasoning", "stream", "sync"):
        value = body.get(key)
        if value is not None and not isinstance(value, bool):
            check.invalid(
                key,
                f"{key} for {label} must be a boolean, got {_short(value)}.",
                f"Send {key} as true or false.",
            )


def _check_tools(
    check: _Check, body: Mapping[str, Any], form: Form | None, spec: ModelSpec | None
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
            f"Send the request on the messages form to one of {_names(capable)}.",
        )
    elif form == "messages" and spec is not None and not spec.supports_tools:
        check.add(
            "tools",
            "model_not_support_capability",
            f"{spec.name} does not support tools.",
            f"Use one of {_names(capable)} or remove tools.",
        )


# ---- media URLs ------------------------------------------------------------------------------


def _url_text(value: Any) -> str | None:
    """A media URL as text to check: the string itself, or an InlineMedia's header and first
    payload characters (its checks need no more); ``None`` for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, InlineMedia):
        return value.head()
    return None


def _url_length(value: Any) -> int:
    return value.uri_length if isinstance(value, InlineMedia) else len(value)


def _url_problem(url: str, kind: str | None) -> str | None:
    """Why ``url`` is not an http(s) URL or a base64 data URI of ``kind`` (None: any kind)."""
    if _HTTP_URL.match(url) is not None:
        return None
    if url[:5].lower() == "data:":
        header = data_uri_header(url)
        if header is None:
            return "is a malformed data URI (expected data:<type>/<subtype>;base64,<payload>)"
        if kind is not None and not header.mime.startswith(kind + "/"):
            return f"is a data URI of type {header.mime}, not {kind}/*"
        if not header.base64:
            return "is a data URI that is not base64 encoded"
        if header.payload_offset >= len(url):
            return "is a data URI with an empty payload"
        return None
    return "is neither an http(s) URL nor a base64 data URI"


def _url_fix(kind: str | None) -> str:
    example = f"data:{kind}/<type>;base64,<payload>" if kind else "data:<mime>;base64,<payload>"
    return f"Pass an http(s) URL or a {example} URI."


def _canonical_mime(fmt: str | None, spec: ModelSpec) -> str:
    mime = AUDIO_MIME.get(fmt) if fmt is not None else None
    return mime if mime in spec.audio_mimes and mime is not None else min(spec.audio_mimes)


def _audio_format_check(check: _Check, url: str, spec: ModelSpec, field: str, form: Form) -> None:
    """Per-model audio format rules (2.1): gemini formats, nemotron wav/mp3 and exact mimes."""
    accepted = [f for f in AUDIO_FORMATS if f in spec.audio_formats]
    if _HTTP_URL.match(url) is not None:
        if len(url) > _MAX_URL_PARSE:
            return
        fmt = format_from_extension(url)
        if fmt is None or fmt in spec.audio_formats:
            return  # no recognisable extension: let the server decide
        found = f"a .{fmt} file ({fmt})"
        convert = f"Convert the audio to {'/'.join(accepted)}"
    else:
        header = data_uri_header(url)
        if header is None:
            return  # reported by _url_problem
        fmt = audio_format_from_mime(header.mime)
        if spec.audio_mimes and header.mime not in spec.audio_mimes:
            mimes = " or ".join(sorted(spec.audio_mimes))
            if fmt in spec.audio_formats:
                # Right format, wrong spelling of the mime (e.g. audio/x-wav): nemotron says 422.
                check.add(
                    field,
                    "model_not_support_capability",
                    f"{spec.name} requires the audio data URI mime to be exactly {mimes}, "
                    f"found {header.mime}.",
                    f"Write the data URI as data:{_canonical_mime(fmt, spec)};base64,... "
                    f"(mime {mimes}).",
                )
                return
        elif fmt is not None and fmt in spec.audio_formats:
            return
        found = f"{header.mime} ({fmt or 'unknown format'})"
        convert = f"Convert to {'/'.join(accepted)}, pass an http(s) URL to such a file"
    if fmt is None:
        others: list[str] = []
    elif form == "messages":
        others = [
            s.name
            for s in check.catalog
            if s.name != spec.name
            and "audio_url" in s.content_types
            and s.takes_messages
            and fmt in s.audio_formats
        ]
    else:
        others = [
            s.name
            for s in check.catalog
            if s.name != spec.name and form in s.forms and fmt in s.audio_formats
        ]
    check.add(
        field,
        "model_not_support_capability",
        f"{spec.name} does not accept audio in {found}; it accepts {', '.join(accepted)}.",
        f"{convert}, or use {_names(others)}.",
    )


# ---- messages form ---------------------------------------------------------------------------


def _check_messages(check: _Check, body: Mapping[str, Any], spec: ModelSpec | None) -> None:
    label = check.label
    messages = body.get("messages")
    if not isinstance(messages, (list, tuple)) or not messages:
        check.invalid(
            "messages",
            f"messages for {label} must be a non-empty list of message objects, got "
            f"{_short(messages)}.",
            'Send messages as [{"role": "user", "content": "..."}].',
        )
        return
    stop = body.get("stop")
    if stop is not None and not (
        isinstance(stop, str)
        or (isinstance(stop, (list, tuple)) and all(isinstance(s, str) for s in stop))
    ):
        check.invalid(
            "stop",
            f"stop for {label} must be a string or a list of strings.",
            "Send stop as a string or a list of strings.",
        )
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            check.invalid(
                f"messages[{i}]",
                f"messages[{i}] for {label} must be an object, got {_short(message)}.",
                'Send each message as {"role": ..., "content": ...}.',
            )
            continue
        role = message.get("role")
        if not isinstance(role, str) or role not in MESSAGE_ROLES:
            check.invalid(
                f"messages[{i}].role",
                f"messages[{i}].role for {label} must be one of "
                f"{', '.join(sorted(MESSAGE_ROLES))}, got {_short(role)}.",
                "Set role to system, developer, user, assistant or tool.",
            )
        content = message.get("content")
        if content is None:
            # OpenAI semantics: an assistant turn that only calls tools has no content.
            if not (
                role == "assistant" and (message.get("tool_calls") or message.get("function_call"))
            ):
                check.invalid(
                    f"messages[{i}].content",
                    f"messages[{i}] for {label} has no content.",
                    "Give the message a string or a list of content blocks (only an assistant "
                    "message with tool_calls may omit it).",
                )
        elif role == "user" and (
            (isinstance(content, str) and not content.strip())
            or (isinstance(content, (list, tuple)) and not content)
        ):
            # Upstream models refuse (or answer nothing to) an empty turn, and it is billed.
            check.invalid(
                f"messages[{i}].content",
                f"messages[{i}] for {label} is a user message with empty content.",
                "Give the user message some text or content blocks, or leave it out.",
            )
        elif isinstance(content, str):
            check.count("messages", len(content))
        elif isinstance(content, (list, tuple)):
            for j, block in enumerate(content):
                _check_block(check, i, j, block, spec)
        else:
            check.invalid(
                f"messages[{i}].content",
                f"messages[{i}].content for {label} must be a string or a list of blocks, got "
                f"{_short(content)}.",
                "Send content as a string or a list of content blocks.",
            )


def _check_block(check: _Check, i: int, j: int, block: Any, spec: ModelSpec | None) -> None:
    label = check.label
    if not isinstance(block, Mapping):
        path = f"messages[{i}].content[{j}]"
        check.invalid(
            path,
            f"{path} for {label} must be a content block object, got {_short(block)}.",
            'Send blocks like {"type": "text", "text": "..."}.',
        )
        return
    raw_type = block.get("type")
    if not isinstance(raw_type, str):
        path = f"messages[{i}].content[{j}].type"
        check.invalid(
            path,
            f"{path} for {label} is missing or not a string.",
            f"Set type to one of {', '.join(CONTENT_TYPES)}.",
        )
        return
    btype = _CONTENT_TYPE_BY_NAME.get(raw_type)
    if btype is None:
        # An unknown block type is an unsupported content type for every model (2.2, 10).
        path = f"messages[{i}].content[{j}]"
        check.add(
            path,
            "model_not_support_capability",
            f"{label} got a content block of type {_short(raw_type)}, which FoxAPI does not know.",
            f"Use one of the block types {', '.join(CONTENT_TYPES)}.",
        )
        return
    if spec is not None and btype not in spec.content_types:
        # Protocol doc 2.2 content table; 422 model_not_support_capability (decided in 10).
        path = f"messages[{i}].content[{j}]"
        accepted = [t for t in CONTENT_TYPES if t in spec.content_types]
        check.add(
            path,
            "model_not_support_capability",
            f"{spec.name} does not accept {btype} content blocks on the messages form "
            f"(it accepts {_names(accepted)}).",
            f"Send {btype} blocks to one of "
            f"{_names(check.catalog.models_accepting(btype))}, or remove the block.",
        )
    if btype == "text":
        text = block.get("text")
        if not isinstance(text, str):
            path = f"messages[{i}].content[{j}].text"
            check.invalid(
                path,
                f"{path} for {label} must be a string, got {_short(text)}.",
                'Send text blocks as {"type": "text", "text": "..."}.',
            )
        else:
            check.count("messages", len(text))
        return
    inner = block.get(btype)
    url = inner.get("url") if isinstance(inner, Mapping) else None
    if not isinstance(url, str) or not url:
        path = f"messages[{i}].content[{j}].{btype}"
        check.invalid(
            path,
            f"{path} for {label} must be an object with a non-empty url string.",
            f'Send {{"type": "{btype}", "{btype}": {{"url": "..."}}}}.',
        )
        return
    check.count("messages", len(url))
    kind = _BLOCK_DATA_KIND[btype]
    problem = _url_problem(url, kind)
    if problem is not None:
        path = f"messages[{i}].content[{j}].{btype}.url"
        check.invalid(path, f"{path} for {label} {problem}.", _url_fix(kind))
        return
    if btype == "audio_url" and spec is not None and spec.audio_formats:
        _audio_format_check(
            check, url, spec, f"messages[{i}].content[{j}].audio_url.url", "messages"
        )


# ---- prompt forms ----------------------------------------------------------------------------


def _check_prompt_form(
    check: _Check, body: Mapping[str, Any], form: Form, spec: ModelSpec | None
) -> None:
    label = check.label
    prompt = body.get("prompt")
    if prompt is None:
        if form != "audio":  # audio falls back to "Please transcribe this audio file" (2.1)
            check.invalid(
                "prompt",
                f"prompt is required on the {form} form for {label}.",
                "Set prompt to a non-empty string.",
            )
    elif not isinstance(prompt, str) or not prompt:
        check.invalid(
            "prompt",
            f"prompt for {label} must be a non-empty string, got {_short(prompt)}.",
            "Set prompt to a non-empty string"
            + (" or leave it out for a transcription." if form == "audio" else "."),
        )
    else:
        check.count("prompt", len(prompt))
        if len(prompt) > MAX_PROMPT_CHARS:
            check.invalid(
                "prompt",
                f"prompt for {label} has {len(prompt):,} characters, over the "
                f"{MAX_PROMPT_CHARS:,}-character limit.",
                f"Shorten the prompt to at most {MAX_PROMPT_CHARS:,} characters or split the task.",
            )
    system_prompt = body.get("system_prompt")
    if system_prompt is not None:
        if not isinstance(system_prompt, str):
            check.invalid(
                "system_prompt",
                f"system_prompt for {label} must be a string, got {_short(system_prompt)}.",
                "Send system_prompt as a string or leave it out.",
            )
        else:
            check.count("system_prompt", len(system_prompt))
            if len(system_prompt) > MAX_SYSTEM_PROMPT_CHARS:
                check.invalid(
                    "system_prompt",
                    f"system_prompt for {label} has {len(system_prompt):,} characters, over "
                    f"the {MAX_SYSTEM_PROMPT_CHARS:,}-character limit.",
                    f"Shorten system_prompt to at most {MAX_SYSTEM_PROMPT_CHARS:,} characters.",
                )
    if form == "vision":
        _check_url_list(check, body, "image_urls", "image", spec)
    elif form == "video":
        _check_url_list(check, body, "video_urls", "video", spec)
    elif form == "audio":
        _check_audio(check, body, spec)


def _check_url_list(
    check: _Check, body: Mapping[str, Any], field: str, kind: str, spec: ModelSpec | None
) -> None:
    label = check.label
    urls = body.get(field)
    if not isinstance(urls, (list, tuple)):
        check.invalid(
            field,
            f"{field} for {label} must be a list of URL strings, got {_short(urls)}.",
            f'Send {field} as a list, e.g. ["https://..."].',
        )
        return
    if not 1 <= len(urls) <= MAX_MEDIA_URLS:
        check.invalid(
            field,
            f"{field} for {label} has {len(urls)} items; it takes 1 to {MAX_MEDIA_URLS}.",
            f"Send 1 to {MAX_MEDIA_URLS} {kind}s per request.",
        )
    total = 0
    for i, item in enumerate(urls):
        url = _url_text(item)
        if url is None:
            check.invalid(
                f"{field}[{i}]",
                f"{field}[{i}] for {label} must be a string, got {_short(item)}.",
                _url_fix(kind),
            )
            continue
        total += _url_length(item)
        problem = _url_problem(url, kind)
        if problem is not None:
            check.invalid(f"{field}[{i}]", f"{field}[{i}] for {label} {problem}.", _url_fix(kind))
            continue
        if kind == "video" and url[:4].lower() == "http" and len(url) <= _MAX_URL_PARSE:
            _check_youtube(check, f"{field}[{i}]", url, spec)
    check.count(field, total)
    if spec is None:
        return
    limit = spec.max_images if kind == "image" else spec.max_videos
    # Past the general 1-10 limit (reported above) only a stricter model limit adds news.
    if len(urls) > limit and limit < MAX_MEDIA_URLS:
        # nemotron-3-nano-omni: a single image / a single video, more -> 422 (2.1).
        form: Form = "vision" if kind == "image" else "video"
        others = [
            s.name
            for s in check.catalog
            if form in s.forms and (s.max_images if kind == "image" else s.max_videos) >= len(urls)
        ]
        what = f"a single {kind}" if limit == 1 else f"at most {limit} {kind}s"
        per = f"one {kind} per request" if limit == 1 else f"at most {limit} {kind}s per request"
        check.add(
            field,
            "model_rule_violation",
            f"{spec.name} accepts {what} per request; got {len(urls)}.",
            f"Send {per} or use {_names(others)}.",
        )


def _check_youtube(check: _Check, field: str, url: str, spec: ModelSpec | None) -> None:
    watch = youtube_watch_url(url)
    if watch is not None:
        # Shorts links are rejected upstream with 422 (2.1).
        check.add(
            field,
            "model_rule_violation",
            f"{check.label} got a YouTube Shorts link, which the upstream rejects.",
            f"Rewrite it to {watch}.",
        )
        return
    if spec is not None and spec.family != "gemini" and _YOUTUBE.match(url) is not None:
        # YouTube links are accepted by the Gemini family only (2.1).
        gemini = [s.name for s in check.catalog if s.family == "gemini" and "video" in s.forms]
        check.add(
            field,
            "model_not_support_capability",
            f"{spec.name} does not accept YouTube links; only Gemini models do.",
            f"Pass a direct .mp4/.mov/.webm URL or a data:video URI, or use {_names(gemini)}.",
        )


def _check_audio(check: _Check, body: Mapping[str, Any], spec: ModelSpec | None) -> None:
    label = check.label
    value = body.get("audio_url")
    if isinstance(value, (list, tuple)):
        check.invalid(
            "audio_url",
            f"audio_url for {label} must be a single string, not a list (one audio per request).",
            "Send one audio_url string; split several recordings into several requests.",
        )
        return
    url = _url_text(value)
    if not url:
        check.invalid(
            "audio_url",
            f"audio_url for {label} must be a non-empty string, got {_short(value)}.",
            _url_fix("audio"),
        )
        return
    check.count("audio_url", _url_length(value))
    problem = _url_problem(url, "audio")
    if problem is not None:
        check.invalid("audio_url", f"audio_url for {label} {problem}.", _url_fix("audio"))
        return
    if spec is not None and spec.audio_formats:
        _audio_format_check(check, url, spec, "audio_url", "audio")


def _check_body_size(check: _Check, limit: int, form: Form | None, surface: Surface) -> None:
    # gemini-2.5-pro: prompt + system prompt + inline files <= 20 MB (2.1). Estimated from the
    # lengths of the big strings plus slack instead of serialising a 20 MB body again.
    if not check.sizes:
        return
    total = sum(check.sizes.values()) + _BODY_SLACK
    if total <= limit:
        return
    field = max(check.sizes, key=lambda key: check.sizes[key])
    # Every way out that exists where the user is: a URL, segments (audio only), a model
    # that takes the same form without the limit.
    ways = ["pass an http(s) URL instead of inline data"]
    if field == "audio_url":
        ways.append(f"{surface.split} to send the recording in segments")
    else:
        ways.append("send smaller files")
    unlimited = [
        s.name
        for s in check.catalog
        if form is not None and form in s.forms and s.max_body_bytes is None
    ]
    if unlimited:
        ways.append(f"use a model without this limit ({_names(unlimited)})")
    check.add(
        field,
        "model_rule_violation",
        f"The request body for {check.label} is about {_mb(total)}, over the "
        f"{limit / _MIB:g} MB limit for inline media.",
        _sentence(", ".join(ways[:-1]) + ", or " + ways[-1]),
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
