"""The project's error base: the CLI turns any JinlinError into a message and exit code 1."""


class JinlinError(Exception):
    """A problem the user can fix (bad input file, bad parameter); never a bug in our code."""
