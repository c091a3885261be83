// Internal: an LSD radix sort of 64-bit keys (tomtom.cpp's tables, hit_rows.cpp's hit order).
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

namespace exactpwm::detail {

// keys[0, n) in ascending order: least significant digit first, eight bits at a time, skipping the
// digits every key shares. No comparisons to mispredict; spare holds n keys.
inline void radix_sort(uint64_t* keys, int64_t n, uint64_t* spare) {
    uint64_t* from = keys;
    uint64_t* to = spare;
    int64_t count[256];
    for (int shift = 0; shift < 64; shift += 8) {
        std::fill(count, count + 256, int64_t{0});
        for (int64_t k = 0; k < n; ++k) ++count[(from[k] >> shift) & 0xFF];
        if (n == 0 || count[(from[0] >> shift) & 0xFF] == n) continue;  // one digit for all
        int64_t at = 0;
        for (int64_t& c : count) {
            const int64_t here = c;
            c = at;
            at += here;
        }
        for (int64_t k = 0; k < n; ++k) to[count[(from[k] >> shift) & 0xFF]++] = from[k];
        std::swap(from, to);
    }
    if (from != keys) std::copy(from, from + n, keys);
}

}  // namespace exactpwm::detail
