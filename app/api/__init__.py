"""GraphQL API over the identity graph: `app.api.app.create_app()` builds the ASGI app."""
