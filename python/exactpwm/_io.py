"""Small file helpers shared by the writers: atomic output, never over an input."""

from __future__ import annotations

import os
import tempfile
from typing import IO

__all__ = ["atomic_output", "atomic_path", "safe_filename", "unique_filenames", "same_file", "UniqueNames"]


class atomic_output:
    """Write text to a path atomically (temp file in the same folder, then rename) or to an open file.

    On an exception the temp file is removed and an existing file at the path is left as it was.
    """

    def __init__(self, out, mode: str = "w"):
        self.out = out
        self.mode = mode
        self.tmp = None

    def __enter__(self) -> IO:
        if hasattr(self.out, "write"):
            return self.out
        path = os.fspath(self.out)
        fd, self.tmp = tempfile.mkstemp(prefix=".exactpwm-", dir=os.path.dirname(os.path.abspath(path)))
        self.f = os.fdopen(fd, self.mode)
        return self.f

    def __exit__(self, exc_type, exc, tb):
        if self.tmp is None:
            return False
        self.f.close()
        if exc_type is None:
            os.chmod(self.tmp, 0o666 & ~_umask())
            os.replace(self.tmp, os.fspath(self.out))
        else:
            os.unlink(self.tmp)
        return False


class atomic_path:
    """A temporary path beside ``out`` for writers that want a file name (e.g. pyBigWig);
    renamed to ``out`` on success, removed on an exception."""

    def __init__(self, out):
        self.out = os.fspath(out)

    def __enter__(self) -> str:
        fd, self.tmp = tempfile.mkstemp(prefix=".exactpwm-", dir=os.path.dirname(os.path.abspath(self.out)))
        os.close(fd)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            os.chmod(self.tmp, 0o666 & ~_umask())
            os.replace(self.tmp, self.out)
        elif os.path.exists(self.tmp):
            os.unlink(self.tmp)
        return False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def same_file(a, b) -> bool:
    """True when paths a and b name the same existing file (links and relative paths resolved)."""
    try:
        return os.path.samefile(os.fspath(a), os.fspath(b))
    except (OSError, TypeError):
        return False


def safe_filename(name: str) -> str:
    """A motif or sequence name as a file name: letters, digits and ``._+-`` kept, the rest ``_``."""
    return "".join(c if c.isalnum() or c in "._+-" else "_" for c in name)


def unique_filenames(names: list[str]) -> list[str]:
    """Safe file names for several motifs, never two alike (also ignoring case):
    repeats get ``_2``, ``_3``, ... so no output overwrites another."""
    seen: set[str] = set()
    out = []
    for name in names:
        base = safe_filename(name) or "motif"
        cand, i = base, 1
        while cand.lower() in seen:
            i += 1
            cand = f"{base}_{i}"
        seen.add(cand.lower())
        out.append(cand)
    return out


class UniqueNames:
    """Names seen so far, in order; ``add`` raises ValueError on a repeat, naming both records
    (a score track has one entry per chromosome)."""

    def __init__(self):
        self.first: dict[str, int] = {}

    def add(self, name: str) -> None:
        if name in self.first:
            raise ValueError(f"sequence name {name!r} appears twice (records {self.first[name] + 1} and "
                             f"{len(self.first) + 1}); a score track needs unique sequence names")
        self.first[name] = len(self.first)
