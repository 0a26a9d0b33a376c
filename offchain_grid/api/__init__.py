"""HTTP API of the scheduler: FastAPI app, dependencies, one router per resource."""
