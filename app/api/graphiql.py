"""The GraphiQL page, served from our own static files (browsers here cannot reach a CDN)."""

from __future__ import annotations

import html
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
# Fetched by scripts/fetch_graphiql.sh (make install); git-ignored.
VENDOR_FILES = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphiql.min.css",
)
FETCH_HINT = "make install  (or: bash scripts/fetch_graphiql.sh app/api/static/vendor)"

_MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GraphiQL is not installed</title></head>
<body style="font-family: sans-serif; max-width: 46em; margin: 3em auto">
<h1>GraphiQL is not installed</h1>
<p>The browser files of GraphiQL are missing from <code>{vendor}</code>
({missing}). Fetch them with</p>
<pre>{hint}</pre>
<p>and reload this page. The GraphQL endpoint itself works without them: POST
<code>{{"query": "..."}}</code> as JSON to <code>{endpoint}</code>.</p>
</body></html>
"""


def missing_vendor_files(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    return [name for name in VENDOR_FILES if not (vendor_dir / name).is_file()]


def graphiql_page(endpoint: str, static_url: str, vendor_dir: Path = VENDOR_DIR) -> tuple[str, int]:
    """(HTML, status): the GraphiQL page, or a page saying how to fetch its files (503)."""
    missing = missing_vendor_files(vendor_dir)
    if missing:
        page = _MISSING.format(
            vendor=html.escape(str(vendor_dir)),
            missing=html.escape(", ".join(missing)),
            hint=html.escape(FETCH_HINT),
            endpoint=html.escape(endpoint),
        )
        return page, 503
    template = (STATIC_DIR / "graphiql.html").read_text(encoding="utf-8")
    page = template.replace("{{vendor}}", html.escape(f"{static_url.rstrip('/')}/vendor"))
    return page.replace("{{endpoint}}", html.escape(endpoint)), 200
