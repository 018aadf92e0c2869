#include "lib/daemon/doctor_durability.hpp"

#include <string>

namespace harness::daemon {
namespace {

using Json = nlohmann::json;

constexpr const char* k_fix_fsync =
    "CONFIG SET appendfsync always on the Redis server (and appendfsync always in its "
    "redis.conf, or your provider's setting)";
constexpr const char* k_fix_aof =
    "CONFIG SET appendonly yes and CONFIG SET appendfsync always on the Redis server (and the "
    "same in its redis.conf, or your provider's setting)";

Json result(bool ok, bool warning, std::string detail, std::string fix = {}) {
  return Json{{"kind", "store"},
              {"name", "persistence"},
              {"ok", ok},
              {"warning", warning},
              {"detail", std::move(detail)},
              {"fix", fix.empty() ? Json(nullptr) : Json(std::move(fix))}};
}

}  // namespace

Json durability_check(const store::Durability& d) {
  std::string via = d.via.empty() ? "" : " (read with " + d.via + ")";
  if (!d.aof)
    return result(true, true,
                  "could not read the Redis persistence settings" + via +
                      "; whether acknowledged events survive a Redis restart is unknown",
                  "check appendonly yes and appendfsync always on the Redis server");
  if (!*d.aof) {
    std::string snap =
        d.save.empty() ? "no RDB snapshots either" : "RDB snapshots (save " + d.save + ")";
    return result(false, false,
                  "appendonly no, " + snap + via +
                      ": a Redis restart or crash loses every event since the last snapshot" +
                      (d.save.empty() ? " (all of them)" : ""),
                  k_fix_aof);
  }
  if (d.fsync == "always")
    return result(true, false,
                  "appendonly yes, appendfsync always" + via +
                      ": an acknowledged event survives a crash or power loss (SPEC §7)");
  if (d.fsync == "everysec")
    return result(true, true,
                  "appendonly yes, appendfsync everysec" + via +
                      ": a power loss or kernel crash may lose the last second or two of "
                      "acknowledged events",
                  k_fix_fsync);
  if (d.fsync == "no")
    return result(true, true,
                  "appendonly yes, appendfsync no" + via +
                      ": a power loss or kernel crash may lose the last ~30 s of acknowledged "
                      "events (the kernel decides when to write)",
                  k_fix_fsync);
  return result(true, true,
                "appendonly yes, fsync policy unknown" + via +
                    " (CONFIG is disabled on this server): a power loss may lose the last "
                    "second or two of acknowledged events unless it is appendfsync always",
                "make sure the server runs with appendfsync always (your provider's setting)");
}

}  // namespace harness::daemon
