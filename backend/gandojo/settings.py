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


def _default_save_dir() -> Path:
    """Saved sessions: $XDG_DATA_HOME/gandojo/saved (default ~/.local/share/gandojo/saved)."""
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "gandojo" / "saved"


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    device: str = "auto"  # auto | cpu | cuda
    max_sessions: int = 200
    max_heatmap_resolution: int = 256
    max_batch: int = 4096
    max_step_n: int = 10_000
    max_params: int = 20_000_000  # G + D parameters of one session
    max_body_bytes: int = 1024 * 1024  # JSON/text REST bodies
    max_upload_bytes: int = 64 * 1024 * 1024  # binary/CSV/multipart uploads (routes may cap lower;
    # a trained MLP image checkpoint is ~35 MB)
    allowed_origins: str = ""  # comma-separated extra websocket origins ("*": any), besides the served one
    auth: str = ""  # a password for the whole server (empty: none); see api/auth.py
    auth_cookie_hours: float = 12.0  # how long a login lasts (a restart also ends every login)
    max_sessions_per_client: int = 0  # sessions one client address may hold (0: max(20, max_sessions // 4))
    max_uploads: int = 4  # checkpoint / CSV uploads received at once (more: 429 + Retry-After)
    fps: int = 30
    workers: int = 0  # worker processes on a local Ray cluster (0: one process, no Ray; cluster/)
    ray_address: str = ""  # join this Ray cluster (GANDOJO_RAY_ADDRESS; empty: see workers)
    checkpoint_interval_s: float = 30.0  # cluster modes: sessions checkpointed this often (0: never)
    batching: bool = True  # train compatible playing 2D sessions as one batched model (GANDOJO_BATCHING)
    compile: bool = True  # compile solo 2D sessions' step in the background (GANDOJO_COMPILE)
    compile_mode: str = ""  # torch.compile mode (GANDOJO_COMPILE_MODE; empty: the default)
    max_ws_message_bytes: int = 64 * 1024
    idle_pause_s: float = 120.0  # a running session nobody watches or calls pauses after this
    idle_timeout_s: float = 1800.0  # an untouched session without viewers is ended after this
    frontend_dir: Path = field(default_factory=_default_frontend)
    save_dir: Path = field(default_factory=_default_save_dir)  # POST .../save, GET /api/saved
    max_saved: int = 1000  # saved sessions in save_dir
    data_dir: str = ""  # image datasets (--data-dir, GANDOJO_DATA_DIR; empty: gandojo.datasets.paths.data_dir)
    data_mirrors: str = ""  # comma-separated base URLs for "Get the full dataset" (empty: the published mirrors)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Defaults, then GANDOJO_<FIELD> variables, then explicit non-None overrides."""
        s = cls()
        for f in fields(cls):
            raw = os.environ.get(f"GANDOJO_{f.name.upper()}")
            if raw is not None:
                kind = type(getattr(s, f.name))
                try:
                    value = raw.strip().lower() in ("1", "true", "yes", "on") if kind is bool else kind(raw)
                except ValueError:  # named, for the CLI's one-line error
                    raise ValueError(f"GANDOJO_{f.name.upper()}={raw!r} is not a valid {kind.__name__}") from None
                setattr(s, f.name, value)
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
