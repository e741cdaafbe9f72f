"""The one base class of errors a user can act on.

Their messages say what is wrong and what to do; the CLI prints them as one line and exits 1
instead of showing a traceback.
"""


class MtassistError(Exception):
    """An error whose message names the problem and the fix."""


USER_ERRORS: tuple[type[BaseException], ...] = (MtassistError,)


class BadRequest(ValueError):
    """A request the caller must fix; its message goes back to the caller as a Triton error."""
