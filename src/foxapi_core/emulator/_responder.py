"""Deterministic, request-aware answers: what the emulated model "says".

Pure functions, no I/O: :func:`respond` turns a request body (any of the five submit forms of
protocol doc section 2, or an OpenAI chat body) into an :class:`Answer`;
:mod:`._answer_wire` renders it as ``chat.completion`` / ``chat.completion.chunk`` JSON. The
same body always gives the same answer, so tests can assert on content, and the answer reflects
the request (echoed prompt, tool arguments read from the prompt, JSON matching a requested schema)
so agent loops and structured-output parsers finish.

Tokens are counted as whitespace-separated words, everywhere (prompt, completion, ``max_tokens``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import re
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .._media import format_from_extension, sniff_audio_format

__all__ = ["TOKEN", "Answer", "ToolCall", "Usage", "respond", "split_tokens"]

FinishReason = Literal["stop", "length", "tool_calls"]

# Doc section 2.1: the audio form's implicit prompt when none is sent.
DEFAULT_AUDIO_PROMPT = "Please transcribe this audio file"
# Upper bound for the answer-length knobs: benchmarks want long answers, not unbounded memory.
MAX_ANSWER_WORDS = 200_000
EXCERPT_WORDS = 20

_WORDS_KNOB = re.compile(r"\[\[words:(\d+)\]\]", re.IGNORECASE)
_WORDS_ASK = re.compile(r"\brespond with (\d+) words\b", re.IGNORECASE)
TOKEN = re.compile(r"\s*\S+\s*")
_INT = re.compile(r"(?<![\w.])-?\d+(?![\w]|\.\d)")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
_QUOTED = re.compile(r"\"([^\"]+)\"|'([^']+)'|“([^”]+)”")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_FILLER = ["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"]
# Words of the emulated transcriptions, picked by the bytes of a hash of the audio.
_VOCABULARY = tuple(
    "amber birch cedar delta ember fjord glade harbor island jasper kestrel lagoon meadow "  # noqa: SIM905
    "nectar orchid pebble quartz river saffron thistle umber valley willow yarrow zephyr "
    "breeze canyon dune echo forest grove hollow".split()
)
# Sensible strings for property names that structured-output tests commonly use.
_NAMED_STRINGS = {
    "setup": "Why did the cat sit on the computer?",
    "punchline": "To keep an eye on the mouse.",
    "joke": "Why did the cat sit on the computer? To keep an eye on the mouse.",
    "answer": "The emulated answer.",
    "justification": "It follows from the question.",
    "location": "San Francisco",
    "city": "San Francisco",
}
_FORMAT_STRINGS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_MAX_SCHEMA_DEPTH = 8
# json.dumps(obj, **options) builds a new JSONEncoder per call; the emulator encodes on every
# request (and every chunk of a stream), so one configured encoder is shared.


@dataclass(frozen=True)
class ToolCall:
    """One function call of an answer; ``arguments`` is JSON text, as on the wire."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Usage:
    """Token counts (words) of one answer."""

    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Answer:
    """What the emulated model produces for one request.

    ``reasoning`` is non-empty only for thinking models (doc section 4.3); ``content`` is ``""``
    when the answer is a set of tool calls.
    """

    model: str
    content: str
    usage: Usage
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: FinishReason = "stop"


@dataclass
class _Input:
    """What the responder reads from a request, whatever its form."""

    model: str
    last_user_text: str = ""
    texts: list[str] = field(default_factory=list)
    images: int = 0
    videos: int = 0
    files: int = 0
    audios: list[str] = field(default_factory=list)
    tool_result: str | None = None
    audio_form_default_prompt: bool = False


# --------------------------------------------------------------------------------------------
# Reading the request
# --------------------------------------------------------------------------------------------


def _block_text(content: Any, into: _Input) -> str:
    """Text of a message ``content`` (string or list of blocks), counting media blocks."""
    if isinstance(content, str):
        return content
    if not isinstance(content, Sequence):
        return ""
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
            continue
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif kind == "image_url":
            into.images += 1
        elif kind == "video_url":
            into.videos += 1
        elif kind == "file_url":
            into.files += 1
        elif kind == "audio_url":
            into.audios.append(_block_url(block, "audio_url"))
    return "\n".join(parts)


