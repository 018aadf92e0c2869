#include "lib/store/redis/uv_adapter.hpp"

#include <hiredis/async.h>

namespace harness::store::redis {
namespace {

struct Poll {
  uv_poll_t handle;
  redisAsyncContext* ac = nullptr;  // null once hiredis has let go (cleanup)
  int events = 0;
};

void on_poll(uv_poll_t* h, int status, int events) noexcept {
  auto* p = static_cast<Poll*>(h->data);
  if (!p->ac) return;
  // An error on the socket: let hiredis read, so it sees the failure and disconnects.
  if (status < 0) events = UV_READABLE;
  if (events & UV_READABLE) redisAsyncHandleRead(p->ac);
  // Reading may have freed the context (and run cleanup, clearing p->ac).
  if (p->ac && (events & UV_WRITABLE)) redisAsyncHandleWrite(p->ac);
}

void update(Poll* p, int events) {
  p->events = events;
  if (p->events)
    uv_poll_start(&p->handle, p->events, on_poll);
  else
    uv_poll_stop(&p->handle);
}

void add_read(void* d) {
  auto* p = static_cast<Poll*>(d);
  update(p, p->events | UV_READABLE);
}
void del_read(void* d) {
  auto* p = static_cast<Poll*>(d);
  update(p, p->events & ~UV_READABLE);
}
void add_write(void* d) {
  auto* p = static_cast<Poll*>(d);
  update(p, p->events | UV_WRITABLE);
}
void del_write(void* d) {
  auto* p = static_cast<Poll*>(d);
  update(p, p->events & ~UV_WRITABLE);
}

// hiredis is freeing the context; it closes the socket right after this returns. uv_close
// stops the poll (removing the fd from epoll) now and frees the block in the close callback.
void cleanup(void* d) {
  auto* p = static_cast<Poll*>(d);
  p->ac = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&p->handle),
           [](uv_handle_t* h) noexcept { delete static_cast<Poll*>(h->data); });
}

}  // namespace

bool attach_to_loop(redisAsyncContext* ac, uv_loop_t* loop) {
  if (ac->ev.data != nullptr) return false;
  auto* p = new Poll;
  if (uv_poll_init(loop, &p->handle, ac->c.fd) != 0) {
    delete p;  // never initialised as a handle: nothing to close
    return false;
  }
  p->handle.data = p;
  p->ac = ac;
  ac->ev.data = p;
  ac->ev.addRead = add_read;
  ac->ev.delRead = del_read;
  ac->ev.addWrite = add_write;
  ac->ev.delWrite = del_write;
  ac->ev.cleanup = cleanup;
  return true;
}

}  // namespace harness::store::redis
