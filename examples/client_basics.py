"""The framework-free client: one answer, a streamed answer, and an error refused before sending.

Run against the emulator (``foxapi emulator`` in another shell, then export the two variables it
prints) or against FoxAPI with your key in ``FOXAPI_API_KEY``::

    python examples/client_basics.py
"""

from __future__ import annotations

from foxapi_core import FoxAPIClient, MessagesRequest, RequestValidationError, TextRequest


def main() -> None:
    """Generate, stream, and show a request refused by the catalog's rules."""
    with FoxAPIClient() as client:  # FOXAPI_API_KEY / FOXAPI_BASE_URL from the environment
        answer = client.generate(TextRequest(model="gemini-2.5-pro", prompt="Say hello"))
        print("answer:", answer.text)
        if answer.usage is not None:
            print("tokens:", answer.usage.total_tokens)

        stream = client.stream_generate(
            MessagesRequest(
                model="gpt-5.5", messages=[{"role": "user", "content": "Tell a short story"}]
            )
        )
        print("streamed: ", end="")
        for event in stream:
            print(event.chunk.delta.content or "", end="", flush=True)
        print(f"\ntask id: {stream.task_id}")

        try:  # claude-* models require max_tokens: refused locally, nothing is sent or billed
            client.generate(
                MessagesRequest(
                    model="claude-sonnet-4-6", messages=[{"role": "user", "content": "Hi"}]
                )
            )
        except RequestValidationError as exc:
            print(f"refused before sending: field={exc.field} fix={exc.fix}")


if __name__ == "__main__":
    main()
