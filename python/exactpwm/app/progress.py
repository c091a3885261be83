"""A small progress line for long work: bases done, throughput, ETA, on stderr.

Shown only when the stream is a terminal (or when forced on), redrawn at most
a few times per second, and always ended with a newline so the next message
starts clean.
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


class Progress:
    """Progress over a count of bases.

    total : expected total (None when unknown: no percentage or ETA)
    enabled : None = only if ``stream`` is a terminal; True / False to force
    """

    def __init__(self, total: int | None = None, *, label: str = "scanned", enabled: bool | None = None,
                 stream=None, interval: float = 0.25, unit: str = "bp"):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)()) if enabled is None else enabled
        self.total, self.label, self.interval, self.unit = total, label, interval, unit
        self.done = 0
        self.t0 = time.perf_counter()
        self.last = -1e9

    def __call__(self, n: int) -> None:
        self.update(n)

    def update(self, n: int) -> None:
        """Add n bases done; redraw if enough time has passed."""
        self.done += int(n)
        now = time.perf_counter()
        if self.enabled and now - self.last >= self.interval:
            self.last = now
            self._draw(now)

    def _draw(self, now: float, final: bool = False, stopped: str | None = None) -> None:
        elapsed = max(now - self.t0, 1e-9)
        rate = self.done / elapsed
        u = self.unit
        text = f"{self.label} {_si(self.done)}{u}"
        if stopped:
            text += f" ({stopped}"
            text += f" at {100 * min(self.done / self.total, 1.0):.0f}%)" if self.total else ")"
        elif self.total and final:
            text += " (100%)"
        elif self.total:
            frac = min(self.done / self.total, 1.0)
            text += f" of ~{_si(self.total)}{u} ({100 * frac:3.0f}%)"
        text += f"  {_si(rate)}{u}/s  {_clock(elapsed)}"
        if self.total and not final and not stopped and rate > 0:
            text += f"  ETA {_clock(max(self.total - self.done, 0) / rate)}"
        self.stream.write("\r" + text.ljust(78))
        self.stream.flush()

    def close(self, stopped: str | None = None) -> None:
        """Draw the final state and end the line; ``stopped`` (e.g. "interrupted") says the work
        did not finish, and the line shows how far it got instead of 100%."""
        if self.enabled:
            self._draw(time.perf_counter(), final=True, stopped=stopped)
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.close("interrupted" if issubclass(exc_type, KeyboardInterrupt) else "stopped by an error")


def _si(x: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.2f} {unit}"
    return f"{x:.0f} "


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
