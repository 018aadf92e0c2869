// submit and append. The projection (model::apply_event) runs here, in C++, on the row as last
// read; the script then writes the events, the row and the indexes only if the session's
// last_seq is still the one the projection started from (compare-and-set). A lost race
// ("retry") re-reads and projects again, so there is one projection, shared with SQLite.
#include "lib/base/ids.hpp"
#include "lib/base/time.hpp"
#include "lib/store/redis/codec.hpp"
#include "lib/store/redis/keys.hpp"
#include "lib/store/redis/redis_store_impl.hpp"

namespace harness::store::redis {
namespace {

Error contention(const std::string& what) {
  return make_error(ErrorCode::unavailable, what + ": the session kept changing under " +
                                                std::to_string(k_max_tries) +
                                                " attempts; try again");
}

// What identifies a batch of drafts, to recognise a retry of the same append.
std::string drafts_key(const std::vector<model::EventDraft>& drafts) {
  std::string out;
  for (const auto& d : drafts) {
    out += d.type;
    out += '\0';
    out += dump_json(d.data);
    out += '\0';
  }
  return out;
}

}  // namespace

void RedisStore::submit(SubmitRequest req, Callback<SubmitResult> cb) {
  auto r = std::make_shared<const SubmitRequest>(std::move(req));
  enqueue<SubmitResult>(std::move(cb), [this, r](Callback<SubmitResult> done) {
    if (!r->resume) return submit_at(r, 0, "", 0, done);
    submit_read(r, 0, done);
  });
}

// A resumed session's last_seq, and its owner (which the new leaf gets).
void RedisStore::submit_read(Request req, int tries, Callback<SubmitResult> done) {
  m_conn->command(
      {"HMGET", session_key(req->session_id), "last_seq", "owner"},
      [this, req, tries, done](Result<Reply> r) {
        if (!r) return done(r.error());
        if (r->is_error()) return done(redis_error(*r, m_endpoint));
        if (r->at(0).is_nil())
          return done(make_error(ErrorCode::not_found, "no such session " + req->session_id));
        auto seq = int_from(r->at(0), "session last_seq");
        if (!seq) return done(seq.error());
        std::string owner(r->at(1).text().value_or(""));
        submit_at(req, *seq, std::move(owner), tries, done);
      });
}

void RedisStore::submit_at(Request req, std::int64_t seq, std::string session_owner, int tries,
                           Callback<SubmitResult> done) {
  TimeMs now = now_ms();
  std::vector<std::string> args;
  auto built = guarded([&]() -> Result<SubmitResult> {
    model::LeafSpec spec = req->spec;
    if (req->resume) spec.owner = session_owner;
    if (!req->resume && !req->fork_from.empty()) seq = req->fork_seq;  // the copied prefix
    SubmitResult out;
    out.event = model::Event{
        req->session_id,     seq + 1, req->leaf_id, std::string(model::event::leaf_submitted), now,
        model::to_json(spec)};
    HARNESS_TRY(model::apply_event(out.leaf, out.event));
    const std::string& key = spec.idempotency_key;
    args = {req->leaf_id,
            req->session_id,
            req->resume ? "1" : "0",
            req->resume ? std::to_string(seq) : "",
            key.empty() ? "" : idempotency_field(req->idempotency_scope, key),
            key,
            req->request_hash,
            spec.owner,
            std::to_string(now),
            dump_json(out.event.data),
            dump_json(model::to_json(out.leaf)),
            req->fork_from,
            std::to_string(req->fork_seq),
            std::to_string(spec.labels.size() * 2)};
    for (const auto& [k, v] : spec.labels) {
      args.push_back(label_key_index(k));
      args.push_back(label_value_index(k, v));
    }
    return out;
  });
  if (!built) return done(built.error());
  auto out = std::make_shared<SubmitResult>(std::move(*built));
  script(ScriptId::submit, std::move(args), [this, req, tries, out, done](Result<Reply> r) {
    if (!r) return done(r.error());
    std::string_view status = script_status(*r);
    if (status == "ok") {
      m_cache.put(out->leaf, out->event.seq);
      return done(std::move(*out));
    }
    if (status == "dup") return submitted(std::string(r->at(1).text().value_or("")), done);
    if (status == "retry") {
      if (tries + 1 >= k_max_tries) return done(contention("submit to " + req->session_id));
      return submit_read(req, tries + 1, done);
    }
    done(answer_error(*r, m_endpoint));
  });
}

void RedisStore::submitted(const std::string& leaf_id, Callback<SubmitResult> done) {
  script(ScriptId::submitted, {leaf_id}, [this, done](Result<Reply> r) {
    if (!r) return done(r.error());
    if (script_status(*r) != "ok") return done(answer_error(*r, m_endpoint));
    done(guarded([&]() -> Result<SubmitResult> {
      SubmitResult out;
      out.created = false;
      HARNESS_TRY_ASSIGN(out.leaf, leaf_from_row(r->at(1)));
      HARNESS_TRY_ASSIGN(out.event, event_from_entry(r->at(2), out.leaf.session));
      return out;
    }));
  });
}

void RedisStore::append(std::string leaf_id, std::vector<model::EventDraft> drafts,
                        Callback<AppendResult> cb) {
  auto d = std::make_shared<const std::vector<model::EventDraft>>(std::move(drafts));
  enqueue<AppendResult>(
      std::move(cb), [this, id = std::move(leaf_id), d](Callback<AppendResult> done) {
        if (auto doubt = m_in_doubt.extract(id); !doubt.empty()) {
          auto drafts = guarded([&]() -> Result<std::string> { return drafts_key(*d); });
          if (drafts && *drafts == doubt.mapped().drafts)
            return append_check(id, d, std::move(doubt.mapped()), done);
        }
        auto cached = d->empty() ? std::nullopt : m_cache.get(id);
        if (cached) return append_at(std::move(cached->first), cached->second, d, 0, true, done);
        append_read(id, d, 0, done);
      });
}

void RedisStore::append_check(std::string id, Drafts drafts, InDoubt doubt,
                              Callback<AppendResult> done) {
  std::vector<std::string> args{id, doubt.token, std::to_string(doubt.first_seq),
                                std::to_string(doubt.last_seq)};
  script(ScriptId::landed, std::move(args),
         [this, id, drafts, doubt, done](Result<Reply> r) mutable {
           if (!r) {
             m_in_doubt[id] = std::move(doubt);  // still unknown
             return done(r.error());
           }
           if (script_status(*r) != "ok") return append_read(id, drafts, 0, done);
           done(guarded([&]() -> Result<AppendResult> {
             AppendResult out;
             HARNESS_TRY_ASSIGN(out.leaf, leaf_from_row(r->at(1)));
             for (size_t i = 2; i < r->size(); ++i) {
               HARNESS_TRY_ASSIGN(model::Event e, event_from_entry(r->at(i), out.leaf.session));
               out.events.push_back(std::move(e));
             }
             return out;
           }));
         });
}

void RedisStore::append_read(std::string id, Drafts drafts, int tries,
                             Callback<AppendResult> done) {
  script(ScriptId::load, {id}, [this, drafts, tries, done](Result<Reply> r) {
    if (!r) return done(r.error());
    if (script_status(*r) != "ok") return done(answer_error(*r, m_endpoint));
    auto leaf = guarded([&] { return leaf_from_row(r->at(1)); });
    if (!leaf) return done(leaf.error());
    auto seq = int_from(r->at(2), "session last_seq");
    if (!seq) return done(seq.error());
    append_at(std::move(*leaf), *seq, drafts, tries, false, done);
  });
}

void RedisStore::append_at(model::Leaf leaf, std::int64_t seq, Drafts drafts, int tries,
                           bool cached, Callback<AppendResult> done) {
  auto out = std::make_shared<AppendResult>();
  out->leaf = std::move(leaf);
  if (drafts->empty()) return done(std::move(*out));
  std::string old_state(model::to_string(out->leaf.state));
  TimeMs now = now_ms();
  std::int64_t last = seq;
  // Every draft is applied before anything is sent, so a refused one writes nothing.
  Status projected = guarded([&]() -> Status {
    for (const auto& d : *drafts) {
      model::Event e{out->leaf.session, ++last, out->leaf.id, d.type, now, d.data};
      HARNESS_TRY(model::apply_event(out->leaf, e));
      out->events.push_back(std::move(e));
    }
    return {};
  });
  if (!projected) {
    // A refusal computed on a cached row is only believed after a fresh read.
    if (cached) return append_read(out->leaf.id, drafts, tries, done);
    return done(projected.error());
  }
  std::string token = new_id("w_");
  std::vector<std::string> args{std::string(k_queue_group),
                                out->leaf.id,
                                std::to_string(seq),
                                old_state,
                                std::string(model::to_string(out->leaf.state)),
                                "",
                                model::is_terminal(out->leaf.state) ? "1" : "0",
                                std::to_string(now),
                                out->leaf.gates > 0 ? "1" : "0",
                                std::to_string(out->events.size()),
                                token,
                                fence_of(out->leaf.id)};
  Status encoded = guarded([&]() -> Status {
    args[5] = dump_json(model::to_json(out->leaf));
    for (const auto& e : out->events) {
      args.push_back(e.type);
      args.push_back(dump_json(e.data));
    }
    return {};
  });
  if (!encoded) return done(encoded.error());
  InDoubt doubt{token, seq + 1, last, {}};
  script(ScriptId::append, std::move(args),
         [this, out, last, drafts, tries, doubt, done](Result<Reply> r) mutable {
           if (!r) {
             // Sent, perhaps written, answer lost; or never sent. A retry checks first.
             auto key = guarded([&]() -> Result<std::string> { return drafts_key(*drafts); });
             doubt.drafts = key.value_or(std::string());
             if (!doubt.drafts.empty()) m_in_doubt[out->leaf.id] = std::move(doubt);
             return done(r.error());
           }
           std::string_view status = script_status(*r);
           if (status == "ok") {
             m_cache.put(out->leaf, last);
             if (model::is_terminal(out->leaf.state) ||
                 out->leaf.state == model::LeafState::awaiting_approval)
               m_held.erase(out->leaf.id);  // the script ended the lease
             return done(std::move(*out));
           }
           if (status == "fenced") {
             m_held.erase(out->leaf.id);
             m_cache.forget(out->leaf.id, out->leaf.session);
             return done(make_error(ErrorCode::conflict,
                                    std::string(r->at(1).text().value_or("lease lost"))));
           }
           if (status == "retry") {
             m_cache.forget(out->leaf.id, out->leaf.session);
             if (tries + 1 >= k_max_tries) return done(contention("append to " + out->leaf.id));
             return append_read(out->leaf.id, drafts, tries + 1, done);
           }
           done(answer_error(*r, m_endpoint));
         });
}

}  // namespace harness::store::redis
