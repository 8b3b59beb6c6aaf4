"""The HTTP API of jointcase (FastAPI): routers per resource, schemas, auth, error mapping."""
