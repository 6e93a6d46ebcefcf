"""User uploads: raw bodies read within a byte limit; point sets (drawn strokes, CSV) validated."""

from __future__ import annotations

import csv
import io
import math

from fastapi import HTTPException, Request

from ..engine.checkpoint import MAX_ABS, MAX_POINTS  # the bounds checkpoints' points meet too
from ..engine.create import MAX_CHECKPOINT_BYTES

MAX_CSV_BYTES = 1_000_000
MAX_UPLOAD = MAX_CHECKPOINT_BYTES  # the largest checkpoint (images); max_upload_bytes caps it too


async def read_body(request: Request, limit: int) -> bytes:
    """The raw request body, refused with 413 past `limit` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {declared} bytes is over the {limit}-byte limit")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise HTTPException(413, f"body is over the {limit}-byte limit")
    return bytes(data)


class PointsError(ValueError):
    """Bad points; the message names the row or field."""


def check_points(points: list[list[float]]) -> list[list[float]]:
    """1..MAX_POINTS finite (x, y) pairs within ±MAX_ABS."""
    if not 1 <= len(points) <= MAX_POINTS:
        raise PointsError(f"need 1 to {MAX_POINTS} points, got {len(points)}")
    for i, p in enumerate(points):
        if len(p) != 2:
            raise PointsError(f"point {i} has {len(p)} values; each point is [x, y]")
        if not all(math.isfinite(v) and abs(v) <= MAX_ABS for v in p):
            raise PointsError(f"point {i} = {p}: coordinates must be finite and within ±{MAX_ABS:g}")
    return points


def _rows(reader):
    """The reader's rows; a field over the csv module's limit (131,072 characters) names its line."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PointsError(f"line {reader.line_num}: not an x,y row ({exc})") from None


def parse_csv(data: bytes) -> list[list[float]]:
    """Rows of `x,y` (an optional header row of non-numbers is skipped); errors name the line."""
    if len(data) > MAX_CSV_BYTES:
        raise PointsError(f"CSV of {len(data)} bytes is over the {MAX_CSV_BYTES}-byte limit")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PointsError("CSV must be UTF-8 text") from None
    points: list[list[float]] = []
    reader = csv.reader(io.StringIO(text))
    for lineno, row in enumerate(_rows(reader), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) != 2:
            raise PointsError(f"line {lineno}: expected 2 columns (x,y), found {len(cells)}")
        try:
            x, y = float(cells[0]), float(cells[1])
        except ValueError:
            if lineno == 1 and not points:
                continue  # a header row
            raise PointsError(f"line {lineno}: {','.join(cells)!r} is not two numbers") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise PointsError(f"line {lineno}: values must be finite numbers")
        points.append([x, y])
        if len(points) > MAX_POINTS:
            raise PointsError(f"more than {MAX_POINTS} points (line {lineno})")
    if not points:
        raise PointsError("the CSV holds no x,y rows")
    return check_points(points)
