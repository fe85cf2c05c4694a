"""The ``foxapi`` command line.

Commands: ``demo``, ``chat``, ``models``, ``task``, ``emulator``. Exit codes scripts can rely on:

    0  success
    1  any other FoxAPI error (server error, stream error...)
    2  usage error (bad arguments)
    3  configuration or authentication problem (no key, bad key, insecure URL)
    4  request refused as invalid (client-side validation or HTTP 422)
    5  the task failed or timed out (the task id is printed for ``foxapi task``)
    130 interrupted (Ctrl-C); the task id is printed so you can resume
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from ._client import FoxAPIClient
from ._config import API_KEY_ENV, BASE_URL_ENV
from ._errors import (
    AuthenticationError,
    ConfigurationError,
    FoxAPIError,
    InvalidRequestError,
    RequestValidationError,
    TaskFailedError,
    TaskTimeoutError,
)
from ._wire import ChatCompletion, MessagesRequest

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


@contextlib.contextmanager
def _service(use_emulator: bool | None = None) -> Iterator[tuple[FoxAPIClient, bool]]:
    """A client for the real service when a key is set, else for a built-in emulator."""
    if use_emulator is None:
        use_emulator = not os.environ.get(API_KEY_ENV)
    if not use_emulator:
        with FoxAPIClient() as client:
            yield client, False
        return
    try:
        from .emulator import Emulator, EmulatorConfig, serve_in_thread
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigurationError(
            f"No {API_KEY_ENV} is set and the emulator is not installed: "
            "pip install 'foxapi-integrations[emulator]', or set your API key."
        ) from exc
    emulator = Emulator(EmulatorConfig(chunk_delay=0.03))
    with (
        serve_in_thread(emulator) as running,
        FoxAPIClient(api_key=running.api_key, base_url=running.base_url) as client,
    ):
        yield client, True


def _messages(prompt: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": prompt}]


def _stream_to_stdout(client: FoxAPIClient, request: MessagesRequest) -> ChatCompletion | None:
    stream = client.stream_generate(request)
    in_reasoning = False
    for event in stream:
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
        answer = client.generate(
            MessagesRequest(model=THINKING_MODEL, messages=_messages("Is 17 a prime number?"))
        )
        print(f"  [reasoning] {answer.reasoning}")
        print(f"  [answer] {answer.text}")
        print("\n3. A request the service would reject, refused before sending:")
        try:
            client.generate(MessagesRequest(model="claude-opus-4-7", messages=_messages("Hi")))
        except RequestValidationError as exc:
            print(f"  RequestValidationError: {exc.message}")
    return EXIT_OK


def _chat(args: argparse.Namespace) -> int:
    content: Any = args.prompt
    if args.image:
        content = [{"type": "text", "text": args.prompt}]
        for image in args.image:
            url = image
            if not image.startswith(("http://", "https://", "data:")):
                from ._media import data_uri_from_file, image_mime_from_bytes

                with open(image, "rb") as fh:
                    mime = image_mime_from_bytes(fh.read(32)) or "image/png"
                url = data_uri_from_file(image, mime)
            content.append({"type": "image_url", "image_url": {"url": url}})
    params: dict[str, Any] = {}
    if args.max_tokens is not None:
        params["max_tokens"] = args.max_tokens
    if args.reasoning:
        params["reasoning"] = True
    from ._routing import build_body

    body = build_body(args.model, [{"role": "user", "content": content}], params=params)
    with _service(use_emulator=args.emulator or None) as (client, _):
        if args.stream and not args.json:
            stream = client.stream_generate(body)
            for event in stream:
                delta = event.chunk.delta
                text = delta.content or (delta.reasoning_content if args.reasoning else None)
                if text:
                    print(text, end="", flush=True)
            print()
            return EXIT_OK
        completion = client.generate(body)
    if args.json:
        print(completion.model_dump_json(indent=2, exclude_none=True))
    else:
        if args.reasoning and completion.reasoning:
            print(f"[reasoning] {completion.reasoning}\n")
        print(completion.text)
    return EXIT_OK


def _models(args: argparse.Namespace) -> int:
    with _service(use_emulator=args.emulator or None) as (client, _):
        catalog = (
            client.list_models()
            if (args.emulator or os.environ.get(API_KEY_ENV))
            else (client.catalog)
        )
    rows: list[dict[str, Any]] = [
        {
            "model": spec.name,
            "forms": sorted(spec.forms),
            "content": sorted(spec.content_types),
            "audio": sorted(spec.audio_formats),
            "thinking": spec.thinking,
        }
        for spec in catalog
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for row in rows:
        print(
            f"{row['model']:<24} forms={','.join(row['forms']):<32} "
            f"content={','.join(row['content'])}{'  (thinking)' if row['thinking'] else ''}"
        )
    return EXIT_OK


def _task(args: argparse.Namespace) -> int:
    with FoxAPIClient() as client:
        if args.stream:
            stream = client.stream(args.task_id, offset=args.offset)
            for event in stream:
                print(event.chunk.delta.content or "", end="", flush=True)
            print()
            return EXIT_OK
        task = client.wait(args.task_id) if args.wait else client.get_task(args.task_id)
    print(task.model_dump_json(indent=2, exclude_none=True))
    return EXIT_OK


def _emulator(args: argparse.Namespace) -> int:
    from .emulator import EmulatorConfig, serve

    config = EmulatorConfig()
    print(f"FoxAPI emulator on http://{args.host}:{args.port}")
    print(f"  export {BASE_URL_ENV}=http://{args.host}:{args.port}")
    print(f"  export {API_KEY_ENV}={config.api_key}")
    print("Answers are simulated. Ctrl-C stops it.", flush=True)
    serve(host=args.host, port=args.port, config=config)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="foxapi",
        description="FoxAPI from the command line. Reads FOXAPI_API_KEY and FOXAPI_BASE_URL.",
        epilog="Exit codes: 0 ok, 1 error, 2 usage, 3 configuration/authentication, "
        "4 invalid request, 5 task failed or timed out, 130 interrupted.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="stream an answer and show kimi-k2.6's reasoning (emulated without a key)"
    )
    demo.set_defaults(run=_demo)

    chat = commands.add_parser("chat", help="ask a model one question")
    chat.add_argument("prompt")
    chat.add_argument("--model", "-m", default=DEMO_MODEL)
    chat.add_argument("--stream", action="store_true", help="print the answer as it streams")
    chat.add_argument("--reasoning", action="store_true", help="ask for and show reasoning")
    chat.add_argument("--image", action="append", metavar="PATH|URL", help="attach an image")
    chat.add_argument("--max-tokens", type=int, default=None)
    chat.add_argument("--json", action="store_true", help="print the ChatCompletion as JSON")
    chat.add_argument("--emulator", action="store_true", help="use the built-in emulator")
    chat.set_defaults(run=_chat)

    models = commands.add_parser("models", help="list the model catalog and its rules")
    models.add_argument("--json", action="store_true")
    models.add_argument("--emulator", action="store_true", help="use the built-in emulator")
    models.set_defaults(run=_models)

    task = commands.add_parser("task", help="inspect, wait for or resume a task")
    task.add_argument("task_id")
    task.add_argument("--wait", action="store_true", help="poll until the task finishes")
    task.add_argument("--stream", action="store_true", help="stream the task's chunks")
    task.add_argument("--offset", type=int, default=0, help="resume the stream at this chunk")
    task.set_defaults(run=_task)

    emulator = commands.add_parser("emulator", help="run the FoxAPI emulator on a local port")
    emulator.add_argument("--port", type=int, default=8765)
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.set_defaults(run=_emulator)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``foxapi`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except FoxAPIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.task_id:
            print(f"task id: {exc.task_id} (see `foxapi task {exc.task_id}`)", file=sys.stderr)
        return _exit_code(exc)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
