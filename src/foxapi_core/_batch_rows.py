"""Batch rows, I/O free: input lines, the row states and their transitions, output records.

A row's life is written down as data (like h11's ``_state.py``)::

    planned --> submitting --> submitted --> done
       |            |              |
       +--> failed  +--> failed    +--> failed

``submitting`` is written to the journal *before* the POST: a row found there on resume may or
may not have created a task (the process died mid-POST), so it is reported as outcome-unknown and
never resubmitted unless the caller asks (FoxAPI has no idempotency key, reference section 10).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import RequestValidationError
from ._routing import build_body

__all__ = [
    "TRANSITIONS",
    "Action",
    "BatchRow",
    "RowState",
    "action_on_resume",
    "check_transition",
    "output_record",
    "parse_line",
]


class RowState(str, enum.Enum):
    """Where a row is in its life (stored in the journal as the value)."""

    PLANNED = "planned"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    DONE = "done"
    FAILED = "failed"


TRANSITIONS: Mapping[RowState, frozenset[RowState]] = {
    RowState.PLANNED: frozenset({RowState.SUBMITTING, RowState.FAILED}),
    # Back to PLANNED only when the caller explicitly resubmits an outcome-unknown row.
    RowState.SUBMITTING: frozenset({RowState.SUBMITTED, RowState.FAILED, RowState.PLANNED}),
    RowState.SUBMITTED: frozenset({RowState.DONE, RowState.FAILED}),
    RowState.DONE: frozenset(),
    RowState.FAILED: frozenset(),
}


def check_transition(old: RowState, new: RowState) -> None:
    """Raise ``ValueError`` for a transition the table does not allow."""
    if new not in TRANSITIONS[old]:
        raise ValueError(f"illegal batch row transition {old.value} -> {new.value}")


class Action(str, enum.Enum):
    """What a run does with a row, given the state the journal holds for it."""

    SUBMIT = "submit"
    RESUME = "resume"  # a task id is known: stream or poll it, never resubmit
    SKIP = "skip"  # done or failed already
    UNKNOWN = "unknown"  # caught mid-submit: report, do not resubmit


def action_on_resume(state: RowState, *, resubmit_unknown: bool = False) -> Action:
    """The action for a row in ``state`` (the whole resume policy, in one table)."""
    if state is RowState.SUBMITTING:
        return Action.SUBMIT if resubmit_unknown else Action.UNKNOWN
    return {
        RowState.PLANNED: Action.SUBMIT,
        RowState.SUBMITTED: Action.RESUME,
        RowState.DONE: Action.SKIP,
        RowState.FAILED: Action.SKIP,
    }[state]


@dataclass(frozen=True)
class BatchRow:
    """One request of a batch: its caller-chosen id and its FoxAPI wire body."""

    custom_id: str
    body: dict[str, Any]


def _from_openai(line: Mapping[str, Any], custom_id: str) -> dict[str, Any]:
    """An OpenAI Batch API body (``/v1/chat/completions``) as a FoxAPI wire body."""
    body = dict(line["body"])
    url = line.get("url", "/v1/chat/completions")
    if url != "/v1/chat/completions":
        raise RequestValidationError(
            f"row {custom_id!r}: url {url!r} is not supported",
            field="url",
            fix="only /v1/chat/completions lines can be sent to FoxAPI",
        )
    model = body.pop("model", None)
    messages = body.pop("messages", None)
    if not isinstance(model, str) or not isinstance(messages, list):
        raise RequestValidationError(
            f"row {custom_id!r}: an OpenAI batch body needs 'model' and 'messages'",
            field="body.messages",
            fix="give body.model (a FoxAPI model id) and body.messages",
        )
    body.pop("stream", None)
    return build_body(model, messages, params=body)


def parse_line(line: str | Mapping[str, Any], number: int) -> BatchRow:
    """One input line: ``{"custom_id", "body"}`` (FoxAPI wire body) or an OpenAI Batch line.

    Raises:
        RequestValidationError: naming the line and the field, before anything is sent.
    """
    try:
        data = json.loads(line) if isinstance(line, str) else dict(line)
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            f"line {number}: not JSON ({exc.msg})", field="line", fix="one JSON object per line"
        ) from exc
    if not isinstance(data, dict):
        raise RequestValidationError(
            f"line {number}: not a JSON object", field="line", fix="one JSON object per line"
        )
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise RequestValidationError(
            f"line {number}: 'custom_id' is missing or not a string",
            field="custom_id",
            fix='give each line a unique "custom_id" string',
        )
    if not isinstance(data.get("body"), dict):
        raise RequestValidationError(
            f"line {number} ({custom_id!r}): 'body' is missing or not an object",
            field="body",
            fix='give "body": {FoxAPI wire body} or an OpenAI chat body with "method"/"url"',
        )
    if "method" in data or "url" in data:
        return BatchRow(custom_id, _from_openai(data, custom_id))
    return BatchRow(custom_id, dict(data["body"]))


def output_record(custom_id: str, task_id: str | None, result: Any, error: Any) -> dict[str, Any]:
    """One output line: ``custom_id``, ``task_id``, then ``response`` or a typed ``error``."""
    record: dict[str, Any] = {"custom_id": custom_id, "task_id": task_id}
    if error is not None:
        record["error"] = error
    else:
        record["response"] = result
    return record
