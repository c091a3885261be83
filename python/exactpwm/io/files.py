"""Small file helpers shared by the writers: safe outputs, never over an input.

An output path is one of three kinds, decided before anything is written:

* a regular file, new or existing (a symbolic link counts as the file it points to):
  written to a temporary file in the same folder, renamed over the target on success,
  removed on any failure, so an existing file is either replaced whole or left as it was
  (:func:`replace_file`);
* a character device, FIFO or socket (``/dev/null``, ``/dev/stdout``, a named pipe), or
  any path under ``/dev`` or ``/proc``: written through in place, never replaced;
* a folder: refused (:class:`OutputPathError`), before any work starts.
"""

from __future__ import annotations

import errno
import functools
import io
import os
import stat
import tempfile
from typing import IO

__all__ = ["write_bytes", "atomic_output", "atomic_path", "replace_file", "staged_partitions", "check_input_path",
           "check_output_path", "check_outputs", "OutputPathError", "safe_filename", "unique_filenames", "same_file",
           "UniqueNames"]

_TEMP_PREFIX = ".exactpwm-"


class OutputPathError(ValueError):
    """An output path that cannot be written (a folder, a missing or read-only folder)."""


def write_bytes(f: IO, data: bytes | list[bytes]) -> None:
    """UTF-8 bytes (or a list of parts, written in order) to a binary file, or to the binary file
    under a text one (flushed first, once), or decoded into a text file that has none."""
    buffer = getattr(f, "buffer", None)
    if buffer is not None:
        f.flush()
        write = buffer.write
    elif isinstance(f, io.TextIOBase):
        def write(part: bytes) -> None:
            f.write(part.decode("utf-8"))
    else:
        write = f.write
    for part in data if isinstance(data, list) else [data]:
        write(part)


def _write_through(path: str) -> bool:
    """True for outputs that must be written in place: devices, FIFOs, sockets, /dev and /proc paths."""
    real = os.path.realpath(path)
    for p in (os.path.abspath(path), real):
        if p == "/dev" or p.startswith(("/dev/", "/proc/")):
            return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISBLK(mode)


def check_input_path(path) -> None:
    """An input file must exist, be a file and be readable ('-' is stdin; None and ``jaspar:``
    specs pass): FileNotFoundError, IsADirectoryError or PermissionError naming it."""
    if path is None or hasattr(path, "read") or str(path) == "-" or str(path).startswith("jaspar:"):
        return
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise PermissionError(f"{path}: Permission denied")


def check_output_path(path, inputs=()) -> None:
    """Check an output path before any work starts; raise :class:`OutputPathError` naming it.

    Refused: a folder; a path whose folder does not exist or is not writable; a path that is
    one of ``inputs`` (links and relative paths resolved). ``None`` and ``"-"`` (stdout) pass.
    """
    if path is None or hasattr(path, "write") or str(path) == "-":
        return
    path = os.fspath(path)
    if not path:
        raise OutputPathError("an empty output path")
    for i in inputs:
        if i is not None and not hasattr(i, "read") and str(i) != "-" and same_file(path, i):
            raise OutputPathError(f"refusing to write {path}: it is an input file; choose another output")
    if os.path.isdir(path):
        raise OutputPathError(f"{path} is a folder: give a file name")
    if _write_through(path):
        if not os.path.exists(path):
            raise OutputPathError(f"{path}: no such device")
        return
    folder = os.path.dirname(os.path.realpath(path)) or "."
    if not os.path.isdir(folder):
        raise OutputPathError(f"{path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"{path}: the folder {folder} is not writable")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise OutputPathError(f"{path}: the file is not writable")


_WRITE_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EROFS}


def _named(exc: OSError, path: str) -> OSError:
    """The same kind of OSError, naming the user's path instead of a temporary file."""
    reason = exc.strerror or str(exc)
    return type(exc)(exc.errno or errno.EIO, f"{path}: could not write: {reason}")


_RENAME_EXCHANGE = 2  # renameat2's flag (Linux 3.15)
_AT_FDCWD = -100


