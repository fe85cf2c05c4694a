"""A LangChain agent (``langchain.agents.create_agent``) that calls a Python tool.

Needs ``langchain`` (``pip install langchain``) and ``FOXAPI_API_KEY`` (or the emulator's
``FOXAPI_BASE_URL`` and key)::

    python examples/langchain_agent.py
"""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool

from langchain_foxapi import ChatFoxAPI


@tool
def get_weather(city: str) -> str:
    """Return the current weather of a city."""
    return f"It is sunny and 21 °C in {city}."


def main() -> None:
    """Ask a question the model answers by calling ``get_weather``."""
    agent = create_agent(
        ChatFoxAPI(model="gpt-5.5"),
        tools=[get_weather],
        system_prompt="You are a helpful assistant. Use tools when they help.",
    )
    state = agent.invoke(
        {
            "messages": [
                {"role": "user", "content": "Use get_weather: what is the weather in Paris?"}
            ]
        }
    )
    for message in state["messages"]:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                print(f"tool call: {call['name']}({call['args']})")
        elif isinstance(message, ToolMessage):
            print(f"tool result: {message.content}")
    print("final answer:", state["messages"][-1].content)


if __name__ == "__main__":
    main()
