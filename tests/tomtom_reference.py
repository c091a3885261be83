"""A slow, literal reference of Tomtom's method (MEME 5.4.1, default complete scores) for tests.

Written from the published description and MEME's documented behaviour, loop by loop: the
column scores of the query against every database column, the median shift, the 100-bin
quantization, the null distribution of each column group's sum by dynamic programming over
the database columns, and the distribution of the best alignment by MEME's recursion for the
maximum of independent variables (pmf_new[k] = p_c[k] F_old[k-1] + p_old[k] F_c[k-1] + p_c[k] p_old[k]).
"""

from __future__ import annotations

import math

import numpy as np


def column_score(q, t, dist):
    if dist == "ed":
        return -math.sqrt(sum((a - b) ** 2 for a, b in zip(q, t)))
    if dist == "sandelin":
        return 2 - sum((a - b) ** 2 for a, b in zip(q, t))
    if dist == "pearson":
        num = sum((a - 0.25) * (b - 0.25) for a, b in zip(q, t))
        den = math.sqrt(sum((a - 0.25) ** 2 for a in q) * sum((b - 0.25) ** 2 for b in t))
        return num / den if den else 0.0
    raise ValueError(dist)


def tomtom_pvalues(query, entries, dist="ed", orientations=2, min_overlap=1):
    """query (L, 4); entries: list of (w, 4) database entries (targets and, interleaved, their
    reverse complements). Returns per entry (pvalue, offset, overlap)."""
    L = len(query)
    cols = [c for e in entries for c in e]
    n = len(cols)
    S = np.array([[column_score(q, t, dist) for t in cols] for q in query])
    i1 = max(math.floor(0.5 * n) - 1, 0)
    i2 = max(math.ceil(0.5 * n) - 1, i1)
    for i in range(L):
        srt = sorted(S[i])
        S[i] -= (srt[i1] + srt[i2]) / 2
    small, large = S.min(), S.max()
    if large == small:
        small = large - 1
    off = math.floor(small)
    scale = math.floor(100 / (large - off))
    Z = np.floor((S - off) * scale + 0.5).astype(int)
    G = int(-off * scale)
    # pmf of the sum over query columns [s, e]: each column draws a database column uniformly
    size = L * 100 + 1 + L * G
    pmf = {}
    for s in range(L):
        cur = np.zeros(size)
        cur[0] = 1.0
        for e in range(s, L):
            nxt = np.zeros(size)
            for k in np.flatnonzero(cur):
                np.add.at(nxt, k + Z[e], cur[k] / n)  # every database column j, as MEME loops over them
            cur = nxt
            pmf[s, e] = cur
    # complete score C = sum - overlap * G; grid index x = C + L * G = sum + (L - overlap) * G
    def extended(s, e):
        out = np.zeros(size + L * G)
        shift = (L - (e - s + 1)) * G
        out[shift:shift + size] = pmf[s, e]
        return out

    results = []
    max_pv = {}
    offsets = np.cumsum([0] + [len(e) for e in entries])
    for t, entry in enumerate(entries):
        w = len(entry)
        if w not in max_pv:
            cur = np.zeros(size + L * G)
            cur[0] = 1.0
            for i in range(L + w - 1):
                s, e = (L - i - 1, min(L, L - i - 1 + w) - 1) if i < L else (0, min(L, w + L - i - 1) - 1)
                pc = extended(s, e)
                Fc = np.cumsum(pc)
                for _ in range(orientations):
                    Fo = np.cumsum(cur)
                    new = pc * cur
                    new[1:] += pc[1:] * Fo[:-1] + cur[1:] * Fc[:-1]
                    cur = new
            max_pv[w] = np.cumsum(cur[::-1])[::-1]
        mo = min(min_overlap, L, w)
        best = None
        for k in range(mo - L, w - mo + 1):
            pairs = [(i, i + k) for i in range(L) if 0 <= i + k < w]
            total = sum(Z[i, offsets[t] + j] for i, j in pairs)
            complete = total - len(pairs) * G
            if best is None or complete > best[0] or (complete == best[0] and len(pairs) > best[2]):
                best = (complete, k, len(pairs))
        results.append((float(np.float32(max_pv[w][best[0] + L * G])), best[1], best[2]))
    return results
