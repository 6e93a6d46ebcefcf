"""Session control: play, pause, step, reset, live config, presets and knobs, DRS, lockstep links."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException

from ...engine.manager import token_matches
from ..deps import Manager, WritableSession
from ..errors import run
from ..schemas import DrsBody, KnobBody, LinkBody, PlayBody, PresetBody, ResetBody, StepBody

router = APIRouter(tags=["control"])


@router.post("/sessions/{sid}/step")
async def step(session: WritableSession, body: StepBody | None = None) -> dict:
    body = body or StepBody()
    return await run(session.command("step", n=body.n, part=body.part))


@router.post("/sessions/{sid}/play")
async def play(session: WritableSession, body: PlayBody | None = None) -> dict:
    body = body or PlayBody()
    return await run(session.command("play", until=body.until))


@router.post("/sessions/{sid}/pause")
async def pause(session: WritableSession) -> dict:
    return await run(session.command("pause"))


@router.post("/sessions/{sid}/reset")
async def reset(session: WritableSession, body: ResetBody | None = None) -> dict:
    """Start over (on another dataset of the session's kind, or another seed)."""
    body = body or ResetBody()
    return await run(session.command("reset", dataset=body.dataset, seed=body.seed))


@router.patch("/sessions/{sid}/config")
async def patch_config(session: WritableSession,
                       patch: dict[str, Any] = Body(..., description="partial config")) -> dict:
    msg = await run(session.command("config", patch=patch))
    return {"config": msg["config"], "rebuilt": msg["rebuilt"]}


@router.post("/sessions/{sid}/preset")
async def apply_preset(body: PresetBody, session: WritableSession) -> dict:
    """Start over with a preset (switching to its dataset when it is tuned for one)."""
    return await run(session.command("preset", name=body.name))


@router.post("/sessions/{sid}/knob")
async def pull_knob(body: KnobBody, session: WritableSession) -> dict:
    """One live change, e.g. "d-lr-x10"; returns the new config and which on/off knobs are on."""
    msg = await run(session.command("knob", name=body.name))
    return {key: msg[key] for key in ("config", "rebuilt", "knobs", "message") if key in msg}


@router.post("/sessions/{sid}/drs")
async def set_drs(body: DrsBody, session: WritableSession) -> dict:
    return await run(session.command("drs", on=body.on, percentile=body.percentile))


@router.post("/sessions/{sid}/link")
async def link(body: LinkBody, session: WritableSession, manager: Manager) -> dict:
    """Step another session (whose token you hold) in lockstep with this one, same seed."""
    follower = manager.get(body.follower)
    if follower is None:
        raise HTTPException(404, f"no session {body.follower!r} to follow")
    if not token_matches(follower, body.follower_token):
        raise HTTPException(403, "follower_token does not belong to the follower session")
    try:
        return await run(session.command("link", follower=follower))
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None


@router.delete("/sessions/{sid}/link")
async def unlink(session: WritableSession) -> dict:
    return await run(session.command("link", follower=None))
