"""Reply bodies that several routes share: a new session's (control token, viewer link, info)."""

from __future__ import annotations

from ..engine.base import BaseSession


def created(session: BaseSession) -> dict:
    """A creation reply: control token, viewer token and viewer link (presenter mode), then info."""
    viewer = session.viewer_token
    return {"token": session.token, "viewer_token": viewer,
            "viewer_url": f"/?session={session.id}&view={viewer}", **session.info()}