def _block_url(block: Mapping[str, Any], key: str) -> str:
    inner = block.get(key)
    if isinstance(inner, Mapping):
        url = inner.get("url")
        return url if isinstance(url, str) else ""
    return inner if isinstance(inner, str) else ""


def _read_messages(body: Mapping[str, Any], into: _Input) -> None:
    messages = body.get("messages")
    if not isinstance(messages, Sequence) or isinstance(messages, str):
        return
    last_user: str | None = None
    last_text = ""
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        text = _block_text(message.get("content"), into)
        into.texts.append(text)
        for call in message.get("tool_calls") or ():
            if isinstance(call, Mapping) and isinstance(call.get("function"), Mapping):
                into.texts.append(str(call["function"].get("arguments", "")))
        if message.get("role") == "user":
            last_user = text
        last_text = text
    into.last_user_text = last_user if last_user is not None else last_text
    if messages and isinstance(messages[-1], Mapping) and messages[-1].get("role") == "tool":
        into.tool_result = last_text


def _read_prompt_form(body: Mapping[str, Any], into: _Input) -> None:
    # Doc section 2.1: system_prompt is prepended to the context; it counts as input.
    system = body.get("system_prompt")
    if isinstance(system, str):
        into.texts.append(system)
    prompt = body.get("prompt")
    audio = body.get("audio_url")
    if isinstance(audio, str):
        into.audios.append(audio)
        if not isinstance(prompt, str) or prompt.strip() in ("", DEFAULT_AUDIO_PROMPT):
            into.audio_form_default_prompt = True
            prompt = DEFAULT_AUDIO_PROMPT
    images = body.get("image_urls")
    if isinstance(images, Sequence) and not isinstance(images, str):
        into.images += len(images)
    videos = body.get("video_urls")
    if isinstance(videos, Sequence) and not isinstance(videos, str):
        into.videos += len(videos)
    if isinstance(prompt, str):
        into.texts.append(prompt)
        into.last_user_text = prompt


def _read(body: Mapping[str, Any]) -> _Input:
    model = body.get("model")
    into = _Input(model=model if isinstance(model, str) else "unknown-model")
    if body.get("messages") is not None:
        _read_messages(body, into)
    else:
        _read_prompt_form(body, into)
    return into


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------


def _count(text: str) -> int:
    return len(text.split())


def _excerpt(text: str, limit: int = EXCERPT_WORDS) -> str:
    words = _WORDS_KNOB.sub(" ", text).split()
    excerpt = " ".join(words[:limit])
    return excerpt + (" ..." if len(words) > limit else "")


def _requested_words(inp: _Input, default: int | None) -> int | None:
    for text in (inp.last_user_text, *inp.texts):
        match = _WORDS_KNOB.search(text) or _WORDS_ASK.search(text)
        if match:
            return min(int(match.group(1)), MAX_ANSWER_WORDS)
    return None if default is None else min(default, MAX_ANSWER_WORDS)


def _fit_words(text: str, target: int) -> str:
    words = text.split()
    if len(words) < target:
        words.extend(_FILLER[i % len(_FILLER)] for i in range(target - len(words)))
    return " ".join(words[:target])


