"""The REST API under /api: one router per resource, assembled here (app.py includes `api_router`).

health (health, limits) · datasets (catalogue, presets, downloads) · sessions (create, load, read,
end, checkpoint) · control (play … link) · points (drawn / CSV data) · snapshots · images (image
sessions only) · jobs · saved.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import classes, control, datasets, health, images, jobs, lessons, points, saved, sessions, snapshots

api_router = APIRouter(prefix="/api")
for module in (health, datasets, sessions, control, points, snapshots, images, jobs, saved,
               lessons, classes):
    api_router.include_router(module.router)
