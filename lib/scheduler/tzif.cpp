// The TZif reader (RFC 8536). Only the version 2+ data is used: its 64-bit transition times
// cover every date, and its footer carries the POSIX rule for times past the table. The
// version 1 block is skipped, never trusted.

#include <limits>

#include "lib/scheduler/zone.hpp"

namespace harness::scheduler {
namespace {

Error bad(const std::string& why) {
  return make_error(ErrorCode::invalid, "bad TZif data: " + why);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : m_data(data) {}

  bool has(std::uint64_t n) const { return n <= m_data.size() - m_pos; }
  std::size_t pos() const { return m_pos; }
  void skip(std::size_t n) { m_pos += n; }
  std::uint8_t u8() { return static_cast<std::uint8_t>(m_data[m_pos++]); }
  std::uint32_t be32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | u8();
    return v;
  }
  std::int64_t be64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | u8();
    return static_cast<std::int64_t>(v);
  }
  std::string_view rest() const { return m_data.substr(m_pos); }

 private:
  std::string_view m_data;
  std::size_t m_pos = 0;
};

struct Header {
  char version = 0;
  std::uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;

  // The size of the data block that follows, with `time_size`-byte times.
  std::uint64_t block_size(std::uint64_t time_size) const {
    return timecnt * (time_size + 1) + typecnt * 6ull + charcnt + leapcnt * (time_size + 4) +
           isstdcnt + isutcnt;
  }
};

Result<Header> read_header(Reader& r) {
  if (!r.has(44) || r.rest().substr(0, 4) != "TZif") return bad("no TZif header");
  r.skip(4);
  Header h;
  h.version = static_cast<char>(r.u8());
  r.skip(15);
  h.isutcnt = r.be32();
  h.isstdcnt = r.be32();
  h.leapcnt = r.be32();
  h.timecnt = r.be32();
  h.typecnt = r.be32();
  h.charcnt = r.be32();
  return h;
}

struct Type {
  std::int32_t utoff = 0;
};

Result<std::vector<Type>> read_types(Reader& r, const Header& h) {
  std::vector<Type> types;
  for (std::uint32_t i = 0; i < h.typecnt; ++i) {
    auto utoff = static_cast<std::int32_t>(r.be32());
    r.skip(2);  // isdst, abbreviation index: offsets are all we need
    if (utoff < -89999 || utoff > 93599) return bad("UT offset out of range");
    types.push_back({utoff});
  }
  return types;
}

// The footer: "\n" rule "\n". An empty rule means the last offset stays.
Result<std::optional<PosixTz>> read_footer(Reader& r) {
  std::string_view rest = r.rest();
  if (rest.size() < 2 || rest.front() != '\n') return bad("missing footer");
  std::size_t end = rest.find('\n', 1);
  if (end == std::string_view::npos) return bad("unterminated footer");
  std::string_view text = rest.substr(1, end - 1);
  if (text.empty()) return std::optional<PosixTz>{};
  HARNESS_TRY_ASSIGN(PosixTz tz, parse_posix_tz(text));
  return std::optional<PosixTz>{tz};
}

}  // namespace

Result<Zone> parse_tzif(std::string name, std::string_view data) {
  Reader r(data);
  HARNESS_TRY_ASSIGN(Header v1, read_header(r));
  if (v1.version < '2') return bad("version 1 files are not supported");
  if (!r.has(v1.block_size(4))) return bad("truncated");
  r.skip(static_cast<std::size_t>(v1.block_size(4)));
  HARNESS_TRY_ASSIGN(Header h, read_header(r));
  if (h.leapcnt != 0) return bad("zones with leap seconds (right/...) are not supported");
  if (h.typecnt == 0) return bad("no local time types");
  if (!r.has(h.block_size(8))) return bad("truncated");
  std::vector<std::int64_t> times(h.timecnt);
  for (std::int64_t& t : times) t = r.be64();
  std::vector<std::uint8_t> indexes(h.timecnt);
  for (std::uint8_t& i : indexes) i = r.u8();
  HARNESS_TRY_ASSIGN(std::vector<Type> types, read_types(r, h));
  r.skip(h.charcnt + h.isstdcnt + h.isutcnt);
  HARNESS_TRY_ASSIGN(std::optional<PosixTz> rule, read_footer(r));

  std::vector<Transition> table;
  std::int32_t current = types[0].utoff;
  std::int64_t previous_time = std::numeric_limits<std::int64_t>::min();
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (indexes[i] >= types.size()) return bad("transition type out of range");
    if (i > 0 && times[i] <= previous_time) return bad("transition times out of order");
    previous_time = times[i];
    std::int32_t next = types[indexes[i]].utoff;
    if (next != current) table.push_back({times[i], current, next});
    current = next;
  }
  return Zone(std::move(name), std::move(table), types[0].utoff, rule);
}

}  // namespace harness::scheduler
