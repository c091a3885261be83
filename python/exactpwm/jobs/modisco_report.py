"""The HTML report of ``exactpwm modisco``: one row per pattern with logos of its CWM, hypothetical
CWM and PFM (trimmed as in ``patterns.meme``), its seqlet and hit counts, its subpatterns, and its
best Tomtom matches with their logos. Static HTML and PNG files (no scripts), readable offline."""

from __future__ import annotations

import html
import os
from typing import Any

import numpy as np

__all__ = ["write_report"]

_STYLE = """body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:middle;font-size:13px}th{background:#f4f4f4}
img{height:70px}.m{font-size:12px}"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def write_report(folder: str, found: Any, matches: Any, hits: dict, notes: list, opts: Any, top: int = 3) -> str:
    """Write ``folder/index.html`` and ``folder/logos/*.png``; returns the page's path. ``matches``:
    (TomtomResult, its target MotifSet) or None; ``hits``: the counts of :func:`run_modisco`'s scan."""
    from exactpwm.interpret.logo import save_logo
    from exactpwm.io.files import atomic_output

    logos = os.path.join(folder, "logos")
    os.makedirs(logos, exist_ok=True)
    rows = []
    by_query: dict[int, list] = {}
    if matches is not None:
        for r in matches[0].rows:
            by_query.setdefault(int(r["query"]), []).append(r)
    for i, p in enumerate(found.patterns):
        lo, hi = p.trim_span()
        cells = []
        for kind, m, mode in (("cwm", p.cwm[:, lo:hi], "weights"), ("hcwm", p.hcwm[:, lo:hi], "weights"),
                              ("pfm", p.motif("pfm").pwm, "information")):
            name = f"{p.name}.{kind}.png"
            save_logo(m, os.path.join(logos, name), mode=mode, dpi=80)
            cells.append(f'<td><img src="logos/{_e(name)}" alt="{_e(p.name)} {kind}"></td>')
        subs = ", ".join(f"{s.n_seqlets}" for s in p.subpatterns) or "-"
        best: list[str] = []
        for r in by_query.get(i, [])[:top]:
            t = int(r["target"])
            target = matches[1][t]
            name = f"{p.name}.match{len(best)}.png"
            pwm = target.pwm if r["strand"] == b"+" else target.pwm[::-1, ::-1]
            save_logo(pwm, os.path.join(logos, name), dpi=80)
            label = " ".join(x for x in (target.name, target.alt_name) if x)
            stats = f'q={r["qvalue"]:.2g} E={r["evalue"]:.2g} ({_e(r["strand"].decode())})'
            best.append(f'<div class="m">{_e(label)} {stats}'
                        f'<br><img src="logos/{_e(name)}" alt="{_e(label)}"></div>')
        n_hit = int(hits["sequences_with_hit"][i]) if len(hits["sequences_with_hit"]) else 0
        rows.append(f"<tr><td>{_e(p.name)}</td><td>{p.n_seqlets}</td><td>{n_hit}</td>{''.join(cells)}"
                    f"<td>{_e(subs)}</td><td>{''.join(best) or '-'}</td></tr>")
    head = ("<tr><th>pattern</th><th>seqlets</th><th>sequences with a PFM hit</th><th>CWM</th><th>hypothetical CWM"
            "</th><th>PFM</th><th>subpatterns (seqlets)</th><th>best Tomtom matches</th></tr>")
    note_html = "".join(f"<li>{_e(n)}</li>" for n in notes)
    seqlets = found.seqlets
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>exactpwm modisco report</title>
<link rel="icon" href="data:,"><style>{_STYLE}</style></head><body>
<h1>Motif patterns</h1>
<p>{len(seqlets):,} seqlets ({int(np.sum(seqlets.sign > 0)):,} positive, {int(np.sum(seqlets.sign < 0)):,} negative);
{len(found.patterns)} patterns. Files: <a href="modisco_results.h5">modisco_results.h5</a>,
<a href="patterns.meme">patterns.meme</a>, <a href="patterns.tsv">patterns.tsv</a>,
<a href="hits.tsv">hits.tsv</a>, <a href="cooccurrence.tsv">cooccurrence.tsv</a>.</p>
<table>{head}{''.join(rows)}</table>
<ul>{note_html}</ul>
</body></html>
"""
    path = os.path.join(folder, "index.html")
    with atomic_output(path) as f:
        f.write(page)
    return path
