#include "lib/client/record.hpp"

#include <unistd.h>

#include <filesystem>

#include "lib/base/fs.hpp"
#include "lib/base/json_dump.hpp"
#include "lib/model/json.hpp"

namespace harness::client {

Json replay_file(const std::string& leaf_id, const Json& events) {
  Json responses = Json::array();
  if (events.is_array())
    for (const auto& e : events) {
      if (!e.is_object() || model::str_at(e, "type") != "model_response") continue;
      const Json& d = model::object_at(e, "data");
      Json r = Json::object();
      for (const char* key : {"message", "stop_reason", "usage", "model"})
        if (auto it = d.find(key); it != d.end()) r[key] = *it;
      responses.push_back(std::move(r));
    }
  return Json{{"leaf", leaf_id}, {"responses", std::move(responses)}};
}

Status check_record_path(const std::string& path) {
  namespace fs = std::filesystem;
  auto usage = [&](const std::string& why) {
    return make_error(ErrorCode::bad_request, "--record " + path + ": " + why);
  };
  if (path.empty()) return usage("needs a file name");
  std::error_code ec;
  if (fs::is_directory(path, ec)) return usage("is a directory");
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec)) return usage("the directory " + dir.string() + " does not exist");
  if (access(dir.c_str(), W_OK) != 0)
    return usage("the directory " + dir.string() + " is not writable");
  return {};
}

Result<size_t> write_record(ApiClient& client, const std::string& leaf_id,
                            const std::string& path) {
  auto page = client.get("/v1/leaves/" + url_encode(leaf_id) + "/events?after=0");
  if (!page) return page.error();
  Json events = Json::array();
  if (page->is_object())
    if (auto it = page->find("events"); it != page->end()) events = *it;
  Json file = replay_file(leaf_id, events);
  size_t n = file["responses"].size();
  HARNESS_TRY(write_file_atomic(path, dump_json(file, 2) + "\n"));
  return n;
}

}  // namespace harness::client
