"""Helpers for API tests: create sessions over REST, talk to the websocket, decode frames."""

from __future__ import annotations

import json
import time

import httpx
from websockets.sync.client import connect

from gandojo.engine.frames import Frame, decode


def create(base: str, **body) -> dict:
    r = httpx.post(f"{base}/api/sessions", json=body, timeout=30)  # a fresh server's first is slow
    assert r.status_code == 201, r.text
    return r.json()


def auth(s: dict) -> dict:
    return {"Authorization": f"Bearer {s['token']}"}


def ws_url(base: str, s: dict, token: str | None = "own") -> str:
    url = base.replace("http://", "ws://") + f"/ws/sessions/{s['id']}"
    if token == "own":
        token = s["token"]
    return url if token is None else f"{url}?token={token}"


class Client:
    """A real websocket client that sorts what arrives into frames and JSON messages."""

    def __init__(self, url: str, **connect_args) -> None:
        self.url, self.connect_args = url, connect_args
        self.frames: list[Frame] = []
        self.messages: list[dict] = []

    def __enter__(self) -> "Client":
        self._cm = connect(self.url, max_size=2**24, open_timeout=10, **self.connect_args)
        self.ws = self._cm.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._cm.__exit__(*exc)

    def send(self, **cmd) -> None:
        self.ws.send(json.dumps(cmd))

    def pump(self, timeout: float = 0.2) -> None:
        """Receive everything that arrives within `timeout` seconds."""
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            try:
                msg = self.ws.recv(timeout=left)
            except TimeoutError:
                return
            if isinstance(msg, bytes):
                self.frames.append(decode(msg))
            else:
                self.messages.append(json.loads(msg))

    def wait_message(self, pred, timeout: float = 10.0) -> dict:
        end = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < end:
            for m in self.messages[seen:]:
                if pred(m):
                    return m
            seen = len(self.messages)
            self.pump(0.1)
        raise AssertionError(f"no matching message in {timeout} s; got {self.messages[-5:]}")
