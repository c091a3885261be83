// Standalone check of the engine without Python: every compiled and supported ISA
// against a naive loop, for dense scores and max pooling. Exit code 0 = pass.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "exactpwm/engine.hpp"
#include "exactpwm/interrupt.hpp"

using namespace exactpwm;

template <class T>
int check(Isa isa, int threads, int64_t L) {
    std::mt19937 gen(42);
    std::uniform_int_distribution<int> base(0, 4);
    std::normal_distribution<double> normal;
    const int64_t K = 3, n = 3000;
    std::vector<uint8_t> codes(n);
    for (auto& c : codes) c = static_cast<uint8_t>(base(gen));
    std::vector<T> table(K * L * kTableWidth, T(0)), bias(K);
    for (int64_t k = 0; k < K; ++k) {
        bias[k] = static_cast<T>(normal(gen));
        for (int64_t l = 0; l < L; ++l)
            for (int c = 0; c < 4; ++c) table[(k * L + l) * kTableWidth + c] = static_cast<T>(normal(gen));
    }
    const ScoreTable<T> tab{table.data(), bias.data(), K, L};
    const int64_t m = n - L + 1;
    std::vector<T> out(K * m);
    dense_scores<T>(codes.data(), 1, n, tab, out.data(), threads, isa);
    int failures = 0;
    std::vector<T> best(K, -INFINITY);
    std::vector<int64_t> where(K, -1);
    for (int64_t k = 0; k < K; ++k)
        for (int64_t j = 0; j < m; ++j) {
            auto t = [&](int64_t l) { return table[(k * L + l) * kTableWidth + codes[j + l]]; };
            T s = 0;  // the engine's order: column pairs left to right, an odd L's last column, bias
            for (int64_t l = 0; l + 1 < L; l += 2) s += t(l) + t(l + 1);
            if (L % 2) s += t(L - 1);
            s += bias[k];
            if (out[k * m + j] != s) ++failures;
            if (j >= 5 && s > best[k]) { best[k] = s; where[k] = j - 5; }
        }
    // two sequences: codes[0, 5) is shorter than L; codes[5, n) holds windows 5.. of the dense run
    const int64_t offsets[3] = {0, 5, n};
    std::vector<T> mx(2 * K);
    std::vector<int64_t> pos(2 * K);
    max_scores<T>(codes.data(), offsets, 2, tab, mx.data(), pos.data(), threads, isa);
    for (int64_t k = 0; k < K; ++k) {
        if (pos[k] != -1 || !std::isinf(mx[k])) ++failures;
        if (pos[K + k] != where[k] || mx[K + k] != best[k]) ++failures;
    }
    std::printf("%s %s threads=%d: %d mismatches\n", isa_name(isa), sizeof(T) == 4 ? "f32" : "f64",
                threads, failures);
    return failures;
}

// A check that asks to stop on its first poll interrupts a long call; without one, none is.
int check_interrupt() {
    const int64_t L = 8, n = int64_t(1) << 22;
    std::vector<uint8_t> codes(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>((i * 7 + i / 3) & 3);
    std::vector<float> values(static_cast<size_t>(L * kTableWidth), 0.0f), bias(1, 0.0f), best(1);
    for (int64_t l = 0; l < L; ++l)
        for (int c = 0; c < 4; ++c) values[l * kTableWidth + c] = 0.25f;
    std::vector<int64_t> offsets{0, n}, where(1);
    const ScoreTable<float> table{values.data(), bias.data(), 1, L};
    int polls = 0;
    auto stop_now = [](void* ctx) { return ++*static_cast<int*>(ctx) > 0; };
    bool thrown = false;
    try {
        ScopedInterruptCheck check(stop_now, &polls, 0);
        max_scores<float>(codes.data(), offsets.data(), 1, table, best.data(), where.data(), 2, Isa::Auto);
    } catch (const Interrupted&) {
        thrown = true;
    }
    max_scores<float>(codes.data(), offsets.data(), 1, table, best.data(), where.data(), 2, Isa::Auto);
    const bool ok = thrown && polls >= 1 && best[0] == 2.0f;
    if (!ok) std::printf("interrupt check failed (thrown=%d polls=%d)\n", thrown ? 1 : 0, polls);
    return ok ? 0 : 1;
}

int main() {
    int failures = 0;
    for (Isa isa : kAllIsas) {
        if (!isa_compiled(isa) || !cpu_supports(isa)) continue;
        for (int threads : {1, 3})
            for (int64_t L : {10, 11}) {  // even and odd widths: column pairs, and a last lone column
                failures += check<float>(isa, threads, L);
                failures += check<double>(isa, threads, L);
            }
    }
    failures += check_interrupt();
    std::printf("openmp=%d %s\n", openmp_enabled() ? 1 : 0, failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
