"""A protocol-faithful FoxAPI server for offline tests: one Starlette ASGI app, used three ways.

- in-process: ``httpx.AsyncClient(transport=Emulator().transport(), base_url="http://emulator")``
  (``ASGITransport`` buffers whole bodies: fine for non-streaming tests);
- on a loopback socket: ``with serve_in_thread() as server: ... server.base_url ...`` (SSE, cuts,
  resume, timeouts);
- standalone: :func:`serve` (``foxapi emulator --port N``).

Behaviour follows the protocol reference (sections 2-6, decisions of section 10); faults are
queued on :attr:`Emulator.faults`, standing server quirks set on :attr:`Emulator.quirks`
(:class:`Quirks`), and counters read from :attr:`Emulator.counters`. :data:`SCENARIOS` names
the hostile-server behaviours a correct client must survive, each with the answer it must return.
"""

from ._answer_wire import chunks, completion
from ._app import ConnectionDropped
from ._emulator import Emulator
from ._faults import Fault, Faults
from ._quirks import Quirks
from ._responder import Answer, ToolCall, Usage, respond
from ._scenarios import SCENARIOS, Scenario
from ._server import RunningEmulator, serve, serve_in_thread
from ._state import Counters, EmulatorConfig, RequestRecord, TaskRecord

__all__ = [
    "SCENARIOS",
    "Answer",
    "ConnectionDropped",
    "Counters",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "Faults",
    "Quirks",
    "RequestRecord",
    "RunningEmulator",
    "Scenario",
    "TaskRecord",
    "ToolCall",
    "Usage",
    "chunks",
    "completion",
    "respond",
    "serve",
    "serve_in_thread",
]
