#include "lib/store/redis/reply.hpp"

#include <hiredis/hiredis.h>

namespace harness::store::redis {
namespace {

constexpr int k_max_depth = 16;

Reply copy_at(const redisReply* r, int depth) {
  Reply out;
  if (!r || depth > k_max_depth) return out;
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::array;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i)
        out.elements.push_back(copy_at(r->element[i], depth + 1));
      break;
    default:
      break;  // REDIS_REPLY_NIL
  }
  return out;
}

}  // namespace

std::optional<std::string_view> Reply::text() const {
  if (type == Type::string || type == Type::status) return std::string_view(str);
  return std::nullopt;
}

const Reply& Reply::at(size_t i) const {
  static const Reply k_nil;
  return i < elements.size() ? elements[i] : k_nil;
}

Reply copy_reply(const redisReply* r) {
  return copy_at(r, 0);
}

}  // namespace harness::store::redis
