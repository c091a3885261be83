// Internal: writing records (tomtom.cpp's and hit_rows.cpp's tables) and window letters
// (fragments.cpp's window_letters, hit_rows.cpp's matched column).
#pragma once

#include <cstdint>
#include <cstring>

namespace exactpwm::detail {

// One field of a record: value's bytes at offset `at` of row.
template <class T>
inline void put(uint8_t* row, int64_t at, T value) {
    std::memcpy(row + at, &value, sizeof(T));
}

// out[0, w) = the letters of window win[0, w) as read on its strand: A, C, G, T, N (any code >= 4),
// reverse complemented when minus.
inline void window_text(const uint8_t* win, int64_t w, bool minus, uint8_t* out) {
    static const char kLetters[] = "ACGTNNNN", kComplement[] = "TGCANNNN";
    if (minus) {
        for (int64_t l = 0; l < w; ++l) out[l] = static_cast<uint8_t>(kComplement[win[w - 1 - l] & 7]);
    } else {
        for (int64_t l = 0; l < w; ++l) out[l] = static_cast<uint8_t>(kLetters[win[l] & 7]);
    }
}

}  // namespace exactpwm::detail
