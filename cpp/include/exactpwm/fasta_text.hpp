// FASTA text: a block of whole lines parsed into sequence codes, record starts and names, as
// exactpwm.io.fasta reads them (its numpy parser is the reference: the same results, tested).
// Plain C++17, no Python.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace exactpwm {

// Decode-table values that are not codes: whitespace (skipped) and a byte no sequence may hold.
constexpr uint8_t kFastaSkip = 254;
constexpr uint8_t kFastaInvalid = 255;

struct FastaBlock {
    int64_t n_codes = 0;     // codes written
    int64_t bad = -1;        // index in the text of the first byte the table calls invalid (parsing stops there)
    int64_t first_kept = -1; // index in the text of the first byte kept as a code
    int64_t nameless = -1;   // index of the first header line whose name is empty (ASCII headers)
    int64_t newlines = 0;    // '\n' bytes in the text (before out.bad when it stopped there)
    bool ascii_headers = true;        // every header line is ASCII: names holds their names
    std::vector<int64_t> heads;       // index of each header line's '>'
    std::vector<int64_t> head_ends;   // index of the '\n' that ends it (the text's end if none)
    std::vector<int64_t> cuts;        // codes written before each header
    std::string names;                // each header's name (its first word) and '\n', when ascii_headers
};

// Parses text[0, n), whole lines (the last may lack its '\n'; with `continues`, the first line
// continues a sequence line of the previous block and is never a header). A header is a line that
// starts with '>': its bytes are not sequence, and its name is the first word after the '>'
// (words split at the whitespace Python's str.split splits ASCII at). Every other byte b is looked
// up in table[b]: kFastaSkip is skipped, kFastaInvalid stops the parse (out.bad), any other value is
// a code, written to codes (room for n) as table[b], or as b itself with `letters`.
void parse_fasta_block(const uint8_t* text, int64_t n, bool continues, const uint8_t* table, bool letters,
                       uint8_t* codes, FastaBlock& out);

// A plain FASTA file read whole and parsed as one block (parse_fasta_block, not continuing a
// line) on a thread of its own, which the constructor starts: a command's process has its input read
// while its interpreter starts. Read only when the path is a regular file of at most `limit` bytes
// holding no '\r'; otherwise, and on any error, `read` stays false and the caller reads the file its
// usual way (which reports the errors). The text parsed is the file's, with a final '\n' added where
// it lacks one; only its first 6 bytes are kept once it is parsed.
struct FastaFileParse {
    bool read = false;
    std::string head;            // the text's first 6 bytes (fewer for a shorter file)
    std::vector<uint8_t> codes;  // the first block.n_codes are written
    FastaBlock block;
    uint64_t device = 0, inode = 0;  // the file read (fstat), to check it is still the caller's
    int64_t size = -1, mtime_ns = 0;
};

class FastaReadAhead {
  public:
    FastaReadAhead(std::string path, const uint8_t* table, bool letters, int64_t limit);
    ~FastaReadAhead();
    FastaReadAhead(const FastaReadAhead&) = delete;
    FastaReadAhead& operator=(const FastaReadAhead&) = delete;
    // Waits for the thread (the first call) and gives its result, which the caller may move from.
    FastaFileParse& wait();

  private:
    void run();
    std::string path_;
    std::array<uint8_t, 256> table_{};
    bool letters_;
    int64_t limit_;
    FastaFileParse result_;
    std::thread worker_;
};

// Records packed for a scan, each followed by one separator byte: run r holds n_records[r] records,
// its codes[r] their bytes one after the other and lengths[r] their lengths; out (room for every
// record's bytes and one separator each) gets them in order, run after run.
void pack_records(const uint8_t* const* codes, const int64_t* const* lengths, const int64_t* n_records, int64_t n_runs,
                  uint8_t separator, uint8_t* out);

}  // namespace exactpwm
