"""``langchain_foxapi._convert``: LangChain messages to the OpenAI dicts ``build_body`` takes."""

from __future__ import annotations

import base64
import warnings

from langchain_core.messages import HumanMessage

from langchain_foxapi._convert import to_openai_messages

PDF = base64.b64encode(b"%PDF-1.4\n%stand-in\n").decode()


def test_inline_file_without_filename_converts_without_openai_warning() -> None:
    block = {"type": "file", "base64": PDF, "mime_type": "application/pdf"}
    message = HumanMessage([{"type": "text", "text": "Summarise"}, block])
    with warnings.catch_warnings():
        # langchain-core's converter warns "OpenAI may require a filename" for such blocks
        warnings.simplefilter("error")
        [converted] = to_openai_messages([message], send_reasoning=False)
    file_part = converted["content"][1]
    assert file_part["type"] == "file"
    assert file_part["file"]["file_data"] == f"data:application/pdf;base64,{PDF}"
    assert "filename" not in message.content[1]  # the caller's message is not changed


def test_inline_file_keeps_its_own_filename() -> None:
    block = {"type": "file", "base64": PDF, "mime_type": "application/pdf", "filename": "q3.pdf"}
    [converted] = to_openai_messages([HumanMessage([block])], send_reasoning=False)
    assert converted["content"][0]["file"]["filename"] == "q3.pdf"
