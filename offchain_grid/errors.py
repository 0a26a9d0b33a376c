"""One root exception for the grid, with typed children the API maps to HTTP statuses."""


class GridError(Exception):
    """Root of every error the grid raises on purpose; the message is for users."""

    status_code = 400


class NotFound(GridError):
    status_code = 404


class Forbidden(GridError):
    status_code = 403


class Unauthorized(GridError):
    status_code = 401


class Conflict(GridError):
    status_code = 409


class InvalidInput(GridError):
    status_code = 422


class TooLarge(GridError):
    status_code = 413


class TooManyRequests(GridError):
    status_code = 429


class InvalidTransition(GridError):
    """A status machine refused an event (a late or duplicate report)."""

    status_code = 409


class ChecksumMismatch(GridError):
    """Downloaded or uploaded bytes do not hash to what was announced."""

    status_code = 422


class UnsafePath(GridError):
    """A file or archive member name would escape its directory."""

    status_code = 422
