"""A LlamaIndex ``FunctionAgent`` with a Python tool, streaming its events.

``FoxAPI`` is a ``FunctionCallingLLM``; with kimi-k2.6, ``AgentStream.thinking_delta`` carries
the model's reasoning. Needs ``FOXAPI_API_KEY`` (or the emulator's ``FOXAPI_BASE_URL`` and key)::

    python examples/llama_index_agent.py
"""

from __future__ import annotations

import asyncio

from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult

from llama_index_foxapi import FoxAPI


def multiply(a: int, b: int) -> int:
    """Multiply two integers and return the product."""
    return a * b


async def run() -> None:
    """Run the agent once and print its tool calls and answer."""
    agent = FunctionAgent(
        tools=[multiply],
        llm=FoxAPI(model="kimi-k2.6"),
        system_prompt="You are a calculator. Always use the multiply tool.",
    )
    handler = agent.run("Use multiply: what is multiply(a=6, b=7)?")
    thinking = 0
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            print(f"tool call: {event.tool_name}({event.tool_kwargs}) -> {event.tool_output}")
        elif isinstance(event, AgentStream) and event.thinking_delta:
            thinking += len(event.thinking_delta)
    response = await handler
    print(f"reasoning streamed: {thinking} characters")
    print("final answer:", response)


def main() -> None:
    """Entry point."""
    asyncio.run(run())


if __name__ == "__main__":
    main()
