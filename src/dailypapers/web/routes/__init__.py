"""HTML page routers, one module per area."""
