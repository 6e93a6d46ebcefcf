"""Guided lessons: the catalogue, one lesson, and a session's lesson progress (start a step —
its setup is applied —, evaluate its checks, answer its question, end the lesson)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from ...engine.lessons.model import catalog
from ...engine.lessons.progress import LessonBook, LessonProgress
from ..deps import Book, ReadableSession, WritableSession
from ..errors import engine_errors, field_error

router = APIRouter(tags=["lessons"])
LESSONS = catalog()  # every lesson file is validated when the app starts (LessonError names it)
HIDDEN = {"steps": {"__all__": {"solution": True, "question": {"answer", "accept"}}}}


class StartLesson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # the ids are fixed at start-up, so the schema names them (a fuzzer's "valid" id is a real one)
    lesson: Literal[tuple(LESSONS)] = Field(description="a lesson id from GET /api/lessons")  # type: ignore[valid-type]
    step: int = Field(1, ge=1, le=40, description="the step to enter (1 = the first)")
    apply: bool = Field(True, description="apply the step's setup (pause, reset, preset, config)")


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Annotated[int, Field(ge=0, le=7)] | Annotated[str, Field(min_length=1, max_length=2000)] = \
        Field(description="the option's index (choice questions) or the answer's text")


def _progress(book: LessonBook, session: Any) -> LessonProgress:
    p = book.get(session)
    if p is None:
        raise HTTPException(404, f"no lesson is running on session {session.id}: "
                                 "POST /api/sessions/{id}/lesson {\"lesson\": ...} starts one")
    return p


@router.get("/lessons")
def list_lessons() -> dict:
    return {"lessons": [les.outline() for les in LESSONS.values()]}


@router.get("/lessons/{lid}")
def get_lesson(lid: str) -> dict:
    les = LESSONS.get(lid)
    if les is None:
        raise HTTPException(404, f"no lesson {lid!r} (GET /api/lessons lists them)")
    return les.model_dump(exclude=HIDDEN)


@router.get("/sessions/{sid}/lesson")
def lesson_status(session: ReadableSession, book: Book) -> dict:
    """The running step's checks (evaluated now, latched once passed) and question."""
    return _progress(book, session).evaluate()


@router.post("/sessions/{sid}/lesson")
def start_lesson(session: WritableSession, book: Book, body: StartLesson) -> dict:
    les = LESSONS.get(body.lesson)
    if les is None:
        raise field_error(["body", "lesson"], f"no lesson {body.lesson!r}; one of {list(LESSONS)}")
    if body.step > len(les.steps):
        raise field_error(["body", "step"], f"lesson {les.id!r} has {len(les.steps)} steps")
    if session.kind != les.kind:
        raise HTTPException(409, f"lesson {les.id!r} needs a {les.kind} session; session "
                                 f"{session.id} is {session.kind}")
    p = book.get(session)
    if p is None or p.lesson.id != les.id:
        p = book.start(les, session)
    with engine_errors(("body", "lesson")):
        return p.enter(body.step - 1, body.apply)


@router.post("/sessions/{sid}/lesson/answer")
def answer_question(session: WritableSession, book: Book, body: Answer) -> dict:
    p = _progress(book, session)
    if p.step.question is None:
        raise field_error(["body", "answer"], f"step {p.index + 1} asks no question")
    q = p.step.question
    if q.kind == "choice" and not (isinstance(body.answer, int) and body.answer < len(q.options)):
        raise field_error(["body", "answer"], f"this question wants the index of one of its "
                                              f"{len(q.options)} options (0..{len(q.options) - 1})")
    return {**p.answer(body.answer), "status": p.evaluate()}


@router.delete("/sessions/{sid}/lesson")
def end_lesson(session: WritableSession, book: Book) -> dict:
    _progress(book, session)
    book.end(session)
    return {"ended": True}
