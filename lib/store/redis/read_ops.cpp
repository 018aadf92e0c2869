// The reads: one command or one read-only script each, so each sees one consistent state.
#include <algorithm>

#include "lib/store/redis/codec.hpp"
#include "lib/store/redis/keys.hpp"
#include "lib/store/redis/redis_store_impl.hpp"

namespace harness::store::redis {
namespace {

constexpr int k_default_page = 100;
constexpr int k_max_page = 1000;

// The smallest index that can answer the filter; the script checks the other conditions.
std::string index_for(const LeafFilter& f, const std::string& label_index) {
  if (!f.session.empty()) return session_leaves_index(f.session);
  if (f.owner && !f.or_gated) return owner_index(*f.owner);
  if (!label_index.empty()) return label_index;
  if (f.state) return state_index(model::to_string(*f.state));
  return all_leaves_index();
}

std::string label_index(const std::string& label) {
  if (label.empty()) return {};
  auto eq = label.find('=');
  if (eq == std::string::npos) return label_key_index(label);
  return label_value_index(label.substr(0, eq), label.substr(eq + 1));
}

// Whether `leaf` carries every label of `labels` ("k=v", or a bare "k" for the key alone).
bool has_labels(const model::Leaf& leaf, const std::vector<std::string>& labels) {
  const auto& have = leaf.spec.labels;
  for (const auto& l : labels) {
    auto eq = l.find('=');
    auto it = have.find(eq == std::string::npos ? l : l.substr(0, eq));
    if (it == have.end() || (eq != std::string::npos && it->second != l.substr(eq + 1)))
      return false;
  }
  return true;
}

}  // namespace

void RedisStore::get_leaf(std::string id, Callback<model::Leaf> cb) {
  enqueue<model::Leaf>(std::move(cb), [this, id](Callback<model::Leaf> done) {
    m_conn->command({"HGET", leaf_key(id), "row"}, [this, id, done](Result<Reply> r) {
      if (!r) return done(r.error());
      if (r->is_error()) return done(redis_error(*r, m_endpoint));
      if (r->is_nil()) return done(make_error(ErrorCode::not_found, "no such leaf " + id));
      done(guarded([&] { return leaf_from_row(*r); }));
    });
  });
}

void RedisStore::list_leaves(LeafFilter filter, Callback<LeafPage> cb) {
  enqueue<LeafPage>(std::move(cb), [this, f = std::move(filter)](Callback<LeafPage> done) {
    int limit = f.limit <= 0 ? k_default_page : std::min(f.limit, k_max_page);
    // The script filters by one label (the first) through its index; the others and
    // created_since are checked here, so a page may hold fewer than `limit` leaves while
    // next_cursor goes on from the last leaf examined.
    std::string label = label_index(f.labels.empty() ? std::string() : f.labels.front());
    std::vector<std::string> args{index_for(f, label),
                                  f.cursor,
                                  std::to_string(limit + 1),
                                  f.state ? std::string(model::to_string(*f.state)) : "",
                                  f.session,
                                  label,
                                  f.owner ? "1" : "0",
                                  f.owner.value_or(""),
                                  f.or_gated ? "1" : "0"};
    script(ScriptId::list, std::move(args), [this, done, limit, f](Result<Reply> r) {
      if (!r) return done(r.error());
      if (script_status(*r) != "ok") return done(answer_error(*r, m_endpoint));
      auto leaves = guarded([&] { return leaves_from(*r, 1); });
      if (!leaves) return done(leaves.error());
      LeafPage page;
      page.leaves = std::move(*leaves);
      bool more = page.leaves.size() > static_cast<size_t>(limit);
      if (more) page.leaves.resize(static_cast<size_t>(limit));
      std::string last = page.leaves.empty() ? std::string() : page.leaves.back().id;
      bool past_since = false;  // newest first: after one older leaf, all the rest are older
      std::vector<std::string> rest;
      if (f.labels.size() > 1) rest.assign(f.labels.begin() + 1, f.labels.end());
      std::erase_if(page.leaves, [&](const model::Leaf& l) {
        if (f.created_since > 0 && l.created_at < f.created_since) past_since = true;
        return past_since || !has_labels(l, rest);
      });
      if (more && !past_since) page.next_cursor = last;
      done(std::move(page));
    });
  });
}

void RedisStore::read_events(EventQuery q, Callback<std::vector<model::Event>> cb) {
  using Events = std::vector<model::Event>;
  enqueue<Events>(std::move(cb), [this, q = std::move(q)](Callback<Events> done) {
    std::vector<std::string> args{q.session, std::to_string(std::max<std::int64_t>(q.after_seq, 0)),
                                  q.leaf, std::to_string(std::max(q.limit, 0))};
    script(ScriptId::events, std::move(args), [this, done, session = q.session](Result<Reply> r) {
      if (!r) return done(r.error());
      if (script_status(*r) != "ok") return done(answer_error(*r, m_endpoint));
      done(guarded([&]() -> Result<Events> {
        Events out;
        out.reserve(r->size() - 1);
        for (size_t i = 1; i < r->size(); ++i) {
          HARNESS_TRY_ASSIGN(model::Event e, event_from_entry(r->at(i), session));
          out.push_back(std::move(e));
        }
        return out;
      }));
    });
  });
}

void RedisStore::get_session(std::string id, Callback<model::Session> cb) {
  enqueue<model::Session>(std::move(cb), [this, id](Callback<model::Session> done) {
    script(ScriptId::session, {id}, [this, done, id](Result<Reply> r) {
      if (!r) return done(r.error());
      if (script_status(*r) != "ok") return done(answer_error(*r, m_endpoint));
      done(guarded([&]() -> Result<model::Session> {
        model::Session s;
        s.id = id;
        HARNESS_TRY_ASSIGN(s.created_at, int_from(r->at(1), "session created_at"));
        HARNESS_TRY_ASSIGN(s.last_seq, int_from(r->at(2), "session last_seq"));
        s.owner = std::string(r->at(3).text().value_or(""));
        HARNESS_TRY_ASSIGN(s.leaves, leaves_from(*r, 4));
        return s;
      }));
    });
  });
}

void RedisStore::list_unfinished(Callback<std::vector<model::Leaf>> cb) {
  using Leaves = std::vector<model::Leaf>;
  enqueue<Leaves>(std::move(cb), [this](Callback<Leaves> done) {
    std::vector<std::string> states;
    for (auto s :
         {model::LeafState::queued, model::LeafState::running, model::LeafState::awaiting_approval,
          model::LeafState::succeeded, model::LeafState::failed, model::LeafState::rejected,
          model::LeafState::cancelled})
      if (!model::is_terminal(s)) states.emplace_back(model::to_string(s));
    script(ScriptId::unfinished, std::move(states), [this, done](Result<Reply> r) {
      if (!r) return done(r.error());
      if (script_status(*r) != "ok") return done(answer_error(*r, m_endpoint));
      done(guarded([&] { return leaves_from(*r, 1); }));
    });
  });
}

void RedisStore::ping(Callback<bool> cb) {
  enqueue<bool>(std::move(cb), [this](Callback<bool> done) {
    m_conn->command({"PING"}, [this, done](Result<Reply> r) {
      if (!r) return done(r.error());
      if (r->is_error()) return done(redis_error(*r, m_endpoint));
      done(r->text() == std::optional<std::string_view>("PONG"));
    });
  });
}

}  // namespace harness::store::redis
