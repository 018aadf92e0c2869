// doctor's store persistence check: what each Redis setting means for SPEC §7's promise.
#include "lib/daemon/doctor_durability.hpp"

#include <doctest/doctest.h>

using namespace harness;
using harness::daemon::durability_check;

namespace {
store::Durability redis(std::optional<bool> aof, std::string fsync, std::string save = {},
                        std::string via = "CONFIG GET") {
  store::Durability d;
  d.kind = "redis";
  d.aof = aof;
  d.fsync = std::move(fsync);
  d.save = std::move(save);
  d.via = std::move(via);
  return d;
}
std::string detail_of(const nlohmann::json& c) {
  return c["detail"].is_string() ? c["detail"].get<std::string>() : "";
}
std::string fix_of(const nlohmann::json& c) {
  return c["fix"].is_string() ? c["fix"].get<std::string>() : "";
}
}  // namespace

TEST_CASE("doctor durability: appendfsync always keeps the promise") {
  auto c = durability_check(redis(true, "always"));
  CHECK(c["ok"] == true);
  CHECK(c["warning"] == false);
  CHECK(c["fix"].is_null());
  CHECK(detail_of(c).find("SPEC §7") != std::string::npos);
}

TEST_CASE("doctor durability: everysec and no warn with the fix") {
  for (std::string f : {"everysec", "no"}) {
    CAPTURE(f);
    auto c = durability_check(redis(true, f));
    CHECK(c["ok"] == true);
    CHECK(c["warning"] == true);
    CHECK(detail_of(c).find("appendfsync " + f) != std::string::npos);
    CHECK(fix_of(c).find("appendfsync always") != std::string::npos);
  }
  CHECK(detail_of(durability_check(redis(true, "everysec"))).find("last second") !=
        std::string::npos);
}

TEST_CASE("doctor durability: no AOF fails, naming the snapshot schedule") {
  auto c = durability_check(redis(false, "everysec", "3600 1 300 100"));
  CHECK(c["ok"] == false);
  CHECK(detail_of(c).find("save 3600 1 300 100") != std::string::npos);
  CHECK(detail_of(c).find("since the last snapshot") != std::string::npos);
  CHECK(fix_of(c).find("appendonly yes") != std::string::npos);
  auto none = durability_check(redis(false, "", ""));
  CHECK(none["ok"] == false);
  CHECK(detail_of(none).find("no RDB snapshots") != std::string::npos);
}

TEST_CASE("doctor durability: CONFIG disabled: AOF from INFO, fsync unknown") {
  auto c = durability_check(redis(true, "", "", "INFO persistence"));
  CHECK(c["ok"] == true);
  CHECK(c["warning"] == true);
  CHECK(detail_of(c).find("unknown") != std::string::npos);
  CHECK(detail_of(c).find("INFO persistence") != std::string::npos);
  CHECK(durability_check(redis(false, "", "", "INFO persistence"))["ok"] == false);
  CHECK(durability_check(redis(std::nullopt, ""))["warning"] == true);
}
