"""Classes: a lecturer's short code, the students' sessions that joined it, and one tile per
student for the dashboard (dataset, iteration, key metrics, alarm, lesson progress).

A tile reads only what the session already has: its info, the header of its newest frame (no
new frame is built: a dashboard of 100 students costs no training time) and the lesson progress
as last evaluated; the header (and a thumbnail) is read once per frame and kept with the class
until the student's next frame. A thumbnail is 150 real and 150 fake points of that frame as
8-bit places in its view, base64 (1.1 kB a tile instead of 13 kB of JSON numbers); an image
student's is the first THUMB_IMAGES pictures of its sample grid as 8-bit gray, base64. Student
tokens never leave the server; the lecturer gets each student's viewer link (watch, never
control) to put one run on the projector.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .progress import LessonBook, frame_header

CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: written on a board
CODE_LEN = 6
MAX_CLASSES = 200
MAX_STUDENTS = 300


class ClassError(ValueError):
    """A class request that cannot be served (full, unknown code); `field` names the input."""

    def __init__(self, field: str, msg: str) -> None:
        self.field = field
        super().__init__(msg)


@dataclass
class Student:
    session: Any
    name: str
    joined: float = field(default_factory=time.time)


@dataclass
class ClassRoom:
    code: str
    title: str
    teacher_token: str
    students: dict[str, Student] = field(default_factory=dict)  # by session id
    frames: dict[str, list] = field(default_factory=dict)  # by session id: [frame seq, header, thumb or None]

    def teacher(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(self.teacher_token.encode(), token.encode())


THUMB_POINTS = 150  # real and fake points per thumbnail
THUMB_LEVELS = 255  # a thumbnail's coordinates: 0..255 across the view (x left to right, y bottom to top)
THUMB_IMAGES = 4  # pictures of an image student's sample grid per thumbnail (a 2×2 mosaic on the page)


def _section(data: bytes, head: dict[str, Any], name: str, n: int) -> np.ndarray | None:
    """The first `n` rows of section `name` of an encoded frame (engine/frames.py layout)."""
    offset = 8 + int.from_bytes(data[4:8], "little")  # past the magic, the length and the header
    for sec in head.get("sections") or []:
        shape = [int(d) for d in sec["shape"]]
        count = int(np.prod(shape))
        if sec["name"] == name and len(shape) >= 2:
            row = count // max(1, shape[0])
            return np.frombuffer(data, "<f4", min(shape[0], n) * row, offset).reshape(-1, *shape[1:])
        offset += 4 * count
    return None


def _points(data: bytes, head: dict[str, Any], name: str, n: int) -> np.ndarray | None:
    """The first `n` points of 2-column section `name`."""
    arr = _section(data, head, name, n)
    return arr if arr is not None and arr.ndim == 2 and arr.shape[1] == 2 else None


def quantize(points: np.ndarray | None, view: dict[str, list[float]]) -> str:
    """Base64 of (x, y) byte pairs: each point's place in `view` on 0..THUMB_LEVELS; points outside
    the view (or not finite) are left out."""
    if points is None:
        return ""
    lo = np.array([view["x"][0], view["y"][0]], np.float64)
    span = np.array([view["x"][1], view["y"][1]], np.float64) - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.rint((points - lo) / np.where(span > 0, span, np.nan) * THUMB_LEVELS)
    q = q[np.isfinite(q).all(1) & (q >= 0).all(1) & (q <= THUMB_LEVELS).all(1)]
    return base64.b64encode(q.astype(np.uint8).tobytes()).decode("ascii")


def thumbnail(data: bytes, head: dict[str, Any]) -> dict[str, Any] | None:
    """A few real and fake points of the newest 2D frame and its view: the page draws the tile's
    thumbnail from them (no image is rendered on the server). `real` / `fake`: see `quantize`."""
    view = head.get("view")
    if head.get("kind") == "image":
        return image_thumbnail(_section(data, head, "samples", THUMB_IMAGES))
    if head.get("kind") != "2d" or not view:
        return None
    return {"view": view, "levels": THUMB_LEVELS,
            "real": quantize(_points(data, head, "real", THUMB_POINTS), view),
            "fake": quantize(_points(data, head, "fake", THUMB_POINTS), view)}


def image_thumbnail(samples: np.ndarray | None) -> dict[str, Any] | None:
    """The first pictures of an image frame's sample grid (values in [0, 1]) as 8-bit gray, base64."""
    if samples is None or samples.ndim != 3 or not len(samples):
        return None
    gray = np.rint(np.clip(np.nan_to_num(samples), 0.0, 1.0) * 255).astype(np.uint8)
    return {"shape": list(gray.shape), "images": base64.b64encode(gray.tobytes()).decode("ascii")}


