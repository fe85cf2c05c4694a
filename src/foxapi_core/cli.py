"""The ``foxapi`` command line.

Commands: ``demo``, ``chat``, ``transcribe``, ``models``, ``task``, ``emulator``. Every command
reads ``FOXAPI_API_KEY`` and ``FOXAPI_BASE_URL`` like the library does; ``chat`` and
``transcribe`` use the built-in emulator only when ``--emulator`` is given (``demo`` also falls
back to it when no key is set, and says so); otherwise a missing key is exit code 3.
Exit codes scripts can rely on:

    0  success
    1  any other FoxAPI error (server error, stream error...)
    2  usage error (bad arguments)
    3  configuration or authentication problem (no key, bad key, insecure URL)
    4  request refused as invalid (client-side validation or HTTP 422; for ``transcribe`` also
       an input file that is missing, a directory or not recognisable audio)
    5  the task failed or timed out (the task id is printed for ``foxapi task``)
    130 interrupted (Ctrl-C); the task id is printed so you can resume
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import os
import socket
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._audio_source import DEFAULT_AUDIO_MODEL
from ._catalog import DEFAULT_CATALOG
from ._checks import Surface
from ._client import FoxAPIClient, RequestLike, StreamingGeneration
from ._config import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL
from ._errors import (
    AuthenticationError,
    ConfigurationError,
    FoxAPIError,
    InvalidRequestError,
    NotFoundError,
    RequestValidationError,
    TaskFailedError,
    TaskTimeoutError,
)
from ._wire import ChatCompletion, ChunkEvent, MessagesRequest

__all__ = ["main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CONFIG, EXIT_INVALID, EXIT_TASK = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED = 130

DEMO_MODEL = "gemini-3.1-pro-preview"
THINKING_MODEL = "kimi-k2.6"


def _exit_code(error: FoxAPIError) -> int:
    if isinstance(error, (ConfigurationError, AuthenticationError)):
        return EXIT_CONFIG
    if isinstance(error, (RequestValidationError, InvalidRequestError)):
        return EXIT_INVALID
    if isinstance(error, (TaskFailedError, TaskTimeoutError)):
        return EXIT_TASK
    return EXIT_ERROR


#: How a refusal before sending names the CLI's switches (skip the checks, split a recording).
CLI_SURFACE = Surface("pass --no-validate", split="--split")


@contextlib.contextmanager
def _service(
    use_emulator: bool | None = None,
    *,
    announce: bool = False,
    validate: bool = True,
    allow_insecure_http: bool = False,
) -> Iterator[tuple[FoxAPIClient, bool]]:
    """A client for the real service when a key is set, else for a built-in emulator.

    With ``announce``, a fallback to the emulator (no key set) is reported on stderr, so
    simulated answers are never mistaken for real ones. ``validate=False`` (``--no-validate``)
    sends requests without the catalog's checks.
    """
    options: dict[str, Any] = {"validate": validate, "surface": CLI_SURFACE}
    if use_emulator is None:
        use_emulator = not os.environ.get(API_KEY_ENV)
    if use_emulator and announce:
        print("note: using the built-in FoxAPI emulator; answers are SIMULATED.", file=sys.stderr)
    if not use_emulator:
        try:
            client = FoxAPIClient(allow_insecure_http=allow_insecure_http, **options)
        except ConfigurationError as exc:
            # The library's advice names its argument; say the flag a CLI user has.
            message = exc.message.replace(
                "pass allow_insecure_http=True", "pass --allow-insecure-http"
            )
            raise ConfigurationError(message) from None
        with client:
            client.config.require_key()  # no key: exit 3 before any file or request is touched
            yield client, False
        return
    try:
        from .emulator import Emulator, EmulatorConfig, serve_in_thread
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigurationError(
            f"the built-in emulator needs the emulator extra, not installed: {EMULATOR_EXTRA} "
            f"(or set {API_KEY_ENV} to use the service)."
        ) from exc
    emulator = Emulator(EmulatorConfig(chunk_delay=0.03))
    with (
        serve_in_thread(emulator) as running,
        FoxAPIClient(api_key=running.api_key, base_url=running.base_url, **options) as client,
    ):
        yield client, True


def _messages(prompt: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": prompt}]


@dataclass
class _Reading:
    """The task this command is reading, so that Ctrl-C can say how to go on with the CLI.

    ``offset`` counts the chunks already shown (the next chunk's index), when they are shown.
    A chunk is counted just before it is printed: Ctrl-C nearly always lands while the command
    waits for the network, between two chunks, where the count is exact; and once its text is
    on the screen the count already includes it.
    """

    task_id: str | None = None
    stream: StreamingGeneration | None = None
    offset: int | None = None
    base_url: str | None = None  # of the client that asked, for "unknown to <url>"


_READING = _Reading()


def _events(stream: StreamingGeneration, *, shown_from: int | None) -> Iterator[ChunkEvent]:
    """``stream``'s events; the stream is remembered so that Ctrl-C can name its task.

    ``shown_from``: the index of the first chunk the caller prints (it then sets
    ``_READING.offset`` as it prints each one), or ``None`` when nothing is printed.
    """
    _READING.stream, _READING.offset = stream, shown_from
    yield from stream


def _complete(client: FoxAPIClient, request: RequestLike) -> ChatCompletion:
    """``client.generate(request)``, through the stream so that Ctrl-C knows the task id."""
    stream = client.stream_generate(request)
    for _ in _events(stream, shown_from=None):
        pass
    assert stream.completion is not None  # a finished stream always has one
    return stream.completion


def _interrupted() -> None:
    """Ctrl-C: the task goes on server-side; say how to read it with this command line."""
    task_id = _READING.task_id or (_READING.stream.task_id if _READING.stream else None)
    if task_id is None:
        print("\ninterrupted", file=sys.stderr)
        return
    lines = [f"\ninterrupted: FoxAPI task {task_id} goes on without this command (and is billed)."]
    if _READING.offset is not None:
        lines.append(
            f"  the rest of the answer:  foxapi task {task_id} --stream --offset {_READING.offset}"
        )
    lines.append(f"  the whole answer:        foxapi task {task_id} --wait")
    print("\n".join(lines), file=sys.stderr)


def _stream_to_stdout(client: FoxAPIClient, request: MessagesRequest) -> ChatCompletion | None:
    stream = client.stream_generate(request)
    in_reasoning = False
    for event in _events(stream, shown_from=0):
        _READING.offset = event.index + 1  # counted as shown before it is printed (see _Reading)
        delta = event.chunk.delta
        if delta.reasoning_content:
            if not in_reasoning:
                print("  [reasoning] ", end="")
                in_reasoning = True
            print(delta.reasoning_content, end="", flush=True)
        if delta.content:
            if in_reasoning:
                print("\n  [answer] ", end="")
                in_reasoning = False
            print(delta.content, end="", flush=True)
    print()
    return stream.completion


def _demo(args: argparse.Namespace) -> int:
    with _service() as (client, simulated):
        if simulated:
            print(
                f"No {API_KEY_ENV} set: using the built-in FoxAPI emulator on "
                f"{client.config.base_url}. The answers below are SIMULATED, not from a model.\n"
            )
        else:
            print(f"Using FoxAPI at {client.config.base_url}.\n")
        print(f"1. A streamed answer from {DEMO_MODEL}:")
        completion = _stream_to_stdout(
            client,
            MessagesRequest(
                model=DEMO_MODEL, messages=_messages("Explain in two sentences what a task API is.")
            ),
        )
        if completion and completion.usage:
            print(f"   usage: {completion.usage.total_tokens} tokens\n")
        print(f"2. {THINKING_MODEL}, a thinking model, with its reasoning:")
        answer = _complete(
            client,
            MessagesRequest(model=THINKING_MODEL, messages=_messages("Is 17 a prime number?")),
        )
        print(f"  [reasoning] {answer.reasoning}")
        print(f"  [answer] {answer.text}")
        print("\n3. A request the service would reject, refused before sending:")
        try:
            client.generate(MessagesRequest(model="claude-opus-4-7", messages=_messages("Hi")))
        except RequestValidationError as exc:
            print(f"  RequestValidationError: {exc.message}")
    return EXIT_OK


class _UsageError(Exception):
    """A command-line mistake found after parsing (exit 2, one line, no traceback)."""


def _chat(args: argparse.Namespace) -> int:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise _UsageError("the prompt is empty (for `chat -`, nothing came on standard input)")
    content: Any = prompt
    if args.image:
        content = [{"type": "text", "text": prompt}]
        for image in args.image:
            url = image
            if not image.startswith(("http://", "https://", "data:")):
                from ._media import data_uri_from_file, image_mime_from_bytes

                try:
                    with open(image, "rb") as fh:
                        mime = image_mime_from_bytes(fh.read(32)) or "image/png"
                except OSError as exc:
                    raise _UsageError(f"--image {image}: {exc.strerror or exc}") from exc
                url = data_uri_from_file(image, mime)
            content.append({"type": "image_url", "image_url": {"url": url}})
    params: dict[str, Any] = {}
    if args.max_tokens is not None:
        params["max_tokens"] = args.max_tokens
    if args.reasoning:
        params["reasoning"] = True
    from ._routing import build_body

    body = build_body(args.model, [{"role": "user", "content": content}], params=params)
    with _service(
        use_emulator=args.emulator,
        announce=True,
        validate=args.validate,
        allow_insecure_http=args.allow_insecure_http,
    ) as (client, _):
        if args.stream and not args.json:
            stream = client.stream_generate(body)
            section = ""  # "reasoning" or "answer": each gets a header when it starts
            for event in _events(stream, shown_from=0):
                _READING.offset = event.index + 1  # counted before printing (see _Reading)
                delta = event.chunk.delta
                for name, text in (
                    ("reasoning", delta.reasoning_content if args.reasoning else None),
                    ("answer", delta.content),
                ):
                    if not text:
                        continue
                    if args.reasoning and section != name:
                        print(f"{chr(10) * 2 if section else ''}[{name}]", flush=True)
                        section = name
                    print(text, end="", flush=True)
            print()
            return EXIT_OK
        completion = _complete(client, body)
    if args.json:
        print(completion.model_dump_json(indent=2, exclude_none=True))
    else:
        if args.reasoning and completion.reasoning:
            print(f"[reasoning] {completion.reasoning}\n")
        print(completion.text)
    return EXIT_OK


def _models(args: argparse.Namespace) -> int:
    from ._cli_models import print_models

    if not args.builtin and (args.emulator or os.environ.get(API_KEY_ENV)):
        # Refreshed from the service (or the emulator): the live list merged with the rules.
        with _service(use_emulator=args.emulator or None) as (client, simulated):
            catalog = client.list_models()
            base_url = client.config.base_url
        where = (
            f"Live from {'the built-in emulator at ' if simulated else ''}{base_url} "
            "(GET /v1/configs/llm_generations_models: the models this key may use), with the "
            "built-in rules; --builtin shows the built-in catalog alone."
        )
        print_models(catalog, source="live", where=where, as_json=args.json)
        return EXIT_OK
    why = "--builtin" if args.builtin else f"no {API_KEY_ENV} is set"
    where = (
        f"The built-in catalog ({why}: the service was not asked). With a key set (or "
        "--emulator) the list is refreshed from the service."
    )
    print_models(DEFAULT_CATALOG, source="builtin", where=where, as_json=args.json)
    return EXIT_OK


def _transcribe(args: argparse.Namespace) -> int:
    from ._audio import FoxAPIAudio
    from ._cli_transcribe import transcribe_files

    files: list[str] = args.files
    out_dir: Path | None = Path(args.out) if args.out else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(f"error: cannot create --out directory {str(out_dir)!r}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    with _service(
        use_emulator=args.emulator,
        announce=True,
        validate=args.validate,
        allow_insecure_http=args.allow_insecure_http,
    ) as (client, _):
        audio = FoxAPIAudio(
            args.model,
            prompt=args.prompt,
            split=args.split,
            max_concurrency=args.concurrency,
            on_error="record",  # a failed file does not stop the others
            client=client,
            surface=CLI_SURFACE,  # an oversize file's refusal names --split, not split=True
        )
        return transcribe_files(
            audio,
            files,
            out_dir=out_dir,
            concurrency=args.concurrency,
            progress=args.progress,
            exit_code=_exit_code,
            error_code=EXIT_ERROR,
            describe=_describe,
        )


def _task(args: argparse.Namespace) -> int:
    _READING.task_id = args.task_id
    with FoxAPIClient() as client:
        _READING.base_url = client.config.base_url
        if args.stream:
            stream = client.stream(args.task_id, offset=args.offset)
            for event in _events(stream, shown_from=args.offset):
                _READING.offset = event.index + 1  # counted before printing (see _Reading)
                print(event.chunk.delta.content or "", end="", flush=True)
            print()
            return EXIT_OK
        task = client.wait(args.task_id) if args.wait else client.get_task(args.task_id)
    print(task.model_dump_json(indent=2, exclude_none=True))
    return EXIT_OK


#: What ``foxapi emulator`` needs beyond the base install (the ``emulator`` extra).
EMULATOR_EXTRA = "pip install 'foxapi-integrations[emulator]'"


def _port_refusal(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on, or ``None`` when it can.

    Checked by binding (with ``SO_REUSEADDR``, as uvicorn does) before anything is printed, so
    that a port in use is refused before the ``export`` lines a user might already copy.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return f"--host {host}: cannot be resolved ({exc})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another emulator?); "
                    f"choose another with --port, e.g. --port {port + 1 if port < 65535 else 8765}"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose --port/--host"
    return None


def _emulator(args: argparse.Namespace) -> int:
    try:
        from .emulator import EmulatorConfig, serve
    except ImportError as exc:
        raise _UsageError(
            f"the emulator is not installed (missing module {exc.name or exc}): {EMULATOR_EXTRA}"
        ) from None
    refusal = _port_refusal(args.host, args.port)
    if refusal is not None:
        raise _UsageError(refusal)
    config = EmulatorConfig()
    print(f"FoxAPI emulator on http://{args.host}:{args.port}")
    print(f"  export {BASE_URL_ENV}=http://{args.host}:{args.port}")
    print(f"  export {API_KEY_ENV}={config.api_key}")
    print("Answers are simulated. Ctrl-C stops it.", flush=True)
    serve(host=args.host, port=args.port, config=config)
    return EXIT_OK


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _add_no_validate(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow a plain http:// FOXAPI_BASE_URL to a non-loopback host (the key would "
        "travel unencrypted)",
    )
    command.add_argument(
        "--no-validate",
        dest="validate",
        action="store_false",
        help="send the request without the model catalog's checks (e.g. a model the built-in "
        "catalog and the live list do not know yet)",
    )


def _port(value: str) -> int:
    port = int(value) if value.isdigit() else -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a TCP port (0-65535)")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="foxapi",
        description="FoxAPI from the command line. Reads FOXAPI_API_KEY and FOXAPI_BASE_URL.",
        epilog="Exit codes: 0 ok, 1 error, 2 usage, 3 configuration/authentication, "
        "4 invalid request, 5 task failed or timed out, 130 interrupted.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="stream an answer and show kimi-k2.6's reasoning (emulated without a key)",
        description="A two-minute tour: streams an answer from gemini, shows kimi-k2.6's "
        "reasoning (which FoxAPI returns only in the stream), and shows a request refused "
        f"before it is sent. With {API_KEY_ENV} set it uses the service (and is billed); "
        "without it, the built-in emulator, and every answer is labelled SIMULATED.",
    )
    demo.set_defaults(run=_demo)

    chat = commands.add_parser(
        "chat",
        help="ask a model one question",
        description=f"Ask a model one question. Needs {API_KEY_ENV}; --emulator answers from "
        "the built-in emulator instead (SIMULATED answers).",
    )
    chat.add_argument("prompt", help="the question ('-' reads it from standard input)")
    chat.add_argument(
        "--model", "-m", default=DEMO_MODEL, help=f"the model id (default: {DEMO_MODEL})"
    )
    chat.add_argument("--stream", action="store_true", help="print the answer as it streams")
    chat.add_argument("--reasoning", action="store_true", help="ask for and show reasoning")
    chat.add_argument("--image", action="append", metavar="PATH|URL", help="attach an image")
    chat.add_argument(
        "--max-tokens", type=int, default=None, help="most tokens to generate (claude-* need it)"
    )
    chat.add_argument("--json", action="store_true", help="print the ChatCompletion as JSON")
    chat.add_argument("--emulator", action="store_true", help="use the built-in emulator")
    _add_no_validate(chat)
    chat.set_defaults(run=_chat)

    transcribe = commands.add_parser(
        "transcribe",
        help="transcribe audio files, printing each as it finishes",
        description="Transcribe audio files, or ask --prompt about each, with FoxAPI's audio "
        "form. Files run --concurrency at a time. Each file's text is printed (or written) as "
        "soon as that file is done, so the output is in COMPLETION order, not argument order: "
        "without --out under a '==> FILE <==' header when there are several; with --out DIR "
        "each input gets DIR/<name>.txt. Progress goes to stderr: a bar on a terminal (with "
        "the progress extra), otherwise one 'transcribing FILE ...' line per file and one "
        "'[k/N] FILE ...' line when it ends. A failed file is reported once and does not stop "
        "the others (the exit code is that of the first failure to end); an authentication, "
        "permission, credit or configuration failure stops the run (exit 3) and says how "
        "many files were not tried.",
    )
    transcribe.add_argument("files", nargs="+", metavar="FILE", help="audio file(s)")
    transcribe.add_argument(
        "--model",
        "-m",
        default=DEFAULT_AUDIO_MODEL,
        help=f"an audio-capable model (default: {DEFAULT_AUDIO_MODEL})",
    )
    transcribe.add_argument(
        "--prompt", "-p", default=None, metavar="P", help="ask this instead of transcribing"
    )
    transcribe.add_argument(
        "--concurrency",
        "-c",
        type=_positive_int,
        default=4,
        metavar="N",
        help="files in flight at once (default: 4)",
    )
    transcribe.add_argument(
        "--out", "-o", default=None, metavar="DIR", help="write one <name>.txt per input here"
    )
    transcribe.add_argument(
        "--split", action="store_true", help="cut files over the model's size limit into segments"
    )
    transcribe.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress bar or lines (errors and written files are still reported)",
    )
    transcribe.add_argument("--emulator", action="store_true", help="use the built-in emulator")
    _add_no_validate(transcribe)
    transcribe.set_defaults(run=_transcribe)

    models = commands.add_parser(
        "models",
        help="list the models and their rules (built-in, or live with a key)",
        description="List the models with the rules requests are checked against before "
        "sending: request forms, content blocks, audio formats, max_tokens (required, "
        "defaults, minimum), image/video counts, the body limit, token limits. With "
        f"{API_KEY_ENV} set (or --emulator) the list is refreshed from the service "
        "(GET /v1/configs/llm_generations_models, merged with the built-in rules); otherwise, "
        "or with --builtin, the built-in catalog is shown. The first line says which; in "
        '--json every row has "source": "live" or "builtin".',
    )
    models.add_argument("--json", action="store_true", help="print the rows as JSON")
    models.add_argument(
        "--emulator", action="store_true", help="refresh from the built-in emulator"
    )
    models.add_argument(
        "--builtin",
        action="store_true",
        help="show the built-in catalog without asking the service, even with a key set",
    )
    models.set_defaults(run=_models)

    task = commands.add_parser(
        "task",
        help="inspect, wait for or resume a task",
        description="Print a task as JSON (--wait: once it has finished), or print its "
        "streamed answer (--stream, from --offset). Needs FOXAPI_API_KEY.",
    )
    task.add_argument("task_id", help="the id printed by a failed or interrupted command")
    task.add_argument("--wait", action="store_true", help="poll until the task finishes")
    task.add_argument("--stream", action="store_true", help="stream the task's chunks")
    task.add_argument("--offset", type=int, default=0, help="resume the stream at this chunk")
    task.set_defaults(run=_task)

    emulator = commands.add_parser(
        "emulator",
        help="run the FoxAPI emulator on a local port",
        description="Serve the FoxAPI emulator until Ctrl-C; prints the FOXAPI_BASE_URL and "
        "FOXAPI_API_KEY to export so that code (and the other commands) use it.",
    )
    emulator.add_argument("--port", type=_port, default=8765, help="port (default: 8765)")
    emulator.add_argument("--host", default="127.0.0.1", help="host (default: 127.0.0.1)")
    emulator.set_defaults(run=_emulator)
    from ._cli_batch import register as register_batch

    register_batch(commands)
    return parser


class _SaidByTheCli(logging.Filter):
    """Drops the library's log lines that the command line says itself, in its own terms.

    A failed file of ``transcribe`` is reported once, by the CLI (not again as a warning), and
    Ctrl-C is answered with ``foxapi task ...`` commands rather than the library's Python advice
    (``client.stream(...)``). Matched by the function that logs, not by wording.
    """

    OWN = frozenset({("_audio", "_failed"), ("_client_base", "_note_interruption")})

    def filter(self, record: logging.LogRecord) -> bool:
        return (record.module, record.funcName) not in self.OWN


def _not_found_advice(args: argparse.Namespace) -> str:
    base_url = _READING.base_url or DEFAULT_BASE_URL
    return (
        f"task {args.task_id!r} is unknown to {base_url} for this {API_KEY_ENV}: a task is "
        "seen only with the key (and base URL) that submitted it, and may no longer be kept. "
        "Task ids look like task-llmrouter-1776874481-rj6bs3yb; the foxapi commands print "
        "them when they fail or are interrupted, and the library returns them as Task.id "
        "(submit()) and StreamingGeneration.task_id."
    )


#: The server's codes for a model it does not serve (protocol doc 2.3).
_UNKNOWN_MODEL_CODES = frozenset({"model_not_found", "model_not_supported", "no_available_model"})


def _describe(exc: BaseException) -> str:
    """An error for the error line: its text and, for a refusal, the fix when the text lacks it."""
    text = str(exc)
    fix = getattr(exc, "fix", None)
    return f"{text} {fix}" if isinstance(fix, str) and fix and fix not in text else text


def _report(args: argparse.Namespace, exc: FoxAPIError) -> None:
    """One FoxAPI error on stderr, with the next step in CLI terms."""
    print(f"error: {_describe(exc)}", file=sys.stderr)
    own_task = args.command == "task" and exc.task_id == getattr(args, "task_id", None)
    if own_task and isinstance(exc, NotFoundError):
        print(_not_found_advice(args), file=sys.stderr)
    elif exc.task_id and not own_task:  # never "see `foxapi task X`" for the command that failed
        print(f"task id: {exc.task_id} (see `foxapi task {exc.task_id}`)", file=sys.stderr)
    if isinstance(exc, InvalidRequestError) and exc.code in _UNKNOWN_MODEL_CODES:
        print(
            "the service does not serve this model for your key: `foxapi models` lists the "
            "models it does (refreshed from the service when a key is set)",
            file=sys.stderr,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``foxapi`` command; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    global _READING
    _READING = _Reading()
    own = _SaidByTheCli()
    library_logger = logging.getLogger("foxapi")
    library_logger.addFilter(own)
    try:
        code: int = args.run(args)
    except _UsageError as exc:
        print(f"foxapi {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`foxapi models | head`): stop quietly. Point stdout at devnull
        # so the interpreter's final flush does not raise again (Python docs, "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except FoxAPIError as exc:
        _report(args, exc)
        return _exit_code(exc)
    except KeyboardInterrupt:
        _interrupted()
        return EXIT_INTERRUPTED
    finally:
        library_logger.removeFilter(own)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
