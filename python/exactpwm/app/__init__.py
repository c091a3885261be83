"""The application on top: the command line (one module per command), the built-in demo and its
example data. Not an API: call :mod:`exactpwm.jobs` from Python."""

__all__: list[str] = []
