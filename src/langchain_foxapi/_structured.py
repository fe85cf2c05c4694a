"""``with_structured_output`` for ``ChatFoxAPI``, mirroring langchain-openai's behaviour.

- ``function_calling``: bind the schema as the only tool, force it, parse the first call
  (``PydanticToolsParser`` for Pydantic classes, ``JsonOutputKeyToolsParser`` otherwise).
- ``json_schema``: OpenAI ``response_format={"type": "json_schema", ...}``; parse the content.
- ``json_mode``: ``response_format={"type": "json_object"}``; parse the content.

Each binds ``ls_structured_output_format`` for tracing; ``include_raw=True`` returns
``{"raw", "parsed", "parsing_error"}`` and never raises on a parsing error.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_openai_function
from langchain_core.utils.pydantic import is_basemodel_subclass

if TYPE_CHECKING:
    from langchain_core.language_models import LanguageModelInput

    from .chat_models import ChatFoxAPI

__all__ = ["StructuredOutputMethod", "structured_output_runnable"]

StructuredOutputMethod = Literal["function_calling", "json_mode", "json_schema"]


def _is_pydantic_class(schema: Any) -> bool:
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def _response_format(schema: Any, strict: bool | None) -> dict[str, Any]:
    """OpenAI ``response_format`` of type ``json_schema`` for a schema."""
    function = convert_to_openai_function(schema, strict=strict)
    json_schema: dict[str, Any] = {"name": function["name"], "schema": function["parameters"]}
    if function.get("description"):
        json_schema["description"] = function["description"]
    if strict is not None:
        json_schema["strict"] = strict
    return {"type": "json_schema", "json_schema": json_schema}


def structured_output_runnable(
    llm: ChatFoxAPI,
    schema: dict[str, Any] | type | None,
    *,
    method: StructuredOutputMethod,
    include_raw: bool,
    strict: bool | None,
) -> Runnable[LanguageModelInput, Any]:
    """The runnable behind ``ChatFoxAPI.with_structured_output``.

    Raises:
        ValueError: ``schema`` is missing for a method that needs it, or ``method`` is unknown.

    Example:
        >>> structured_output_runnable(llm, Joke, method="json_schema", include_raw=False,
        ...                            strict=None).invoke("A cat joke")
    """
    is_pydantic = _is_pydantic_class(schema)
    parser: Runnable[Any, Any]
    if method == "function_calling":
        if schema is None:
            raise ValueError("with_structured_output(method='function_calling') needs a schema.")
        tool_name = convert_to_openai_function(schema)["name"]
        bound = llm.bind_tools(
            [schema],
            tool_choice=tool_name,
            strict=strict,
            parallel_tool_calls=False,
            ls_structured_output_format={
                "kwargs": {"method": method, "strict": strict},
                "schema": schema,
            },
        )
        if is_pydantic:
            parser = PydanticToolsParser(tools=[schema], first_tool_only=True)
        else:
            parser = JsonOutputKeyToolsParser(key_name=tool_name, first_tool_only=True)
    elif method == "json_schema":
        if schema is None:
            raise ValueError("with_structured_output(method='json_schema') needs a schema.")
        bound = llm.bind(
            response_format=_response_format(schema, strict),
            ls_structured_output_format={
                "kwargs": {"method": method, "strict": strict},
                "schema": convert_to_openai_function(schema),
            },
        )
        parser = _content_parser(schema, is_pydantic)
    elif method == "json_mode":
        bound = llm.bind(
            response_format={"type": "json_object"},
            ls_structured_output_format={"kwargs": {"method": method}, "schema": schema},
        )
        parser = _content_parser(schema, is_pydantic)
    else:
        raise ValueError(
            f"Unknown method {method!r}: use 'function_calling', 'json_schema' or 'json_mode'."
        )
    if not include_raw:
        return bound | parser
    parse = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    no_parse = RunnablePassthrough.assign(parsed=lambda _: None)
    with_fallback = parse.with_fallbacks([no_parse], exception_key="parsing_error")
    return RunnableMap(raw=bound) | with_fallback


def _content_parser(schema: Any, is_pydantic: bool) -> Runnable[Any, Any]:
    if is_pydantic:
        return PydanticOutputParser(pydantic_object=schema)
    return JsonOutputParser()