def _data_uri_size(url: str) -> int | None:
    """Decoded byte size of a base64 ``data:`` URI, computed without decoding it."""
    if not url.startswith("data:") or ";base64," not in url[:200]:
        return None
    # Inline media can be 20 MB (doc section 2.1): measure, do not slice a copy.
    length = len(url) - url.find(",") - 1
    return max(0, length * 3 // 4 - url[-2:].count("="))


def _audio_facts(url: str, digest: bytes) -> str:
    """What the emulator can tell from the audio itself: its format (by content), a WAV's
    duration and a content hash, so tests can prove which bytes arrived."""
    if url.startswith("data:") and ";base64," in url[:200]:
        start = url.find(",") + 1
        try:
            head = base64.b64decode(url[start : start + 1024])
        except ValueError:
            head = b""
        fmt = sniff_audio_format(head) or "unknown format"
        facts = [fmt]
        if fmt == "wav":
            with (
                contextlib.suppress(wave.Error, EOFError, ValueError),
                wave.open(io.BytesIO(head)) as wav,
            ):
                facts.append(f"{wav.getnframes() / wav.getframerate():.3f} s")
    else:
        facts = [format_from_extension(url) or "unknown format", "from URL"]
    facts.append(f"sha256:{digest.hex()[:8]}")
    return ", ".join(facts)


def _transcription(url: str) -> str:
    """A sentence derived from a hash of the audio, so different files read differently,
    preceded by the facts the audio itself gives away."""
    digest = hashlib.sha256(url.encode("utf-8", "surrogatepass")).digest()
    words = " ".join(_VOCABULARY[b % len(_VOCABULARY)] for b in digest[:10]).capitalize()
    return f"({_audio_facts(url, digest)}) {words}."


def _media_notes(inp: _Input) -> list[str]:
    notes: list[str] = []
    if inp.images:
        notes.append(f"I see {inp.images} image{'s' if inp.images != 1 else ''}.")
    if inp.videos:
        notes.append(f"I watched {inp.videos} video{'s' if inp.videos != 1 else ''}.")
    if inp.files:
        notes.append(f"I read {inp.files} file{'s' if inp.files != 1 else ''}.")
    for url in inp.audios:
        size = _data_uri_size(url)
        where = f"({size} bytes)" if size is not None else "(from URL)"
        notes.append(f"Transcript of the audio {where}: {_transcription(url)}")
    return notes


def _truncate_at_stop(text: str, stop: Any) -> str:
    stops = [stop] if isinstance(stop, str) else stop if isinstance(stop, Sequence) else []
    cut = len(text)
    for item in stops:
        if isinstance(item, str) and item:
            found = text.find(item)
            if 0 <= found < cut:
                cut = found
    return text[:cut]


def split_tokens(text: str, size: int) -> list[str]:
    """Pieces of ``size`` words each whose concatenation is exactly ``text``."""
    if not text:
        return []
    tokens = TOKEN.findall(text) or [text]
    step = max(1, size)
    return ["".join(tokens[i : i + step]) for i in range(0, len(tokens), step)]


# --------------------------------------------------------------------------------------------
# Values from JSON schemas (tool arguments, response_format)
# --------------------------------------------------------------------------------------------


class _SchemaFiller:
    """Builds an instance of a JSON schema, taking values from the user's text in order."""

    def __init__(self, text: str, root: Mapping[str, Any]) -> None:
        self.text = text
        self.root = root
        self.ints = [int(m) for m in _INT.findall(text)]
        self.numbers = [m for m in _NUMBER.findall(text)]
        self.quoted = [next(g for g in m if g) for m in _QUOTED.findall(text)]
        self.phrase = _excerpt(text, 6).rstrip(" .?!") or "emulated value"

    def _resolve(self, schema: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/") and depth < _MAX_SCHEMA_DEPTH:
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, Mapping) else {}
            merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            return self._resolve(merged, depth + 1)
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, Sequence) and options:
                chosen = next(
                    (o for o in options if isinstance(o, Mapping) and o.get("type") != "null"),
                    options[0],
                )
                rest = {k: v for k, v in schema.items() if k != key}
                return self._resolve({**rest, **chosen}, depth + 1)
        all_of = schema.get("allOf")
        if isinstance(all_of, Sequence) and all_of:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in all_of:
                if isinstance(part, Mapping):
                    merged.update(self._resolve(part, depth + 1))
            return merged
        return schema

    def value(self, schema: Mapping[str, Any], name: str = "", depth: int = 0) -> Any:
        """An instance of ``schema`` for a property called ``name``."""
        schema = self._resolve(schema, depth)
        if depth > _MAX_SCHEMA_DEPTH:
            return None
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, Sequence) and not isinstance(enum, str) and enum:
            return enum[0]
        kind = schema.get("type")
        if isinstance(kind, Sequence) and not isinstance(kind, str):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else ""
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            items = schema.get("items")
            count = max(1, _as_int(schema.get("minItems"), 1))
            count = min(count, _as_int(schema.get("maxItems"), count))
            item_schema = items if isinstance(items, Mapping) else {}
            return [self.value(item_schema, name, depth + 1) for _ in range(count)]
        if kind == "integer":
            return self._bounded(schema, self.ints.pop(0) if self.ints else 1)
        if kind == "number":
            raw = self.numbers.pop(0) if self.numbers else "1"
            return self._bounded(schema, float(raw) if "." in raw else int(raw))
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(schema, name)

    def object(self, schema: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
        """Required properties, plus the optional ones the user's text names."""
        props = schema.get("properties")
        if not isinstance(props, Mapping):
            return {}
        required = schema.get("required")
        wanted = (
            {r for r in required if isinstance(r, str)} if isinstance(required, list) else set()
        )
        lowered = self.text.casefold()
        result: dict[str, Any] = {}
        # Required first, so they get the first numbers and quoted strings of the text.
        ordered = [p for p in props if p in wanted] + [p for p in props if p not in wanted]
        for prop in ordered:
            if prop in wanted or _mentions(lowered, str(prop).casefold()):
                sub = props[prop]
                result[prop] = self.value(sub if isinstance(sub, Mapping) else {}, prop, depth + 1)
        return {p: result[p] for p in props if p in result}

    def _bounded(self, schema: Mapping[str, Any], value: int | float) -> int | float:
        low, high = schema.get("minimum"), schema.get("maximum")
        if isinstance(low, int | float) and value < low:
            value = low
        if isinstance(high, int | float) and value > high:
            value = high
        return value

    def _string(self, schema: Mapping[str, Any], name: str) -> str:
        assigned = re.search(
            rf"(?<![\w]){re.escape(name)}\s*[=:]\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s,;)]+))",
            self.text,
        )
        if name and assigned:
            value = next(g for g in assigned.groups() if g is not None)
        elif isinstance(schema.get("format"), str) and schema["format"] in _FORMAT_STRINGS:
            value = _FORMAT_STRINGS[schema["format"]]
        elif name.casefold() in _NAMED_STRINGS:
            value = _NAMED_STRINGS[name.casefold()]
        elif self.quoted:
            value = self.quoted.pop(0)
        else:
            value = self.phrase
        min_len, max_len = schema.get("minLength"), schema.get("maxLength")
        if isinstance(min_len, int) and len(value) < min_len:
            value = value.ljust(min_len, "x")
        if isinstance(max_len, int):
            value = value[:max_len]
        return value


def _as_int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _mentions(lowered_text: str, lowered_name: str) -> bool:
    """Whether a (possibly non-ASCII) name occurs in the text as a whole word."""
    if not lowered_name:
        return False
    pattern = rf"(?<![\w]){re.escape(lowered_name)}(?![\w])"
    return re.search(pattern, lowered_text) is not None


# --------------------------------------------------------------------------------------------
# Tools and response formats
# --------------------------------------------------------------------------------------------


def _functions(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    tools = body.get("tools")
    if not isinstance(tools, Sequence) or isinstance(tools, str):
        return []
    found: list[Mapping[str, Any]] = []
    for tool in tools:
        if not isinstance(tool, Mapping):
            continue
        fn = tool.get("function")
        if isinstance(fn, Mapping) and isinstance(fn.get("name"), str):
            found.append(fn)
    return found


def _chosen_functions(
    body: Mapping[str, Any], functions: list[Mapping[str, Any]], text: str
) -> list[Mapping[str, Any]]:
    choice = body.get("tool_choice")
    if isinstance(choice, Mapping):
        # OpenAI Chat shape {"type":"function","function":{"name":X}}; also the flat {"name":X}.
        inner = choice.get("function")
        name = inner.get("name") if isinstance(inner, Mapping) else choice.get("name")
        if isinstance(name, str):
            named = [f for f in functions if f.get("name") == name]
            return named[:1] or [{"name": name}]
    lowered = text.casefold()
    mentioned = [f for f in functions if _mentions(lowered, str(f["name"]).casefold())]
    selected = mentioned or functions[:1]
    if body.get("parallel_tool_calls") is False:
        selected = selected[:1]
    return selected


def _tool_calls(
    body: Mapping[str, Any], inp: _Input, functions: list[Mapping[str, Any]]
) -> tuple[ToolCall, ...]:
    calls: list[ToolCall] = []
    filler = _SchemaFiller(inp.last_user_text, {})
    for index, fn in enumerate(_chosen_functions(body, functions, inp.last_user_text)):
        params = fn.get("parameters")
        args: dict[str, Any] = {}
        if isinstance(params, Mapping):
            filler.root = params
            args = filler.object(filler._resolve(params, 0))
        arguments = json.dumps(args, ensure_ascii=False)
        seed = f"{inp.model}\x00{fn['name']}\x00{index}\x00{arguments}\x00{inp.last_user_text}"
        call_id = "call_" + hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        calls.append(ToolCall(id=call_id, name=str(fn["name"]), arguments=arguments))
    return tuple(calls)


def _formatted_content(body: Mapping[str, Any], inp: _Input) -> str | None:
    fmt = body.get("response_format")
    if not isinstance(fmt, Mapping):
        return None
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        if isinstance(schema, Mapping):
            return json.dumps(_SchemaFiller(inp.last_user_text, schema).value(schema))
        return json.dumps({"answer": _excerpt(inp.last_user_text)})
    if fmt.get("type") == "json_object":
        # JSON mode promises only "some JSON object"; prompts name the keys they want
        # ("... with 'setup' and 'punchline' keys"), so answer with those when they are quoted.
        keys = [
            key
            for match in _QUOTED.finditer(inp.last_user_text)
            for key in match.groups()
            if key and _IDENTIFIER.fullmatch(key)
        ]
        if not keys:
            return json.dumps({"answer": f"Emulated answer from {inp.model}."})
        return json.dumps(
            {key: _NAMED_STRINGS.get(key.lower(), _excerpt(inp.last_user_text)) for key in keys}
        )
    return None


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def respond(
    body: Mapping[str, Any], *, thinking: bool = False, answer_words: int | None = None
) -> Answer:
    """The deterministic answer to a request body.

    Args:
        body: A submit body of any form (doc section 2) or an OpenAI chat body.
        thinking: Whether the model is a thinking model (doc section 4.3): the answer then has
            reasoning text, streamed before the content.
        answer_words: Default content length in words; a ``[[words:N]]`` knob or "Respond with
            N words" in the prompt takes precedence.

    Returns:
        The answer; ``finish_reason`` is ``"tool_calls"``, ``"length"`` (``max_tokens`` cut it)
        or ``"stop"``.
    """
    inp = _read(body)
    excerpt = _excerpt(inp.last_user_text)
    reasoning = ""
    if thinking:
        topic = excerpt.rstrip(" .!?") or "an empty prompt"
        reasoning = (
            f"Thinking about: {topic}. The user wants a reply from {inp.model}; "
            "I will answer directly and keep it short."
        )
    functions = _functions(body)
    tool_calls: tuple[ToolCall, ...] = ()
    finish: FinishReason = "stop"
    content = ""
    if functions and inp.tool_result is None and body.get("tool_choice") != "none":
        tool_calls = _tool_calls(body, inp, functions)
        finish = "tool_calls"
    else:
        content, finish = _text_content(body, inp, excerpt, answer_words)
    completion_words = _count(content) + _count(reasoning)
    completion_words += sum(_count(c.name) + _count(c.arguments) for c in tool_calls)
    usage = Usage(
        prompt_tokens=max(1, sum(_count(t) for t in inp.texts)),
        completion_tokens=completion_words,
        reasoning_tokens=_count(reasoning),
    )
    return Answer(
        model=inp.model,
        content=content,
        usage=usage,
        reasoning=reasoning,
        tool_calls=tool_calls,
        finish_reason=finish,
    )


def _text_content(
    body: Mapping[str, Any], inp: _Input, excerpt: str, answer_words: int | None
) -> tuple[str, FinishReason]:
    content = _formatted_content(body, inp)
    if content is None:
        if inp.tool_result is not None:
            content = (
                f"Emulated answer from {inp.model}. The tool returned: "
                f"{_excerpt(inp.tool_result) or 'nothing'}"
            )
        elif inp.audio_form_default_prompt:
            content = "Transcription: " + " ".join(_transcription(u) for u in inp.audios)
        else:
            said = f"You said: {excerpt}" if excerpt else "You said nothing."
            content = " ".join([f"Emulated answer from {inp.model}. {said}", *_media_notes(inp)])
        target = _requested_words(inp, answer_words)
        if target is not None:
            content = _fit_words(content, target)
    finish: FinishReason = "stop"
    if "stop" in body:
        content = _truncate_at_stop(content, body["stop"])
    max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
    if isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens >= 0:
        tokens = TOKEN.findall(content)
        if len(tokens) > max_tokens:
            content = "".join(tokens[:max_tokens]).rstrip()
            finish = "length"
    return content, finish
