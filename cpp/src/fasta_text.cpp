// FASTA text blocks; see fasta_text.hpp.
#include "exactpwm/fasta_text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace exactpwm {
namespace {

// the ASCII bytes Python's str.split() splits at (str.isspace): \t \n \v \f \r, \x1c-\x1f, space
inline bool python_space(uint8_t c) { return (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x20); }

// the header text[h, e) (starting at its '>'): its name and '\n' appended to out.names, or
// out.ascii_headers cleared when it is not ASCII (Python then decodes it as UTF-8)
void take_name(const uint8_t* text, int64_t h, int64_t e, FastaBlock& out) {
    for (int64_t i = h + 1; i < e; ++i)
        if (text[i] >= 0x80) {
            out.ascii_headers = false;
            return;
        }
    int64_t a = h + 1;
    while (a < e && python_space(text[a])) ++a;
    int64_t b = a;
    while (b < e && !python_space(text[b])) ++b;
    if (a == b && out.nameless < 0) out.nameless = h;
    out.names.append(reinterpret_cast<const char*>(text + a), static_cast<size_t>(b - a));
    out.names += '\n';
}

}  // namespace

void parse_fasta_block(const uint8_t* text, int64_t n, bool continues, const uint8_t* table, bool letters,
                       uint8_t* codes, FastaBlock& out) {
    out = FastaBlock();
    int64_t k = 0;
    int64_t i = 0;
    bool line_start = !continues;
    while (i < n) {
        const auto* nl = static_cast<const uint8_t*>(std::memchr(text + i, '\n', static_cast<size_t>(n - i)));
        const int64_t end = nl ? nl - text : n;  // this line is text[i, end)
        if (line_start && text[i] == '>') {
            out.heads.push_back(i);
            out.head_ends.push_back(end);
            out.cuts.push_back(k);
            if (out.ascii_headers) take_name(text, i, end, out);
        } else {
            for (int64_t j = i; j < end; ++j) {
                const uint8_t d = table[text[j]];
                if (d == kFastaSkip) continue;
                if (d == kFastaInvalid) {
                    out.bad = j;
                    out.n_codes = k;
                    return;
                }
                if (out.first_kept < 0) out.first_kept = j;
                codes[k++] = letters ? text[j] : d;
            }
        }
        i = end + 1;  // past the '\n' (whitespace)
        out.newlines += nl != nullptr;
        line_start = true;
    }
    out.n_codes = k;
}

void pack_records(const uint8_t* const* codes, const int64_t* const* lengths, const int64_t* n_records, int64_t n_runs,
                  uint8_t separator, uint8_t* out) {
    for (int64_t r = 0; r < n_runs; ++r) {
        const uint8_t* from = codes[r];
        for (int64_t i = 0; i < n_records[r]; ++i) {
            const auto len = static_cast<size_t>(lengths[r][i]);
            std::memcpy(out, from, len);
            out += len;
            from += len;
            *out++ = separator;
        }
    }
}

FastaReadAhead::FastaReadAhead(std::string path, const uint8_t* table, bool letters, int64_t limit)
    : path_(std::move(path)), letters_(letters), limit_(limit) {
    std::memcpy(table_.data(), table, table_.size());
    worker_ = std::thread([this] { run(); });
}

FastaReadAhead::~FastaReadAhead() {
    if (worker_.joinable()) worker_.join();
}

FastaFileParse& FastaReadAhead::wait() {
    if (worker_.joinable()) worker_.join();
    return result_;
}

void FastaReadAhead::run() {
    // O_NONBLOCK: a FIFO put at the path is neither waited on nor read (regular files ignore it)
    const int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    FastaFileParse& r = result_;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= limit_) {
        std::string text(static_cast<size_t>(st.st_size) + 1, '\0');
        size_t got = 0;
        bool failed = false;
        while (got < text.size()) {  // one byte more than the size: a file that grew is not taken
            const ssize_t n = ::read(fd, &text[got], text.size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                failed = n < 0;
                break;
            }
            got += static_cast<size_t>(n);
        }
        if (!failed && got == static_cast<size_t>(st.st_size) && !std::memchr(text.data(), '\r', got)) {
            text.resize(got);
            if (got && text.back() != '\n') text += '\n';
            r.codes.resize(text.size());
            parse_fasta_block(reinterpret_cast<const uint8_t*>(text.data()), static_cast<int64_t>(text.size()), false,
                              table_.data(), letters_, r.codes.data(), r.block);
            r.head = text.substr(0, 6);
            r.device = static_cast<uint64_t>(st.st_dev);
            r.inode = static_cast<uint64_t>(st.st_ino);
            r.size = static_cast<int64_t>(st.st_size);
#if defined(__APPLE__)
            const struct timespec& mtime = st.st_mtimespec;
#else
            const struct timespec& mtime = st.st_mtim;
#endif
            r.mtime_ns = static_cast<int64_t>(mtime.tv_sec) * 1000000000 + mtime.tv_nsec;
            r.read = true;
        }
    }
    ::close(fd);
}

}  // namespace exactpwm
