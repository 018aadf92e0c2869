// The HTTP/1.1 request parser (lib/http/parser) and request-target decoding, on any byte stream a
// client can send. Input: the bytes of one connection. They are parsed twice, driven the way
// lib/http/connection.cpp drives the parser: once as a single read, once cut into small reads;
// both must yield the same requests, within the limits, and both fail or neither. (Which error
// is reported may depend on the reads: a URL both too long and malformed is 431 when the cap is
// crossed in an earlier read, 400 when the bad byte arrives in the same read.)
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/http/parser.hpp"
#include "lib/http/url.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using namespace harness;
using harness::fuzz::pieces;

struct Outcome {
  std::vector<http::ParsedRequest> requests;
  int error_status = 0;
};

// Connection::process(): feed from the unconsumed position while messages complete.
Outcome parse(const std::vector<std::string_view>& reads, const http::ParseLimits& limits) {
  http::RequestParser parser(limits);
  Outcome out;
  std::string in;
  for (std::string_view read : reads) {
    in.append(read);
    size_t pos = 0;
    while (pos < in.size()) {
      auto r = parser.feed(std::string_view(in).substr(pos));
      FUZZ_CHECK(r.consumed <= in.size() - pos);
      pos += r.consumed;
      if (r.status == http::ParseStatus::complete) {
        FUZZ_CHECK(parser.headers_done());
        out.requests.push_back(parser.take());
        FUZZ_CHECK(!parser.in_message());
      } else if (r.status == http::ParseStatus::error) {
        out.error_status = parser.error().status;
        FUZZ_CHECK(out.error_status == 400 || out.error_status == 413 || out.error_status == 431);
        FUZZ_CHECK(!parser.error().message.empty());
        return out;
      } else {
        break;
      }
    }
    in.erase(0, pos);
  }
  return out;
}

bool same(const http::ParsedRequest& a, const http::ParsedRequest& b) {
  return a.method == b.method && a.target == b.target && a.headers == b.headers &&
         a.body == b.body && a.http_major == b.http_major && a.http_minor == b.http_minor &&
         a.keep_alive == b.keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  // Small caps so the fuzzer reaches the 413/431 paths with small inputs.
  http::ParseLimits limits{512, 1024};
  Outcome whole = parse({stream}, limits);
  Outcome split = parse(pieces(stream), limits);
  FUZZ_CHECK((whole.error_status == 0) == (split.error_status == 0));
  FUZZ_CHECK(whole.requests.size() == split.requests.size());
  for (size_t i = 0; i < whole.requests.size(); ++i) {
    const auto& req = whole.requests[i];
    FUZZ_CHECK(same(req, split.requests[i]));
    FUZZ_CHECK(req.body.size() <= limits.max_body_bytes);
    size_t head = req.target.size();
    for (const auto& [name, value] : req.headers) head += name.size() + value.size();
    FUZZ_CHECK(head <= limits.max_header_bytes);
    auto target = http::parse_target(req.target);
    if (target) FUZZ_CHECK(target->path.find('\0') == std::string::npos);
  }
  return 0;
}