def _newest(s: Any, room: ClassRoom | None, thumbs: bool) -> tuple[dict[str, Any], dict | None]:
    """The header of session `s`'s newest frame and (with `thumbs`) its thumbnail, each read once per
    frame when `room` keeps them."""
    latest = s.latest()
    if not latest:
        return {}, None
    kept = room.frames.get(s.id) if room is not None else None
    if kept is None or kept[0] != latest[0]:
        kept = [latest[0], frame_header(latest[1]) or {}, None]
        if room is not None:
            room.frames[s.id] = kept
    if thumbs and kept[2] is None:
        kept[2] = thumbnail(latest[1], kept[1]) or {}
    return kept[1], (kept[2] or None) if thumbs else None


def tile(st: Student, book: LessonBook, thumbs: bool = False, room: ClassRoom | None = None) -> dict[str, Any]:
    """What the dashboard shows of one student (no token; the viewer link only watches); with
    `thumbs`, a thumbnail's points too (kept per frame in `room`, when given)."""
    s = st.session
    info = s.info()
    head, thumb = _newest(s, room, thumbs)
    metrics, alarm = head.get("metrics") or {}, head.get("alarm") or {}
    p = book.get(s)
    lesson = None if p is None else p.summary()
    return {"session": s.id, "name": st.name, "kind": info.get("kind"), "dataset": info.get("dataset"),
            "iteration": info.get("iteration"), "running": info.get("running"),
            "js": metrics.get("js"), "modes_captured": metrics.get("modes_captured"),
            "modes_total": metrics.get("modes_total"),
            "alarm": alarm.get("kind") if alarm.get("active") else None,
            "lesson": lesson, "ended": s.closed,
            "viewer_url": f"/?session={s.id}&view={s.viewer_token}" if s.viewer_token else None,
            "thumb": thumb}


class ClassRegistry:
    """Every class of the server, by code."""

    def __init__(self, max_classes: int = MAX_CLASSES, max_students: int = MAX_STUDENTS) -> None:
        self.max_classes, self.max_students = max_classes, max_students
        self._by_code: dict[str, ClassRoom] = {}
        self._lock = threading.Lock()

    def create(self, title: str) -> ClassRoom:
        with self._lock:
            if len(self._by_code) >= self.max_classes:
                raise ClassError("title", f"the server already holds {self.max_classes} classes")
            code = "".join(secrets.choice(CODE_CHARS) for _ in range(CODE_LEN))
            while code in self._by_code:
                code = "".join(secrets.choice(CODE_CHARS) for _ in range(CODE_LEN))
            room = ClassRoom(code, title, secrets.token_urlsafe(24))
            self._by_code[code] = room
        return room

    def get(self, code: str) -> ClassRoom | None:
        return self._by_code.get(code.upper())

    def join(self, code: str, session: Any, name: str) -> ClassRoom:
        room = self.get(code)
        if room is None:
            raise ClassError("code", f"no class {code!r}: check the code on the board")
        with self._lock:
            for sid in [k for k, v in room.students.items() if v.session.closed]:
                del room.students[sid]  # ended sessions leave the class
                room.frames.pop(sid, None)
            if session.id not in room.students and len(room.students) >= self.max_students:
                raise ClassError("code", f"class {room.code} is full ({self.max_students} students)")
            room.students[session.id] = Student(session, name)
        return room

    def tiles(self, room: ClassRoom, book: LessonBook, thumbs: bool = False) -> list[dict[str, Any]]:
        return [tile(st, book, thumbs, room) for st in list(room.students.values())]
