"""Helpers shared by the CLI tests (test_cli, test_cli_first_hour)."""

from __future__ import annotations

import wave
from pathlib import Path


def write_wav(path: Path, seconds: float = 0.05, rate: int = 8000) -> Path:
    """A mono 16-bit WAV of ``seconds`` at ``rate`` Hz (a constant tone) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x01" * int(rate * seconds))
    return path
