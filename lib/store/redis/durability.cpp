// Reading Redis' persistence settings for doctor: CONFIG GET appendonly / appendfsync / save,
// or, where CONFIG is disabled or not allowed (managed Redis renames it, an ACL user may lack
// it), INFO persistence's aof_enabled, with the fsync policy unknown.
#include <string_view>

#include "lib/store/redis/codec.hpp"
#include "lib/store/redis/redis_store_impl.hpp"

namespace harness::store::redis {
namespace {

// The value of `CONFIG GET NAME` ([name, value]); nullopt when the answer is not that.
std::optional<std::string> config_value(const Reply& r) {
  if (!r.is_array() || r.size() < 2) return std::nullopt;
  auto v = r.at(1).text();
  if (!v) return std::nullopt;
  return std::string(*v);
}

// `field`'s value in an INFO answer ("field:value" lines).
std::optional<std::string> info_field(std::string_view info, std::string_view field) {
  size_t pos = 0;
  while (pos < info.size()) {
    size_t end = info.find('\n', pos);
    if (end == std::string_view::npos) end = info.size();
    std::string_view line = info.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > field.size() && line.substr(0, field.size()) == field &&
        line[field.size()] == ':')
      return std::string(line.substr(field.size() + 1));
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace

void RedisStore::durability(Callback<Durability> cb) {
  enqueue<Durability>(std::move(cb), [this](Callback<Durability> done) {
    auto out = std::make_shared<Durability>();
    out->kind = "redis";
    auto from_info = [this, out, done] {
      out->via = "INFO persistence";
      m_conn->command({"INFO", "persistence"}, [this, out, done](Result<Reply> r) {
        if (!r) return done(r.error());
        if (r->is_error()) return done(redis_error(*r, m_endpoint));
        auto aof = info_field(r->text().value_or(""), "aof_enabled");
        if (aof) out->aof = *aof == "1";
        done(*out);
      });
    };
    m_conn->command({"CONFIG", "GET", "appendonly"}, [this, out, done, from_info](Result<Reply> r) {
      if (!r) return done(r.error());
      auto aof = r->is_error() ? std::nullopt : config_value(*r);
      if (!aof) return from_info();  // CONFIG renamed away, or not allowed for this user
      out->via = "CONFIG GET";
      out->aof = *aof == "yes";
      m_conn->command({"CONFIG", "GET", "appendfsync"}, [this, out, done](Result<Reply> r) {
        if (!r) return done(r.error());
        if (!r->is_error()) out->fsync = config_value(*r).value_or("");
        m_conn->command({"CONFIG", "GET", "save"}, [out, done](Result<Reply> r) {
          if (!r) return done(r.error());
          if (!r->is_error()) out->save = config_value(*r).value_or("");
          done(*out);
        });
      });
    });
  });
}

}  // namespace harness::store::redis
