"""Arrays in ``.npz`` files (``np.savez`` / ``np.savez_compressed``), read a block of rows at a time,
so that a window of a large array is read without holding the whole of it: the attribution maps
and one-hot sequences that ``exactpwm attribute`` writes and modisco-lite reads are (N, 4, L)
float32, 320 MB for 20,000 sequences of 1 kb."""

from __future__ import annotations

import struct
import zipfile
from typing import IO, Any

import numpy as np

__all__ = ["npz_shape", "read_npz_columns"]


def _member(z: zipfile.ZipFile, key: str) -> tuple[IO[bytes], tuple, bool, np.dtype]:
    name = key + ".npy"
    if name not in z.namelist():
        have = ", ".join(n[:-4] for n in z.namelist() if n.endswith(".npy")) or "nothing"
        raise ValueError(f"no {key} in the .npz (it holds {have})")
    f = z.open(name)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    except ValueError as exc:
        f.close()
        raise ValueError(f"{key} is not an .npy array ({exc})") from None
    return f, tuple(shape), bool(fortran), np.dtype(dtype)


def _zip(path: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ValueError("not an .npz file (np.savez writes a zip archive)") from None


def npz_shape(path: str, key: str = "arr_0") -> tuple[tuple, np.dtype]:
    """(shape, dtype) of one array of an ``.npz``, read from its header only."""
    with _zip(path) as z:
        f, shape, _, dtype = _member(z, key)
        f.close()
    return shape, dtype


def _stored_offset(path: str, z: zipfile.ZipFile, key: str) -> int | None:
    """Where an uncompressed (``np.savez``) member's bytes start in the file, or None when it is
    compressed: its local header (30 bytes, then the name and the extra field) precedes them."""
    info = z.getinfo(key + ".npy")
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
        return None
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        head = f.read(30)
    if len(head) != 30 or head[:4] != b"PK\x03\x04":
        return None
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    return info.header_offset + 30 + name_len + extra_len


def read_npz_columns(path: str, key: str = "arr_0", start: int | None = None, stop: int | None = None,
                     dtype: Any = np.float32, rows: int = 256, exact: bool = False) -> np.ndarray:
    """``np.load(path)[key][..., start:stop]`` as ``dtype``, read ``rows`` rows (the first axis) at a
    time, so only the result and one block are held. The member may be stored (then it is read
    through a memory map, without the zip layer's checksum) or deflated. With
    ``exact``, a value that ``dtype`` does not hold as it is (0.5 as uint8, say) is an error. Raises
    ValueError naming what is wrong (no such member, not an ``.npy``, Python objects, cut short,
    inexact values)."""
    with _zip(path) as z:
        f, shape, fortran, src = _member(z, key)
        with f:
            if src.hasobject:
                raise ValueError(f"{key} holds Python objects, not numbers")
            if fortran or len(shape) < 2:
                f.close()
                with np.load(path, allow_pickle=False) as full:
                    sel = full[key][..., start:stop]
                    if exact and not np.array_equal(sel.astype(dtype), sel):
                        raise ValueError(f"{key} holds values that are not {np.dtype(dtype).name}")
                    return np.ascontiguousarray(sel, dtype=dtype)
            n, rest = shape[0], shape[1:]
            per_row = int(np.prod(rest)) * src.itemsize
            cols = slice(start, stop)
            out = np.empty((n,) + np.empty(rest, np.uint8)[..., cols].shape, dtype)
            step = max(1, int(rows))
            offset = _stored_offset(path, z, key)
            if offset is not None:  # the array's own bytes, after its .npy header, read from the file
                block = bytearray(step * per_row)
                with open(path, "rb", buffering=0) as raw:
                    raw.seek(offset + f.tell())
                    for a in range(0, n, step):
                        b = min(n, a + step)
                        got = raw.readinto(memoryview(block)[:(b - a) * per_row]) or 0
                        if got != (b - a) * per_row:
                            raise ValueError(f"{key} is cut short: the file ends in row {a + got // per_row} of {n}")
                        items = (b - a) * per_row // src.itemsize
                        sel = np.frombuffer(block, src, items).reshape((b - a,) + rest)[..., cols]
                        out[a:b] = sel
                        if exact and not np.array_equal(out[a:b], sel):
                            raise ValueError(f"{key} holds values that are not {np.dtype(dtype).name} (in rows "
                                             f"{a}..{b - 1})")
                return out
            for a in range(0, n, step):
                b = min(n, a + step)
                buf = f.read((b - a) * per_row)
                if len(buf) != (b - a) * per_row:
                    raise ValueError(f"{key} is cut short: the file ends in row {a + len(buf) // per_row} of {n}")
                sel = np.frombuffer(buf, src).reshape((b - a,) + rest)[..., cols]
                out[a:b] = sel
                if exact and not np.array_equal(out[a:b], sel):
                    raise ValueError(f"{key} holds values that are not {np.dtype(dtype).name} (in rows {a}..{b - 1})")
    return out
