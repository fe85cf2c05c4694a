"""Ray Data: answer a dataset's rows on a cluster with ``Dataset.map_batches(FoxAPIMapper, ...)``.

Each actor runs the durable batch runner (:func:`foxapi_core.arun_batch`) over its batch with
one async client (bounded in-flight requests) and a shared journal, so a Ray task retried after
its worker died finds the rows it already submitted and streams them by task id instead of
submitting (and billing) them again. Needs the ``ray`` extra; this module itself imports no Ray.

Example::

    ds = ray.data.read_json("prompts.jsonl")          # columns: id, prompt
    answers = ds.map_batches(
        FoxAPIMapper,
        fn_constructor_kwargs={"model": "kimi-k2.6", "journal": "/shared/run.journal"},
        compute=ray.data.ActorPoolStrategy(size=4),  # Ray 2.51 deprecates concurrency=
        batch_size=64,
    )
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import os
from collections.abc import Callable, Mapping
from typing import Any

from .._batch import arun_batch
from .._batch_journal import Journal, SqliteJournal
from .._batch_rows import BatchRow, RowState
from .._client import AsyncFoxAPIClient
from .._inline_media import InlineMedia

__all__ = ["FoxAPIMapper"]

ANSWER_COLUMNS = ("text", "reasoning", "usage", "task_id", "error")


class FoxAPIMapper:
    """A callable class for ``map_batches``: prompt / messages / audio path columns in, the
    ``text``, ``reasoning``, ``usage`` (JSON), ``task_id`` and ``error`` columns out.

    Args:
        model: The model for rows that do not carry one.
        journal: A path on storage every worker sees (one machine: a local file; a cluster: a
            shared file system), or a zero-argument factory of a :class:`~foxapi_core.Journal`
            (e.g. one backed by a server database). Required: it is what makes retries safe.
        id_column: The column with each row's unique id (the journal key).
        prompt_column, messages_column, audio_column: Where a row's request comes from (the
            first present and non-null, in this order: messages, audio, prompt).
        max_in_flight: Requests in flight per actor.
        params: Extra wire fields for every request (``max_tokens``, ``reasoning``...).
        api_key, base_url: Default ``FOXAPI_API_KEY`` / ``FOXAPI_BASE_URL`` on the worker.
    """

    def __init__(
        self,
        *,
        model: str,
        journal: str | os.PathLike[str] | Callable[[], Journal],
        id_column: str = "id",
        prompt_column: str = "prompt",
        messages_column: str = "messages",
        audio_column: str = "audio_path",
        max_in_flight: int = 16,
        params: Mapping[str, Any] | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
    ) -> None:
        self.model = model
        self.journal: Journal = journal() if callable(journal) else SqliteJournal(journal)
        self.columns = (id_column, prompt_column, messages_column, audio_column)
        self.max_in_flight = max_in_flight
        self.params = dict(params or {})
        self.client = AsyncFoxAPIClient(api_key=api_key, base_url=base_url)

    def _row(self, columns: Mapping[str, Any], i: int) -> BatchRow:
        id_column, prompt_column, messages_column, audio_column = self.columns
        body: dict[str, Any] = {"model": self.model, **self.params}
        messages = columns.get(messages_column)
        audio = columns.get(audio_column)
        if messages is not None and messages[i] is not None:
            body["messages"] = [dict(m) for m in messages[i]]
        elif audio is not None and audio[i] is not None:
            path = os.fspath(audio[i])
            body["audio_url"] = InlineMedia(path, mimetypes.guess_type(path)[0] or "audio/wav")
            if columns.get(prompt_column) is not None and columns[prompt_column][i] is not None:
                body["prompt"] = str(columns[prompt_column][i])
        else:
            body["prompt"] = str(columns[prompt_column][i])
        return BatchRow(str(columns[id_column][i]), body)

    def __call__(self, batch: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one batch (a dict of columns); returns it with the answer columns added."""
        size = len(batch[self.columns[0]])
        rows = [self._row(batch, i) for i in range(size)]

        async def run() -> None:
            await arun_batch(
                rows, client=self.client, journal=self.journal, concurrency=self.max_in_flight
            )

        asyncio.run(run())
        out: dict[str, list[Any]] = {name: [] for name in ANSWER_COLUMNS}
        for row in rows:
            entry = self.journal.get(row.custom_id)
            assert entry is not None
            message = (entry.result or {}).get("choices", [{}])[0].get("message", {})
            error = entry.error
            if entry.state is RowState.SUBMITTING:
                error = {"type": "SubmitOutcomeUnknown", "message": "caught mid-submit"}
            elif entry.state is not RowState.DONE and error is None:
                error = {"type": "Pending", "message": "no answer yet; rerun"}
            out["text"].append(message.get("content"))
            out["reasoning"].append(message.get("reasoning_content"))
            usage = (entry.result or {}).get("usage")
            out["usage"].append(None if usage is None else json.dumps(usage))
            out["task_id"].append(entry.task_id)
            out["error"].append(None if error is None else json.dumps(error))
        return {**{k: list(v) for k, v in batch.items()}, **out}
