"""Line reading and number parsing shared by the motif format readers; errors name file and line."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np

from exactpwm.io.fasta import DECOMPRESS_ERRORS, open_binary

__all__ = ["MotifFormatError", "Lines", "read_text", "fmt_number"]


class MotifFormatError(ValueError):
    """A malformed motif file; the message is ``file:line: what was expected, what was found``."""


class Lines:
    """The lines of a text with 1-based numbers, a cursor, and errors that say where."""

    def __init__(self, text: str, label: str):
        self.lines = text.splitlines()
        self.label = label
        self.i = 0  # index of the next line

    def __iter__(self) -> Iterator[tuple[int, str]]:
        while self.i < len(self.lines):
            self.i += 1
            yield self.i, self.lines[self.i - 1]

    def next(self, expected: str) -> tuple[int, str]:
        """The next line that is not blank; an error saying what was expected at end of file."""
        while self.i < len(self.lines):
            self.i += 1
            line = self.lines[self.i - 1]
            if line.strip():
                return self.i, line
        raise self.error(len(self.lines) + 1, f"expected {expected}, found the end of the file")

    def peek(self) -> str | None:
        """The next non-blank line without consuming it (None at end of file)."""
        for j in range(self.i, len(self.lines)):  # no copy of the rest: a big file reads in linear time
            if self.lines[j].strip():
                return self.lines[j]
        return None

    def error(self, lineno: int, message: str) -> MotifFormatError:
        return MotifFormatError(f"{self.label}:{lineno}: {message}")

    def numbers(self, lineno: int, fields: list[str], what: str) -> np.ndarray:
        """Parse fields as finite non-negative floats, or raise an error naming the bad field."""
        try:
            values = np.array([float(f) for f in fields], dtype=np.float64)
        except ValueError:
            bad = next(f for f in fields if not is_number(f))
            raise self.error(lineno, f"expected numbers in {what}, found {bad!r}") from None
        if not np.isfinite(values).all() or (values < 0).any():
            raise self.error(lineno, f"{what} must be finite and non-negative, found {' '.join(fields)}")
        return values


    def number_rows(self, linenos: list[int], rows: list[list[str]], what: str) -> np.ndarray:
        """:meth:`numbers` of many rows at once ((len(rows), k) float64, every row k fields); the
        first bad row's error when there is one."""
        try:
            values = np.array(rows, dtype=np.float64)
            if values.ndim == 2 and np.isfinite(values).all() and (values >= 0).all():
                return values
        except ValueError:
            pass
        return np.array([self.numbers(n, fields, what) for n, fields in zip(linenos, rows)])


def is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def read_text(source) -> tuple[str, str]:
    """(text, label) of a motif file: a path (plain or gzip/xz/bzip2), '-' for stdin, or a file object."""
    if isinstance(source, io.TextIOBase):
        return source.read(), getattr(source, "name", "<stream>")
    own = not hasattr(source, "read") and str(source) != "-"
    f, label = open_binary(source)
    try:
        data = f.read()
    except DECOMPRESS_ERRORS as exc:
        raise MotifFormatError(f"{label}: the file is truncated or not validly compressed ({exc})") from None
    finally:
        if own:
            f.close()
    try:
        return data.decode("utf-8-sig"), label
    except UnicodeDecodeError as exc:
        raise MotifFormatError(f"{label}: not a text file ({exc})") from None


def fmt_number(x: float) -> str:
    """Counts as integers when they are, else up to 10 significant digits."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:.10g}"

