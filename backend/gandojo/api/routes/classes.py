"""Classes: a lecturer creates one (a short code and a teacher token), students join with the code
and their own session token, the lecturer's dashboard lists every student's tile and pushes a
lesson step to all of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ...engine.lessons.classes import ClassError, ClassRegistry, ClassRoom
from ...engine.manager import token_matches
from ..deps import Book, Classes, Credentials, Manager
from ..errors import engine_errors, field_error
from .lessons import LESSONS

router = APIRouter(tags=["classes"])
CODE = r"^[A-Za-z0-9]{4,12}$"


class NewClass(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=120)


class JoinClass(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session: str = Field(min_length=1, max_length=64, description="the student's session id")
    token: str = Field(min_length=1, max_length=128, description="that session's control token")
    name: str = Field("", max_length=40, description="the name the lecturer sees (optional)")


class PushStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lesson: str = Field(max_length=64)
    step: int = Field(1, ge=1, le=40)


def _teacher(classes: ClassRegistry, code: str, cred) -> ClassRoom:
    room = classes.get(code)
    if room is None:
        raise HTTPException(404, f"no class {code!r}")
    if cred is None:
        raise HTTPException(401, "the class dashboard needs 'Authorization: Bearer <teacher token>'",
                            headers={"WWW-Authenticate": "Bearer"})
    if not room.teacher(cred.credentials):
        raise HTTPException(403, "this is not the class's teacher token")
    return room


@router.post("/classes", status_code=201)
def create_class(classes: Classes, body: NewClass) -> dict:
    try:
        room = classes.create(body.title)
    except ClassError as exc:
        raise HTTPException(429, str(exc)) from None
    return {"code": room.code, "title": room.title, "teacher_token": room.teacher_token,
            "dashboard_url": f"/class.html?code={room.code}"}


@router.post("/classes/{code}/students", status_code=201)
def join_class(code: Annotated[str, Path(pattern=CODE)], classes: Classes, manager: Manager,
               body: JoinClass) -> dict:
    s = manager.get(body.session)
    if s is None:
        raise field_error(["body", "session"], f"no session {body.session!r}")
    if not token_matches(s, body.token):
        raise HTTPException(403, "the token does not belong to this session")
    try:
        room = classes.join(code, s, body.name.strip() or f"student {s.id[:4]}")
    except ClassError as exc:
        raise (HTTPException(404, str(exc)) if exc.field == "code" and "no class" in str(exc)
               else HTTPException(409, str(exc))) from None
    return {"code": room.code, "title": room.title, "joined": True}


@router.get("/classes/{code}")
def class_dashboard(code: str, classes: Classes, book: Book, cred: Credentials,
                    thumbs: bool = False) -> JSONResponse:
    """Every student's tile; `thumbs=true` adds a few real and fake points per 2D tile (engine/lessons/
    classes.py: 8-bit places in the view, base64). Plain JSON types already: encoded as they are
    (no jsonable_encoder walk over 100 tiles while the students' training holds the GIL)."""
    room = _teacher(classes, code, cred)
    return JSONResponse({"code": room.code, "title": room.title, "students": classes.tiles(room, book, thumbs)})


@router.post("/classes/{code}/push")
def push_step(code: str, classes: Classes, book: Book, cred: Credentials, body: PushStep) -> dict:
    """Put every student (2D sessions) on step `step` of `lesson`, its setup applied."""
    room = _teacher(classes, code, cred)
    les = LESSONS.get(body.lesson)
    if les is None:
        raise field_error(["body", "lesson"], f"no lesson {body.lesson!r}; one of {list(LESSONS)}")
    if body.step > len(les.steps):
        raise field_error(["body", "step"], f"lesson {les.id!r} has {len(les.steps)} steps")
    pushed = 0
    for st in list(room.students.values()):
        s = st.session
        if s.closed or s.kind != les.kind:
            continue
        p = book.get(s)
        if p is None or p.lesson.id != les.id:
            p = book.start(les, s)
        with engine_errors(("body", "lesson")):
            p.enter(body.step - 1)
        pushed += 1
    return {"pushed": pushed}
