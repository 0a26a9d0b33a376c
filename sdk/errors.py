"""One root exception for what a user asked that cannot be done, with a message to act on."""


class SdkError(Exception):
    """A refused or impossible request: the message says what to change."""
