// Several daemons on one Redis: node names, claims, leases and fencing (lease_scripts.hpp has
// the scripts, docs/redis.md "Several daemons" the design). The store remembers which leases
// it holds and their fencing tokens; append() sends the token of a held leaf, so every write
// of a runner is checked against its claim inside the script.
#include "lib/store/redis/codec.hpp"
#include "lib/store/redis/keys.hpp"
#include "lib/store/redis/redis_store_impl.hpp"

namespace harness::store::redis {

std::string RedisStore::fence_of(const std::string& leaf_id) const {
  auto it = m_held.find(leaf_id);
  return it == m_held.end() ? std::string() : std::to_string(it->second);
}

void RedisStore::register_node(NodeRequest req, Callback<bool> cb) {
  auto r = std::make_shared<const NodeRequest>(std::move(req));
  enqueue<bool>(std::move(cb), [this, r](Callback<bool> done) {
    script(ScriptId::node, {r->node, r->instance, std::to_string(r->ttl_ms)},
           [this, done](Result<Reply> a) {
             if (!a) return done(a.error());
             if (script_status(*a) != "ok") return done(answer_error(*a, m_endpoint));
             done(true);
           });
  });
}

void RedisStore::claim(ClaimRequest req, Callback<ClaimResult> cb) {
  auto r = std::make_shared<const ClaimRequest>(std::move(req));
  enqueue<ClaimResult>(std::move(cb), [this, r](Callback<ClaimResult> done) {
    std::vector<std::string> args{std::string(k_queue_group),
                                  r->node,
                                  r->instance,
                                  std::to_string(r->lease_ttl_ms),
                                  std::to_string(std::max(0, r->want)),
                                  std::to_string(m_held.size())};
    for (const auto& [id, fence] : m_held) {
      args.push_back(id);
      args.push_back(std::to_string(fence));
    }
    script(ScriptId::claim, std::move(args), [this, done](Result<Reply> a) {
      if (!a) return done(a.error());
      if (script_status(*a) != "ok") return done(answer_error(*a, m_endpoint));
      done(guarded([&]() -> Result<ClaimResult> {
        ClaimResult out;
        const Reply& lost = a->at(1);
        for (size_t i = 0; i < lost.size(); ++i) {
          std::string id(lost.at(i).text().value_or(""));
          m_held.erase(id);
          out.lost.push_back(std::move(id));
        }
        for (size_t i = 2; i < a->size(); ++i) {
          const Reply& c = a->at(i);
          Claim claim;
          HARNESS_TRY_ASSIGN(claim.leaf, leaf_from_row(c.at(0)));
          claim.fence = c.at(1).integer;
          claim.after_gate = c.at(2).integer == 1;
          claim.released = c.at(2).integer == 2;
          m_held[claim.leaf.id] = claim.fence;
          m_cache.forget(claim.leaf.id, claim.leaf.session);  // another daemon may have written
          out.claimed.push_back(std::move(claim));
        }
        return out;
      }));
    });
  });
}

void RedisStore::release(std::string leaf_id, Callback<bool> cb) {
  enqueue<bool>(std::move(cb), [this, id = std::move(leaf_id)](Callback<bool> done) {
    auto it = m_held.find(id);
    if (it == m_held.end()) return done(true);
    std::string fence = std::to_string(it->second);
    m_held.erase(it);
    script(ScriptId::release, {id, fence}, [this, done](Result<Reply> a) {
      if (!a) return done(a.error());
      if (script_status(*a) != "ok") return done(answer_error(*a, m_endpoint));
      done(true);
    });
  });
}

void RedisStore::pod_lease(PodLeaseRequest req, Callback<std::vector<std::string>> cb) {
  std::vector<std::string> args;
  using Op = PodLeaseRequest::Op;
  args.push_back(req.op == Op::acquire ? "acquire" : req.op == Op::renew ? "renew" : "release");
  args.push_back(req.pool);
  args.push_back(std::to_string(req.ttl_ms));
  if (req.op == Op::acquire) {
    args.push_back(std::to_string(req.cap));
    args.push_back(req.holders.empty() ? std::string() : req.holders.front());
    args.insert(args.end(), req.pods.begin(), req.pods.end());
  } else {
    args.insert(args.end(), req.holders.begin(), req.holders.end());
  }
  enqueue<std::vector<std::string>>(
      std::move(cb), [this, args](Callback<std::vector<std::string>> done) {
        script(ScriptId::pod_lease, args, [this, done](Result<Reply> a) {
          if (!a) return done(a.error());
          if (script_status(*a) != "ok") return done(answer_error(*a, m_endpoint));
          std::vector<std::string> out;
          for (size_t i = 1; i < a->size(); ++i) out.emplace_back(a->at(i).text().value_or(""));
          done(std::move(out));
        });
      });
}

}  // namespace harness::store::redis
