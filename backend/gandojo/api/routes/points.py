"""Custom 2D data: train on drawn points or on uploaded CSV rows (the `drawn` dataset)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..deps import WritableSession
from ..errors import field_error, run
from ..schemas import PointsBody
from ..uploads import MAX_CSV_BYTES, PointsError, check_points, parse_csv, read_body

router = APIRouter(tags=["control"])
CSV_ROW = r"[ \t]*-?[0-9]{1,6}(\.[0-9]{1,6})?[ \t]*,[ \t]*-?[0-9]{1,6}(\.[0-9]{1,6})?[ \t]*"
CSV_SCHEMA = {"type": "string", "maxLength": MAX_CSV_BYTES,  # what the schema promises is accepted
              "pattern": f"^({CSV_ROW}\r?\n){{0,9999}}{CSV_ROW}\r?\n?$"}  # ≤ 10,000 rows


@router.put("/sessions/{sid}/points")
async def put_points(body: PointsBody, session: WritableSession) -> dict:
    """Train on drawn points (the `drawn` dataset: a random point + 0.02·ε)."""
    try:
        pts = check_points(body.points)
    except PointsError as exc:
        raise field_error(["body", "points"], str(exc)) from None
    return await run(session.command("points", points=pts, source="drawn"))


@router.put("/sessions/{sid}/points.csv", openapi_extra={"requestBody": {
    "content": {"text/csv": {"schema": CSV_SCHEMA}}, "required": True}})
async def put_points_csv(request: Request, session: WritableSession) -> dict:
    """Train on uploaded `x,y` rows (≤ 1 MB, ≤ 10,000 points, optional header row)."""
    try:
        pts = parse_csv(await read_body(request, MAX_CSV_BYTES))
    except PointsError as exc:
        raise field_error(["body", "csv"], str(exc)) from None
    return await run(session.command("points", points=pts, source="csv"))