@functools.cache
def _renameat2():
    """libc's renameat2, or None where there is none (not Linux, or glibc before 2.28)."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).renameat2
    except (ImportError, OSError, AttributeError):  # pragma: no cover - other platforms
        return None


def _exchange(a: str, b: str) -> bool:
    """Swap the files at two names in one step (renameat2 RENAME_EXCHANGE); False where that cannot
    be done (b does not exist, or the system or file system has no exchange)."""
    call = _renameat2()
    return call is not None and call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def replace_file(new: str, target: str) -> None:
    """Put the finished file ``new`` at ``target`` in one step, as :func:`os.replace` does.

    An existing regular file at ``target`` is exchanged with ``new`` (Linux's renameat2), then
    removed under ``new``'s name. Readers see the old file or the new one, never neither. Renaming
    over an existing file makes ext4 write the new file's data out at once (its ``auto_da_alloc``
    guard: 8 ms for a 9 MB table, more for larger ones). An exchange leaves that to the kernel's
    usual writeback, as for any newly written file: no command ever promised its output to survive
    a power cut before writeback (none calls fsync). Where there is no exchange (no ``target``
    yet, another system, a file system without it), and when ``target`` turns out not to be a
    regular file (it is swapped back), :func:`os.replace` does the rename and raises its errors."""
    if _exchange(new, target):
        if stat.S_ISREG(os.lstat(new).st_mode):  # the previous file, now under the temporary name
            os.unlink(new)
            return
        _exchange(new, target)  # a folder or link appeared at target meanwhile: put it back
    os.replace(new, target)


class atomic_output:
    """Write to a path safely, or to an open file object (used as is).

    A regular-file target (a link is followed to its target) is written to a temp file
    beside it and renamed over it on success; on an exception the temp file is removed and
    an existing file is left as it was. Devices, FIFOs and /dev paths are written in place.
    Errors name ``out``, never the temp file.
    """

    def __init__(self, out, mode: str = "w"):
        self.out = out
        self.mode = mode
        self.tmp: str | None = None
        self.f: IO | None = None

    def __enter__(self) -> IO:
        if hasattr(self.out, "write"):
            return self.out
        path = os.fspath(self.out)
        check_output_path(path)
        try:
            if _write_through(path):
                self.f = open(path, self.mode)
                return self.f
            self.target = os.path.realpath(path)
            fd, self.tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=os.path.dirname(self.target))
            self.f = os.fdopen(fd, self.mode)
        except OSError as exc:
            self._remove_tmp()
            raise _named(exc, path) from None
        return self.f

    def __exit__(self, exc_type, exc, tb):
        if self.f is None:
            return False
        path = os.fspath(self.out)
        try:
            self.f.close()
            if exc_type is None and self.tmp is not None:
                os.chmod(self.tmp, 0o666 & ~_umask())
                replace_file(self.tmp, self.target)
                self.tmp = None
        except OSError as err:
            if exc_type is None:
                raise _named(err, path) from None
        finally:
            self._remove_tmp()
        if isinstance(exc, OSError) and exc.filename is None and exc.errno in _WRITE_ERRNOS:
            raise _named(exc, path) from None  # a write to our file failed (disk full): name the user's path
        return False

    def _remove_tmp(self) -> None:
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass
            self.tmp = None


class staged_partitions:
    """A folder of partition files written as one: the files go to a hidden staging folder inside
    ``outdir`` (``with staged_partitions(outdir) as stage``: write under ``stage``, in any
    sub-folders), and only when the block succeeds do they replace the previous run's partitions
    (the files named ``part-*`` in each folder this run writes partitions to) and move into place.
    On a failure the staging folder is removed, and ``outdir`` keeps what it held: no half-written
    set of partitions, and no stale partition of an earlier run left among new ones."""

    PREFIX = ".exactpwm-partial-"

    def __init__(self, outdir):
        self.outdir = os.fspath(outdir)
        self.stage: str | None = None

    def __enter__(self) -> str:
        os.makedirs(self.outdir, exist_ok=True)
        self.stage = tempfile.mkdtemp(prefix=self.PREFIX, dir=self.outdir)
        return self.stage

    def __exit__(self, exc_type, exc, tb):
        import shutil

        assert self.stage is not None
        try:
            if exc_type is None:
                for folder, _, files in os.walk(self.stage):
                    target = os.path.join(self.outdir, os.path.relpath(folder, self.stage))
                    os.makedirs(target, exist_ok=True)
                    for old in os.listdir(target) if files else ():  # folders this run writes to
                        if old.startswith("part-") and os.path.isfile(os.path.join(target, old)):
                            os.unlink(os.path.join(target, old))
                    for f in files:
                        os.replace(os.path.join(folder, f), os.path.join(target, f))
        finally:
            shutil.rmtree(self.stage, ignore_errors=True)
            self.stage = None
        return False


class atomic_path:
    """A temporary path for writers that want a file name (pysam, pyBigWig), under the same rules
    as :class:`atomic_output`: for a regular-file target (a link is followed to its target) the
    temporary file lies beside it and is renamed over it on success, with the umask's mode; for a
    device, FIFO or /dev path it lies in the system's temporary folder and its bytes are written
    through to the target on success (so ``/dev/null`` stays a device and ``/dev/full`` reports
    "no space"). The temporary file is removed on any failure; errors name ``out``."""

    def __init__(self, out, suffix: str = ""):
        self.out = os.fspath(out)
        self.suffix = suffix
        self.tmp: str | None = None

    def __enter__(self) -> str:
        check_output_path(self.out)
        self.through = _write_through(self.out)
        folder = None if self.through else os.path.dirname(os.path.realpath(self.out))
        try:
            fd, self.tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=self.suffix, dir=folder)
        except OSError as exc:
            raise _named(exc, self.out) from None
        os.close(fd)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        assert self.tmp is not None
        try:
            if exc_type is None:
                try:
                    if self.through:
                        import shutil

                        with open(self.tmp, "rb") as src, open(self.out, "wb") as dst:
                            shutil.copyfileobj(src, dst, 1 << 20)
                    else:
                        os.chmod(self.tmp, 0o666 & ~_umask())
                        replace_file(self.tmp, os.path.realpath(self.out))
                except OSError as err:
                    raise _named(err, self.out) from None
        finally:
            if os.path.exists(self.tmp):
                os.unlink(self.tmp)
            self.tmp = None
        return False


def check_outputs(outputs, inputs=()) -> None:
    """:func:`check_output_path` for each of several outputs of one command, and refuse two of
    them naming the same file, whether it exists yet or not (devices such as /dev/null may repeat).
    ``None`` and ``"-"`` are skipped."""
    seen: dict[str, str] = {}
    for out in outputs:
        if out is None or hasattr(out, "write") or str(out) == "-":
            continue
        check_output_path(out, inputs)
        path = os.fspath(out)
        if _write_through(path):
            continue
        key = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.basename(path))
        key = os.path.realpath(key)
        if key in seen:
            both = path if seen[key] == path else f"{seen[key]} and {path}"
            raise OutputPathError(f"{both}: two outputs of this command would be the same file; give each its own path")
        seen[key] = path


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
