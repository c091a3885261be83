"""numba-jitted fallbacks of the compiled engine (cpp/src/scores.cpp).

Same arguments as ``exactpwm._core.dense_scores`` / ``max_scores`` (minus
``threads`` and ``isa``), and the same summation order (column pairs left to right,
then the bias; see cpp/include/exactpwm/engine.hpp), so results agree with the
compiled core bit for bit. Imported lazily: importing numba costs time.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_BLOCK = 1024


@nb.njit(cache=True, nogil=True, inline="always")
def _score(table, bias, k, codes, at):  # pragma: no cover - jitted
    """Score of kernel k on the window codes[at:at + L], in the engine's order: column pairs
    (t[l][x] + t[l+1][y]) added left to right, an odd L's last column alone, then the bias."""
    L = table.shape[1]
    s = table[k, 0, 4]  # the N entry: a zero of the table's dtype, so float32 sums stay float32
    for l in range(0, L - 1, 2):
        s += table[k, l, codes[at + l] & 7] + table[k, l + 1, codes[at + l + 1] & 7]
    if L % 2:
        s += table[k, L - 1, codes[at + L - 1] & 7]
    return s + bias[k]


@nb.njit(cache=True, nogil=True)
def _block_scores(table, bias, k, codes, at, out):  # pragma: no cover - jitted
    """out[j] = _score(table, bias, k, codes, at + j) for j < out.size, a column pair at a time
    over the whole block (the same additions in the same order, in loops that vectorize)."""
    L = table.shape[1]
    n = out.size
    for j in range(n):
        out[j] = table[k, 0, 4]
    for l in range(0, L - 1, 2):
        for j in range(n):
            out[j] += table[k, l, codes[at + j + l] & 7] + table[k, l + 1, codes[at + j + l + 1] & 7]
    if L % 2:
        for j in range(n):
            out[j] += table[k, L - 1, codes[at + j + L - 1] & 7]
    for j in range(n):
        out[j] += bias[k]


@nb.njit(cache=True, parallel=True, nogil=True)
def dense_scores(codes, table, bias, out):  # pragma: no cover - jitted
    """codes (B, n) uint8, table (K, L, 8), bias (K,), out (B, K, n - L + 1)."""
    B, n = codes.shape
    K, L, _ = table.shape
    m = n - L + 1
    nblk = (m + _BLOCK - 1) // _BLOCK
    for t in nb.prange(B * nblk):
        b = t // nblk
        j0 = (t % nblk) * _BLOCK
        j1 = min(m, j0 + _BLOCK)
        for k in range(K):
            _block_scores(table, bias, k, codes[b], j0, out[b, k, j0:j1])


@nb.njit(cache=True, nogil=True)
def _best_window(codes, start, m, table, bias, k, skip_n, buf):  # pragma: no cover - jitted
    """(best score, first start reaching it) of kernel k over the m windows from codes[start];
    (-inf, -1) when there is none (with skip_n, windows holding a code >= 4 are left out)."""
    L = table.shape[1]
    best = -np.inf
    pos = -1
    for j0 in range(0, max(m, 0), _BLOCK):
        nw = min(_BLOCK, m - j0)
        _block_scores(table, bias, k, codes, start + j0, buf[:nw])
        for j in range(nw):
            if skip_n:
                n_in = 0
                for l in range(L):
                    n_in += codes[start + j0 + j + l] >= 4
                if n_in > 0:
                    continue
            if buf[j] > best or pos < 0:
                best = buf[j]
                pos = j0 + j
    return best, pos


@nb.njit(cache=True, parallel=True, nogil=True)
def max_scores(codes, offsets, table, bias, out_max, out_pos, skip_n):  # pragma: no cover - jitted
    """codes (N,) uint8, offsets (S+1,) int64, table (K, L, 8), bias (K,), out_max/out_pos (S, K);
    with skip_n, windows holding a code >= 4 are left out."""
    S = offsets.size - 1
    K, L, _ = table.shape
    for s in nb.prange(S):
        buf = np.empty(_BLOCK, dtype=table.dtype)
        for k in range(K):
            m = offsets[s + 1] - offsets[s] - L + 1
            out_max[s, k], out_pos[s, k] = _best_window(codes, offsets[s], m, table, bias, k, skip_n, buf)


