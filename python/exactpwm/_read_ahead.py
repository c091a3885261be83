"""A FASTA file read and parsed ahead by the compiled core, on a thread of its own, while the
``exactpwm`` program starts.

A command's process spends its first 0.07-0.1 s starting Python and importing numpy, on one core.
:func:`start`, called before that, has the compiled core read a plain FASTA file whole and parse it
as one block on another core (``exactpwm._core.FastaReadAhead``: the parser every block goes
through). :func:`take` hands the result to :mod:`exactpwm.io.fasta`, which checks it as it checks
a block it read itself: the same names, codes and errors. A file is read the usual way when it was
not read ahead (not a regular file, larger than :data:`LIMIT`, holding '\\r' line ends, no
compiled core) or has changed since (its device, inode, size or modification time).

numpy-free, since it runs before numpy loads; so, besides the engine facade
(:mod:`exactpwm._engine`), it is the one module that imports the compiled core.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from exactpwm.core.alphabet import fasta_table

__all__ = ["LIMIT", "Ahead", "start", "take", "reading"]

LIMIT = 64 << 20  #: the largest file read ahead (bytes): its text and codes are held whole

_pending: dict[tuple[str, bool], Any] = {}


class Ahead(NamedTuple):
    """A file read ahead: ``parsed`` as the engine's ``fasta_block`` returns it for the whole text,
    ``head`` the text's first 6 bytes (empty for an empty file), ``text()`` the text, read again
    (only an error message or a non-ASCII name needs it: the engine keeps only the codes)."""

    parsed: tuple
    head: bytes
    text: Callable[[], bytes]


def _key(path, letters: bool) -> tuple[str, bool] | None:
    if hasattr(path, "read") or not isinstance(path, (str, os.PathLike)) or str(path) == "-":
        return None
    return os.path.realpath(os.fspath(path)), bool(letters)


def start(path, letters: bool = False) -> bool:
    """Start reading ``path`` (a FASTA file) ahead, as codes or with ``letters`` as the letters written;
    False where it is not read ahead (not a regular file or larger than :data:`LIMIT`, already
    started, no compiled core). Errors are left to the usual reading, which reports them."""
    key = _key(path, letters)
    if key is None or key in _pending:
        return False
    try:
        info = os.stat(key[0])
    except (OSError, ValueError):
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size > LIMIT:
        return False
    try:
        from exactpwm import _core

        # the path as the system's bytes (a name need not be UTF-8); a thread that cannot start: no read ahead
        _pending[key] = _core.FastaReadAhead(os.fsencode(key[0]), fasta_table(), key[1], LIMIT)
    except (ImportError, RuntimeError, TypeError, ValueError):  # pragma: no cover - no compiled core, no thread
        return False
    return True


def take(source, letters: bool) -> Ahead | None:
    """The result of :func:`start` for ``source`` read with ``letters``, waited for, if that file is
    unchanged since it was read; None otherwise (read it the usual way). A start is taken once."""
    key = _key(source, letters) if _pending else None
    ahead = _pending.pop(key, None) if key is not None else None
    result = ahead.result() if ahead is not None else None
    if result is None:
        return None
    assert key is not None
    parsed, read, head = result
    try:
        info = os.stat(key[0])
    except OSError:
        return None
    if (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns) != tuple(read):
        return None
    return Ahead(parsed, head, functools.partial(_text, key[0]))


def _text(path: str) -> bytes:
    """The text the engine parsed: the file's bytes, with a final newline where they lack one."""
    with open(path, "rb") as f:
        text = f.read()
    return text + b"\n" if text and not text.endswith(b"\n") else text


@contextmanager
def reading(path, letters: bool = False) -> Iterator[None]:
    """:func:`start` for the block's duration: a read the block did not take (a job that failed
    before it read the file, or read it another way) is dropped at its end, its memory freed."""
    key = _key(path, letters) if start(path, letters) else None
    try:
        yield
    finally:
        if key is not None:
            _pending.pop(key, None)
