"""The GraphiQL page, and what it says when its browser files were never fetched."""

from __future__ import annotations

from app.api.graphiql import VENDOR_FILES, graphiql_page


def test_page_names_local_files(tmp_path) -> None:
    for name in VENDOR_FILES:
        (tmp_path / name).write_text("x")
    page, status = graphiql_page("/graphql", "/prefix/static", vendor_dir=tmp_path)
    assert status == 200
    assert 'src="/prefix/static/vendor/graphiql.min.js"' in page
    assert "https://" not in page  # nothing from a CDN


def test_missing_files_say_how_to_fetch_them(tmp_path) -> None:
    (tmp_path / "graphiql.min.js").write_text("x")
    page, status = graphiql_page("/graphql", "/static", vendor_dir=tmp_path)
    assert status == 503
    assert "make install" in page
    assert "scripts/fetch_graphiql.sh" in page
    assert "react.production.min.js" in page and "graphiql.min.css" in page
