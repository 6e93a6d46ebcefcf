"""FastAPI application: REST routes, the websocket and the static page."""
