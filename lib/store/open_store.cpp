// open_store: picks the implementation from the URL scheme.
#include <cctype>

#include "lib/model/redactor.hpp"
#include "lib/store/metered_store.hpp"
#include "lib/store/redis/redis_store.hpp"
#include "lib/store/sqlite/sqlite_store.hpp"
#include "lib/store/store.hpp"

namespace harness::store {
namespace {

// The scheme of "scheme:rest" (RFC 3986 letters), or empty for a bare path.
std::string scheme_of(const std::string& url) {
  auto colon = url.find(':');
  if (colon == std::string::npos || colon == 0) return {};
  if (!std::isalpha(static_cast<unsigned char>(url[0]))) return {};
  for (size_t i = 1; i < colon; ++i) {
    char c = url[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return {};
  }
  return url.substr(0, colon);
}

Result<std::unique_ptr<Store>> open_unmetered(uv_loop_t* loop, const std::string& url,
                                              const StoreOptions& options) {
  if (url.empty()) return make_error(ErrorCode::invalid, "the store URL is empty");
  std::string scheme = scheme_of(url);
  if (scheme.empty()) return sqlite::open_sqlite_store(loop, url);
  if (scheme == "sqlite") {
    std::string path = url.substr(scheme.size() + 1);
    if (path.rfind("//", 0) == 0) path.erase(0, 2);  // sqlite:///abs/path
    if (path.empty()) return make_error(ErrorCode::invalid, "store URL '" + url + "' has no path");
    return sqlite::open_sqlite_store(loop, path);
  }
  if (scheme == "redis" || scheme == "rediss") return redis::open_redis_store(loop, url, options);
  return make_error(ErrorCode::invalid, "unknown store URL scheme '" + scheme + "' in '" +
                                            model::url_without_password(url) +
                                            "' (use sqlite:PATH or redis://host:port/db)");
}

}  // namespace

Result<std::unique_ptr<Store>> open_store(uv_loop_t* loop, const std::string& url,
                                          const StoreOptions& options) {
  HARNESS_TRY_ASSIGN(std::unique_ptr<Store> store, open_unmetered(loop, url, options));
  return metered(std::move(store));
}

}  // namespace harness::store
