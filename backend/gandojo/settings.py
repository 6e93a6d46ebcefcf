"""Server settings: one typed object, from defaults, GANDOJO_* environment variables and the CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path


def _default_frontend() -> Path:
    env = os.environ.get("GANDOJO_FRONTEND")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "frontend"


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    device: str = "auto"  # auto | cpu | cuda
    max_sessions: int = 200
    max_heatmap_resolution: int = 256
    max_batch: int = 4096
    max_step_n: int = 10_000
    fps: int = 30
    max_ws_message_bytes: int = 64 * 1024
    idle_pause_s: float = 120.0  # a running session nobody watches or calls pauses after this
    idle_timeout_s: float = 1800.0  # an untouched session without viewers is ended after this
    frontend_dir: Path = field(default_factory=_default_frontend)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Defaults, then GANDOJO_<FIELD> variables, then explicit non-None overrides."""
        s = cls()
        for f in fields(cls):
            raw = os.environ.get(f"GANDOJO_{f.name.upper()}")
            if raw is not None:
                setattr(s, f.name, type(getattr(s, f.name))(raw))
        for k, v in overrides.items():
            if v is not None:
                setattr(s, k, v)
        return s

    def resolved_device(self) -> str:
        import torch

        if self.device == "auto":
            return "cuda:0" if torch.cuda.is_available() else "cpu"
        if self.device == "cuda":
            if not torch.cuda.is_available():
                raise RuntimeError("--device cuda asked for, but torch sees no CUDA device")
            return "cuda:0"
        return self.device
