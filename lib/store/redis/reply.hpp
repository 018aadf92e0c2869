#pragma once
// A Redis reply copied out of hiredis' redisReply (which is freed when its callback returns),
// with small accessors that never throw. Plain data; any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace harness::store::redis {

struct Reply {
  enum class Type { nil, status, error, integer, string, array };
  Type type = Type::nil;
  std::string str;  // status, error and string replies
  std::int64_t integer = 0;
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::nil; }
  bool is_error() const { return type == Type::error; }
  bool is_array() const { return type == Type::array; }
  // The text of a string or status reply; nullopt for anything else.
  std::optional<std::string_view> text() const;
  // Element i of an array reply, or a nil reply when out of range or not an array.
  const Reply& at(size_t i) const;
  size_t size() const { return elements.size(); }
};

// Deep copy of a hiredis reply (nullptr -> nil). Nesting deeper than 16 levels is cut off as
// nil: our scripts never return that, so it can only be a broken reply.
Reply copy_reply(const redisReply* r);

}  // namespace harness::store::redis
