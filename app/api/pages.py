"""Server-rendered pages on the access layer: data playback for a signed-in person (`/me`) and
for a subject-access request (`/subject-access/<profileId>`), as a page and as JSON."""

from __future__ import annotations

from starlette.routing import Route


def page_routes() -> list[Route]:
    return []
