"""The error types exactpwm raises for bad input, beyond ValueError itself.

Both are ValueErrors, so one ``except ValueError`` catches every input error the library raises
(the CLI turns exactly those into one ``error:`` line; anything else is a bug and prints its
traceback), and each keeps the type a Python user expects from the situation.
"""

from __future__ import annotations

__all__ = ["AttributionError", "ExactpwmWarning", "InputTypeError", "NotFoundError", "OptionsError"]


class NotFoundError(KeyError, ValueError):
    """A name that is not there: a motif id, an array entry in a file, a JASPAR matrix. A KeyError,
    as a lookup, and a ValueError, as bad input; ``str()`` is the message, without KeyError's quotes."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class AttributionError(ValueError):
    """An attribution map that fails its own check (completeness, additivity), or a model op with no
    exact rule: never returned as a map."""


class InputTypeError(TypeError, ValueError):
    """An argument, or a file's content, of the wrong type (a string array where numbers belong,
    a bool for a count). A TypeError, and a ValueError as bad input."""


class OptionsError(ValueError):
    """Options that do not fit together, or an output that cannot be written; the CLI's usage error
    (exit code 2). Also importable from :mod:`exactpwm.jobs`."""


class ExactpwmWarning(UserWarning):
    """Every warning exactpwm gives about a user's input or result (motifs that can never be hits,
    variants not scored, a stale index, regions cut, ...): one class to filter or turn into errors
    (``-W error::exactpwm.core.errors.ExactpwmWarning``; the test suite does)."""
