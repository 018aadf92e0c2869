#include "lib/store/redis/codec.hpp"

#include <array>
#include <charconv>

#include "lib/store/redis/scripts.hpp"

namespace harness::store::redis {

using model::Json;

namespace {
Json parse(std::string_view text) {
  return Json::parse(text.begin(), text.end(), nullptr, false);
}

bool to_int(std::string_view s, std::int64_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}
}  // namespace

Result<std::int64_t> int_from(const Reply& r, std::string_view what) {
  std::int64_t v = 0;
  if (r.type == Reply::Type::integer) return r.integer;
  auto t = r.text();
  if (!t || !to_int(*t, v))
    return make_error(ErrorCode::internal, "corrupt " + std::string(what) + " in the store");
  return v;
}

Result<model::Leaf> leaf_from_row(const Reply& row) {
  auto text = row.text();
  if (!text) return make_error(ErrorCode::internal, "missing leaf row in the store");
  Json j = parse(*text);
  if (j.is_discarded()) return make_error(ErrorCode::internal, "corrupt leaf row in the store");
  return model::leaf_from_json(j);
}

Result<std::vector<model::Leaf>> leaves_from(const Reply& answer, size_t first) {
  std::vector<model::Leaf> out;
  for (size_t i = first; i < answer.size(); ++i) {
    if (answer.at(i).is_nil()) continue;
    HARNESS_TRY_ASSIGN(model::Leaf leaf, leaf_from_row(answer.at(i)));
    out.push_back(std::move(leaf));
  }
  return out;
}

Result<model::Event> event_from_entry(const Reply& entry, const std::string& session) {
  auto corrupt = [&](std::string_view what) {
    return make_error(ErrorCode::internal, "corrupt event in session " + session + " (" +
                                               std::string(what) + ") in the store");
  };
  auto id = entry.at(0).text();
  const Reply& fields = entry.at(1);
  if (!id || !fields.is_array()) return corrupt("not a stream entry");
  model::Event e;
  e.session = session;
  if (!to_int(id->substr(0, id->find('-')), e.seq)) return corrupt("bad entry id");
  bool has_data = false;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    auto k = fields.at(i).text();
    auto v = fields.at(i + 1).text();
    if (!k || !v) return corrupt("non-string field");
    if (*k == "leaf") {
      e.leaf = std::string(*v);
    } else if (*k == "type") {
      e.type = std::string(*v);
    } else if (*k == "ts") {
      if (!to_int(*v, e.ts)) return corrupt("bad ts");
    } else if (*k == "data") {
      e.data = parse(*v);
      if (e.data.is_discarded()) return corrupt("bad data");
      has_data = true;
    }
  }
  if (e.leaf.empty() || e.type.empty() || !has_data) return corrupt("missing fields");
  return e;
}

Error redis_error(const Reply& r, const std::string& endpoint) {
  static constexpr std::array<std::string_view, 8> k_passing = {
      "LOADING", "BUSY", "READONLY", "OOM", "MISCONF", "NOAUTH", "MASTERDOWN", "TRYAGAIN"};
  std::string_view word = std::string_view(r.str).substr(0, r.str.find(' '));
  ErrorCode code = ErrorCode::internal;
  for (auto p : k_passing)
    if (word == p) code = ErrorCode::unavailable;
  return make_error(code, "redis " + endpoint + ": " + r.str);
}

Error answer_error(const Reply& r, const std::string& endpoint) {
  if (r.is_error()) return redis_error(r, endpoint);
  std::string_view status = script_status(r);
  std::string msg(r.at(1).text().value_or(""));
  if (status == "not_found") return make_error(ErrorCode::not_found, msg);
  if (status == "conflict") return make_error(ErrorCode::conflict, msg);
  if (status == "invalid") return make_error(ErrorCode::invalid, msg);
  return make_error(ErrorCode::internal, "redis " + endpoint + ": unexpected answer '" +
                                             std::string(status) + "' " + msg);
}

}  // namespace harness::store::redis