@nb.njit(cache=True, parallel=True, nogil=True)
def max_scores_pairs(codes, offsets, table, bias, seqs, kernels, out_max, out_pos, skip_n):  # pragma: no cover
    """As max_scores at (seqs[p], kernels[p]) only: out_max/out_pos (P,)."""
    P = seqs.size
    L = table.shape[1]
    chunk = 4096
    for c in nb.prange((P + chunk - 1) // chunk):
        buf = np.empty(_BLOCK, dtype=table.dtype)
        for p in range(c * chunk, min(P, (c + 1) * chunk)):
            s = seqs[p]
            m = offsets[s + 1] - offsets[s] - L + 1
            out_max[p], out_pos[p] = _best_window(codes, offsets[s], m, table, bias, kernels[p], skip_n, buf)


@nb.njit(cache=True, nogil=True)
def _window_hits(codes, start, m, table, bias, thresholds, skip_n, out_pos, out_kernel, out_score, fill):
    """Hits of one sequence in (position, kernel) order; returns their number. Fills outputs if `fill`."""
    K, L, _ = table.shape
    count = 0
    n_in_window = 0
    for l in range(L - 1):
        n_in_window += codes[start + l] >= 4
    for j in range(m):
        n_in_window += codes[start + j + L - 1] >= 4
        if not (skip_n and n_in_window > 0):
            for k in range(K):
                s = _score(table, bias, k, codes, start + j)
                if s >= thresholds[k]:
                    if fill:
                        out_pos[count] = j
                        out_kernel[count] = k
                        out_score[count] = s
                    count += 1
        n_in_window -= codes[start + j] >= 4
    return count


@nb.njit(cache=True, parallel=True, nogil=True)
def threshold_hits(codes, offsets, table, bias, thresholds, skip_n):  # pragma: no cover - jitted
    """As exactpwm._core.threshold_hits: (seq, pos, kernel, score) in (seq, pos, kernel) order."""
    S = offsets.size - 1
    K, L, _ = table.shape
    counts = np.zeros(S + 1, dtype=np.int64)
    dummy_i = np.empty(0, dtype=np.int64)
    dummy_k = np.empty(0, dtype=np.int32)
    dummy_s = np.empty(0, dtype=table.dtype)
    for s in nb.prange(S):
        m = offsets[s + 1] - offsets[s] - L + 1
        if m > 0:
            counts[s + 1] = _window_hits(codes, offsets[s], m, table, bias, thresholds, skip_n,
                                         dummy_i, dummy_k, dummy_s, False)
    starts = np.cumsum(counts)
    total = starts[S]
    seq = np.empty(total, dtype=np.int64)
    pos = np.empty(total, dtype=np.int64)
    kernel = np.empty(total, dtype=np.int32)
    score = np.empty(total, dtype=table.dtype)
    for s in nb.prange(S):
        m = offsets[s + 1] - offsets[s] - L + 1
        a, b = starts[s], starts[s + 1]
        if b > a:
            _window_hits(codes, offsets[s], m, table, bias, thresholds, skip_n,
                         pos[a:b], kernel[a:b], score[a:b], True)
            seq[a:b] = s
    return seq, pos, kernel, score


@nb.njit(cache=True, nogil=True)
def count_fragments(codes, starts, kernels, minus, counts):  # pragma: no cover - jitted
    """As exactpwm._core.count_fragments (serial)."""
    L = counts.shape[2]
    for i in range(starts.size):
        k = kernels[i]
        a = starts[i]
        for l in range(L):
            if minus[i]:
                c = codes[a + L - 1 - l]
                if c < 4:
                    counts[k, 3 - c, l] += 1
            else:
                c = codes[a + l]
                if c < 4:
                    counts[k, c, l] += 1


@nb.njit(cache=True, nogil=True)
def threshold_counts(codes, offsets, table, bias, thresholds, target, minus, counts, n_hits):  # pragma: no cover
    """As exactpwm._core.threshold_counts (serial): stack every window reaching its threshold."""
    S = offsets.size - 1
    K, L, _ = table.shape
    for s in range(S):
        start = offsets[s]
        m = offsets[s + 1] - start - L + 1
        for j in range(max(m, 0)):
            for k in range(K):
                sc = _score(table, bias, k, codes, start + j)
                if sc >= thresholds[k]:
                    t = target[k]
                    n_hits[t] += 1
                    for l in range(L):
                        c = codes[start + j + (L - 1 - l if minus[k] else l)] & 7
                        if c < 4:
                            counts[t, 3 - c if minus[k] else c, l] += 1


# ---------------------------------------------------------------- motif comparison (cpp/src/tomtom.cpp)

@nb.njit(cache=True, nogil=True)
def _column_score(q, t, distance, nq, nt, bg):  # pragma: no cover - jitted
    if distance == 0:
        s = 0.0
        for c in range(4):
            s += (q[c] - t[c]) * (q[c] - t[c])
        return -np.sqrt(s)
    if distance == 1:
        num = 0.0
        dq = 0.0
        dt = 0.0
        for c in range(4):
            num += (q[c] - 0.25) * (t[c] - 0.25)
            dq += (q[c] - 0.25) * (q[c] - 0.25)
            dt += (t[c] - 0.25) * (t[c] - 0.25)
        den = np.sqrt(dq * dt)
        return num / den if den != 0 else 0.0
    if distance == 2:
        s = 0.0
        for c in range(4):
            s += (q[c] - t[c]) * (q[c] - t[c])
        return 2.0 - s
    if distance == 3:
        s = 0.0
        for c in range(4):
            s += (q[c] * np.log10(q[c] / t[c]) + t[c] * np.log10(t[c] / q[c])) / 2
        return -s
    num = 0.0
    den = 0.0
    for c in range(4):
        num += nt * t[c] * np.log(q[c] / bg[c]) + nq * q[c] * np.log(t[c] / bg[c])
        den += nq * q[c] + nt * t[c]
    return num / den


@nb.njit(cache=True, nogil=True)
def _tomtom_one(Q, nq, db_cols, db_nsites, entry_start, width_index, widths, distance, bg, orientations,
                min_overlap, pvalue, offset, overlap):  # pragma: no cover - jitted
    L = Q.shape[0]
    n = db_cols.shape[0]
    S = np.empty((L, n))
    for i in range(L):
        for j in range(n):
            S[i, j] = _column_score(Q[i], db_cols[j], distance, nq, db_nsites[j], bg)
    if not np.isfinite(S).all():  # NaN p-values, as the compiled engine gives (reported by the caller)
        pvalue[:] = np.nan
        offset[:] = 0
        overlap[:] = 0
        return
    i1 = max(int(np.floor(0.5 * n)) - 1, 0)
    i2 = max(int(np.ceil(0.5 * n)) - 1, i1)
    small = np.inf
    large = -np.inf
    for i in range(L):
        srt = np.sort(S[i])
        median = (srt[i1] + srt[i2]) / 2.0
        for j in range(n):
            S[i, j] -= median
            small = min(small, S[i, j])
            large = max(large, S[i, j])
    if large == small:
        small = large - 1
    off = np.floor(small)
    scale = max(np.floor(100 / (large - off)), 1.0)
    G = int(-off * scale)
    Z = np.empty((L, n), np.int64)
    R = 0
    for i in range(L):
        for j in range(n):
            Z[i, j] = int(np.floor((S[i, j] - off) * scale + 0.5))
            R = max(R, Z[i, j])
    H = R + 1
    hist = np.zeros((L, H))
    for i in range(L):
        for j in range(n):
            hist[i, Z[i, j]] += 1.0
        for v in range(H):
            hist[i, v] /= n
    E = L * max(R, G) + 1
    NW = widths.size
    uses = np.zeros((L, L, NW), np.int64)  # how many alignments of width k use columns [s, e]
    for k in range(NW):
        wd = widths[k]
        for i in range(L + wd - 1):
            if i < L:
                s = L - i - 1
                e = min(L, s + wd) - 1
            else:
                s = 0
                e = min(L, wd + L - i - 1) - 1
            uses[s, e, k] += 1
    total = np.zeros((NW, E))
    row = np.empty(E)
    pmf = np.zeros(L * H + 1)
    nxt = np.zeros(L * H + 1)
    for s in range(L):
        size = 1
        pmf[0] = 1.0
        for e in range(s, L):
            out = size + H - 1
            nxt[:out] = 0.0
            for a in range(size):
                p = pmf[a]
                if p == 0:
                    continue
                for v in range(H):
                    nxt[a + v] += p * hist[e, v]
            pmf, nxt = nxt, pmf
            size = out
            if uses[s, e].sum() == 0:
                continue
            shift = (L - (e - s + 1)) * G
            row[:] = 0.0
            row[:shift] = -np.inf
            surv = 0.0
            for x in range(size - 1, -1, -1):
                surv += pmf[x]
                row[shift + x] = -np.inf if surv >= 1.0 else np.log1p(-surv)
            for k in range(NW):
                for _ in range(uses[s, e, k]):
                    for x in range(E):
                        total[k, x] += row[x]
    pv = np.empty((NW, E), np.float32)
    for k in range(NW):
        for x in range(E):
            pv[k, x] = np.float32(-np.expm1(orientations * total[k, x]))
    for t in range(entry_start.size - 1):
        first = entry_start[t]
        wd = entry_start[t + 1] - first
        mo = min(min_overlap, L, wd)
        best = 0
        best_k = 0
        best_ov = -1
        for k in range(mo - L, wd - mo + 1):
            i0 = max(0, -k)
            i1e = min(L, wd - k)
            sm = 0
            for i in range(i0, i1e):
                sm += Z[i, first + i + k]
            ov = i1e - i0
            complete = sm - ov * G
            if best_ov < 0 or complete > best or (complete == best and ov > best_ov):
                best = complete
                best_k = k
                best_ov = ov
        pvalue[t] = np.float64(pv[width_index[t], best + L * G])
        offset[t] = best_k
        overlap[t] = best_ov


@nb.njit(cache=True, parallel=True, nogil=True)
def tomtom_compare(query_cols, query_start, query_nsites, db_cols, db_nsites, entry_start, width_index, widths,
                   distance, background, orientations, min_overlap, pvalue, offset, overlap):  # pragma: no cover
    for q in nb.prange(query_start.size - 1):
        _tomtom_one(query_cols[query_start[q]:query_start[q + 1]], query_nsites[q], db_cols, db_nsites,
                    entry_start, width_index, widths, distance, background, orientations, min_overlap,
                    pvalue[q], offset[q], overlap[q])


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SEQ_MIX = np.uint64(0xD1B54A32D192ED03)
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@nb.njit(cache=True, nogil=True)
def _splitmix(state):  # pragma: no cover - jitted
    """(new state, value): SplitMix64, as shuffle.cpp."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return state, z ^ (z >> np.uint64(31))


@nb.njit(cache=True, nogil=True)
def _shuffle_one(s, rng, out, edges):  # pragma: no cover - jitted
    """As shuffle_one in shuffle.cpp (the same random numbers in the same order); returns the state."""
    n = s.size
    if n < 3:
        out[:n] = s
        return rng
    start = np.zeros(6, np.int64)
    for i in range(n - 1):
        start[s[i] + 1] += 1
    for v in range(5):
        start[v + 1] += start[v]
    fill = start[:5].copy()
    for i in range(n - 1):
        edges[fill[s[i]]] = s[i + 1]
        fill[s[i]] += 1
    last = s[n - 1]
    in_tree = np.zeros(5, np.bool_)
    exit_ = np.zeros(5, np.int64)
    in_tree[last] = True
    for v in range(5):
        if in_tree[v] or start[v + 1] == start[v]:
            continue
        u = v
        while not in_tree[u]:
            rng, r = _splitmix(rng)
            exit_[u] = start[u] + np.int64(r % np.uint64(start[u + 1] - start[u]))
            u = edges[exit_[u]]
        u = v
        while not in_tree[u]:
            in_tree[u] = True
            u = edges[exit_[u]]
    for v in range(5):
        lo = start[v]
        hi = start[v + 1]
        if hi == lo:
            continue
        if v != last:
            t = edges[exit_[v]]
            edges[exit_[v]] = edges[hi - 1]
            edges[hi - 1] = t
            hi -= 1
        for k in range(hi - lo - 1, 0, -1):
            rng, r = _splitmix(rng)
            j = lo + np.int64(r % np.uint64(k + 1))
            t = edges[lo + k]
            edges[lo + k] = edges[j]
            edges[j] = t
    nxt = start[:5].copy()
    out[0] = s[0]
    for i in range(1, n):
        u = out[i - 1]
        out[i] = edges[nxt[u]]
        nxt[u] += 1
    return rng


@nb.njit(cache=True, nogil=True, parallel=True)
def dinucleotide_shuffle(codes, offsets, n_shuffles, seed, out):  # pragma: no cover - jitted
    """As exactpwm._core.dinucleotide_shuffle: the same shuffles, bit for bit."""
    S = offsets.size - 1
    for job in nb.prange(S * n_shuffles):
        i = job // n_shuffles
        j = job % n_shuffles
        a = offsets[i]
        n = offsets[i + 1] - a
        if n == 0:
            continue
        h = _FNV_OFFSET
        for t in range(n):  # FNV-1a of the sequence: its shuffles do not depend on its place
            h = (h ^ np.uint64(codes[a + t])) * _FNV_PRIME
        mix = np.uint64(seed) ^ h ^ (_SEQ_MIX * np.uint64(j + 1))
        _, state = _splitmix(mix)
        edges = np.empty(max(n - 1, 1), np.uint8)
        _shuffle_one(codes[a:a + n], state, out[j, a:a + n], edges)


@nb.njit(cache=True, nogil=True)
def _jaccard_offsets(x, x_abs, y, pad):  # pragma: no cover - jitted
    """(best, offset) of candidate x (W, C) int16 against row y (W, C) over offsets -pad..pad, as
    seqlet_similarity.cpp: integer sums, one rounding of their ratio (ties: the lowest offset)."""
    W, C = x.shape
    best = -np.inf
    off = 0
    for o in range(-pad, pad + 1):
        j0 = max(0, -o)
        j1 = min(W, W - o)
        inter = 0
        uni = x_abs[W]
        if j1 > j0:
            u = 0
            for j in range(j0, j1):
                for c in range(C):
                    a = np.int32(x[j, c])
                    b = np.int32(y[j + o, c])
                    aa = abs(a)
                    ab = abs(b)
                    m = min(aa, ab)
                    inter += -m if (a ^ b) < 0 else m
                    u += max(aa, ab)
            uni += u - (x_abs[j1] - x_abs[j0])
        score = np.float32(inter / uni) if uni > 0 else np.float32(0.0)
        if score > best:
            best = score
            off = o
    return best, off


@nb.njit(cache=True, parallel=True, nogil=True)
def seqlet_jaccard(a_fwd, a_rev, b, neighbors, max_shift, best, offset, strand):  # pragma: no cover - jitted
    n_a, W, C = a_fwd.shape
    fwd_abs = np.zeros((n_a, W + 1), np.int64)
    rev_abs = np.zeros((n_a, W + 1), np.int64)
    for i in range(n_a):
        for j in range(W):
            fwd_abs[i, j + 1] = fwd_abs[i, j] + np.abs(a_fwd[i, j].astype(np.int32)).sum()
            rev_abs[i, j + 1] = rev_abs[i, j] + np.abs(a_rev[i, j].astype(np.int32)).sum()
    k = neighbors.shape[1]
    for l in nb.prange(b.shape[0]):
        for i in range(k):
            n = neighbors[l, i]
            if n < 0:
                best[l, i] = np.nan
                offset[l, i] = 0
                strand[l, i] = 0
                continue
            bf, of = _jaccard_offsets(a_fwd[n], fwd_abs[n], b[l], max_shift)
            br, orr = _jaccard_offsets(a_rev[n], rev_abs[n], b[l], max_shift)
            if br > bf:
                best[l, i] = br
                offset[l, i] = orr
                strand[l, i] = 1
            else:
                best[l, i] = bf
                offset[l, i] = of
                strand[l, i] = 0
