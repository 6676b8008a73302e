// Kernel-side relay for established CONNECT tunnels (Linux). Once the proxy has decided a tunnel and it
// needs no inspection, every byte is moved socket -> pipe -> socket with splice(2) by one background
// thread on an epoll loop, so tunnel data is never copied into JavaScript and costs no event-loop turns.
//
// listen(onEnd)  starts the relay thread (once) and names the function told of every tunnel's end:
//   onEnd(id, bytesToUpstream, bytesToClient, errno), called on the JS thread.
// start(clientFd, upstreamFd, toUpstream Buffer, toClient Buffer) -> id > 0, or -1 when it cannot
//   Takes duplicates of both fds (the caller then closes its own, which sends nothing while ours are
//   open), writes the prefix bytes first (what the caller already read or still owes: the CONNECT's
//   early bytes, the "200 Connection Established"), then relays both ways. A direction that reaches
//   end-of-file half-closes the other side (shutdown SHUT_WR); when both have, or on any error, both
//   sockets are closed and onEnd is called (always after start has returned the id).
// stop(id) -> bool   ends a tunnel now (shutdown both sockets; onEnd follows).
// active() -> number of tunnels being relayed; pipesInUse() -> pipes they hold (only while bytes are in flight).
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define PIPE_BYTES (256 * 1024)
#define MAX_EVENTS 64
// Empty pipes are kept for the next burst of any tunnel: making a pipe (and sizing it) costs more than
// the splices of a short transfer.
#define POOLED_PIPES 128

struct tunnel;

struct direction {
  struct tunnel *tunnel;
  int from, to;
  int to_watched;  // `to` is registered for EPOLLOUT too (only once a write to it has had to wait)
  int pipe_r, pipe_w;
  size_t in_pipe;
  char *prefix;
  size_t prefix_len, prefix_off;
  int eof;   // `from` has ended
  int done;  // everything forwarded and `to` half-closed
  uint64_t bytes;
};

struct tunnel {
  uint32_t id;
  struct tunnel *next_dead;
  int client, upstream;
  struct direction up, down;  // client -> upstream, upstream -> client
  int error;
  int finished;
  struct tunnel *prev, *next;  // the live list: unlinked in O(1) however many tunnels are open
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tunnel *tunnels;    // all live tunnels, guarded by lock
// Finished tunnels are freed only after the event batch in hand: it may still point at them.
static struct tunnel *graveyard;  // guarded by lock
static uint32_t next_id = 1;
static uint32_t live;
static int epoll_fd = -1;
static napi_threadsafe_function on_end;  // NULL until listen(), and again once its environment is gone
static uintptr_t on_end_generation;       // tells the current on_end from ones it replaced

static int pool[POOLED_PIPES][2];  // guarded by lock
static int pooled;
static uint32_t borrowed;  // pipes held by tunnels right now

struct ended {
  uint32_t id;
  uint64_t up, down;
  int error;
};

// Pipes are borrowed only while a direction has bytes in flight and handed back to the pool as soon as
// they are empty, so an idle tunnel holds no pipe: just its two sockets, as a piped tunnel would.
// Called with the lock held.
static int borrow_pipe(struct direction *d) {
  if (d->pipe_r >= 0) return 0;
  if (pooled > 0) {
    pooled--;
    d->pipe_r = pool[pooled][0];
    d->pipe_w = pool[pooled][1];
  } else {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return -1;
    d->pipe_r = fds[0];
    d->pipe_w = fds[1];
    fcntl(d->pipe_w, F_SETPIPE_SZ, PIPE_BYTES);  // best effort: the default 64 KiB also works
  }
  borrowed++;
  return 0;
}

static void return_pipe(struct direction *d) {
  if (d->pipe_r < 0) return;
  borrowed--;
  if (d->in_pipe == 0 && pooled < POOLED_PIPES) {
    pool[pooled][0] = d->pipe_r;
    pool[pooled][1] = d->pipe_w;
    pooled++;
  } else {
    close(d->pipe_r);
    close(d->pipe_w);
  }
  d->pipe_r = d->pipe_w = -1;
}

// A write to d->to had to wait: from now on its registration includes EPOLLOUT. Sockets start without it,
// since registering a writable socket for EPOLLOUT reports it at once and wakes this thread for nothing.
// MOD reports current readiness too, so a socket that drained meanwhile is not missed.
static int wait_writable(struct direction *d);

// Moves what it can in one direction; 0 = waiting for readiness, -1 = error (errno set).
static int pump(struct direction *d) {
  while (!d->done) {
    if (d->prefix_off < d->prefix_len) {
      ssize_t n = write(d->to, d->prefix + d->prefix_off, d->prefix_len - d->prefix_off);
      if (n > 0) {
        d->prefix_off += n;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return n < 0 && errno == EAGAIN ? wait_writable(d) : -1;
    }
    if (d->in_pipe > 0) {
      ssize_t n = splice(d->pipe_r, NULL, d->to, NULL, d->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d->in_pipe -= n;
        d->bytes += n;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return n < 0 && errno == EAGAIN ? wait_writable(d) : -1;
    }
    if (d->eof) {
      return_pipe(d);
      shutdown(d->to, SHUT_WR);
      d->done = 1;
      return 0;
    }
    if (borrow_pipe(d) < 0) return -1;
    ssize_t n = splice(d->from, NULL, d->pipe_w, NULL, PIPE_BYTES, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      d->in_pipe += n;
      continue;
    }
    if (n == 0) {
      d->eof = 1;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return -1;
    return_pipe(d);  // nothing to read and the pipe is empty: wait without holding it
    return 0;
  }
  return 0;
}

#define WATCH_READ (EPOLLIN | EPOLLRDHUP | EPOLLET)

static int wait_writable(struct direction *d) {
  if (d->to_watched) return 0;
  struct epoll_event ev = {.events = WATCH_READ | EPOLLOUT, .data.ptr = d->tunnel};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, d->to, &ev) < 0) return -1;
  d->to_watched = 1;
  return 0;
}

// Called with the lock held.
static void close_direction(struct direction *d) {
  return_pipe(d);
  free(d->prefix);
}

// Called with the lock held: unlinks, closes and reports a finished tunnel (freed with the graveyard).
static void finish(struct tunnel *t) {
  t->finished = 1;
  if (t->prev) t->prev->next = t->next;
  else tunnels = t->next;
  if (t->next) t->next->prev = t->prev;
  live--;
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, t->client, NULL);
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, t->upstream, NULL);
  close(t->client);
  close(t->upstream);
  close_direction(&t->up);
  close_direction(&t->down);
  struct ended *e = malloc(sizeof *e);
  if (e) {
    e->id = t->id;
    e->up = t->up.bytes;
    e->down = t->down.bytes;
    e->error = t->error;
    if (!on_end || napi_call_threadsafe_function(on_end, e, napi_tsfn_nonblocking) != napi_ok) free(e);
  }
  t->next_dead = graveyard;
  graveyard = t;
}

// Called with the lock held: moves what both directions can, and finishes the tunnel when both are done or
// one failed.
static void pump_tunnel(struct tunnel *t) {
  if (pump(&t->up) < 0 || pump(&t->down) < 0) t->error = errno ? errno : EIO;
  if (t->error || (t->up.done && t->down.done)) finish(t);
}

static void *loop(void *unused) {
  (void)unused;
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(epoll_fd, events, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return NULL;
    }
    // The lock is taken per event, not per batch, so start() on the JS thread never waits out a whole
    // batch of transfers and closes.
    for (int i = 0; i < n; i++) {
      struct tunnel *t = events[i].data.ptr;
      pthread_mutex_lock(&lock);
      if (!t->finished) pump_tunnel(t);  // else finished by an earlier event in this batch, or by start()
      pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    while (graveyard) {
      struct tunnel *dead = graveyard;
      graveyard = dead->next_dead;
      free(dead);
    }
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

static void call_on_end(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  struct ended *e = data;
  if (env && callback) {
    napi_value argv[4], undefined;
    napi_create_uint32(env, e->id, &argv[0]);
    napi_create_double(env, (double)e->up, &argv[1]);
    napi_create_double(env, (double)e->down, &argv[2]);
    napi_create_int32(env, e->error, &argv[3]);
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, callback, 4, argv, NULL);
  }
  free(e);
}

// Writes what it can of a direction's prefix without waiting (the tunnel is not registered yet).
static void write_prefix(struct direction *d) {
  while (d->prefix_off < d->prefix_len) {
    ssize_t n = write(d->to, d->prefix + d->prefix_off, d->prefix_len - d->prefix_off);
    if (n > 0) d->prefix_off += n;
    else if (!(n < 0 && errno == EINTR)) return;
  }
}

// Called with the lock held.
static int setup_direction(struct tunnel *t, struct direction *d, int from, int to, const void *prefix, size_t prefix_len) {
  memset(d, 0, sizeof *d);
  d->tunnel = t;
  d->pipe_r = d->pipe_w = -1;
  d->from = from;
  d->to = to;
  if (prefix_len > 0) {
    d->prefix = malloc(prefix_len);
    if (!d->prefix) return -1;
    memcpy(d->prefix, prefix, prefix_len);
    d->prefix_len = prefix_len;
  }
  return 0;
}

// A duplicate shares the open file description, and with it O_NONBLOCK, which libuv sets on every socket
// it opens or accepts: Node's sockets are always non-blocking, so no flag is read or set here.
static int dup_socket(int fd) {
  return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

// The environment that owned on_end is being torn down: never call it again.
static void on_end_finalized(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  pthread_mutex_lock(&lock);
  if ((uintptr_t)data == on_end_generation) on_end = NULL;  // a replaced one going away changes nothing
  pthread_mutex_unlock(&lock);
}

static napi_value listen_for_ends(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], name;
  napi_valuetype type = napi_undefined;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "listen(onEnd: function)");
    return NULL;
  }
  napi_create_string_utf8(env, "openshell-term relay", NAPI_AUTO_LENGTH, &name);
  pthread_mutex_lock(&lock);
  int failed = 0;
  if (epoll_fd < 0) {
    pthread_t thread;
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    failed = epoll_fd < 0 || pthread_create(&thread, NULL, loop, NULL) != 0;
    if (!failed) pthread_detach(thread);
  }
  if (!failed) {
    napi_threadsafe_function previous = on_end;
    on_end_generation++;
    failed = napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, (void *)on_end_generation, on_end_finalized, NULL, call_on_end, &on_end) != napi_ok;
    if (!failed) {
      napi_unref_threadsafe_function(env, on_end);  // relayed tunnels alone do not keep the process alive
      if (previous) napi_release_threadsafe_function(previous, napi_tsfn_release);
    }
  }
  pthread_mutex_unlock(&lock);
  if (failed) napi_throw_error(env, NULL, "the relay thread could not start");
  return NULL;
}

static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  int32_t client_fd, upstream_fd;
  void *to_upstream, *to_client;
  size_t to_upstream_len, to_client_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_value_int32(env, argv[0], &client_fd) != napi_ok || napi_get_value_int32(env, argv[1], &upstream_fd) != napi_ok ||
      napi_get_buffer_info(env, argv[2], &to_upstream, &to_upstream_len) != napi_ok ||
      napi_get_buffer_info(env, argv[3], &to_client, &to_client_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "start(clientFd, upstreamFd, toUpstream: Buffer, toClient: Buffer)");
    return NULL;
  }
  pthread_mutex_lock(&lock);
  if (!on_end) {
    pthread_mutex_unlock(&lock);
    napi_throw_error(env, NULL, "relay: call listen(onEnd) first");
    return NULL;
  }
  struct tunnel *t = calloc(1, sizeof *t);
  if (t) t->up.pipe_r = t->up.pipe_w = t->down.pipe_r = t->down.pipe_w = -1;  // nothing to close yet
  int client = dup_socket(client_fd), upstream = dup_socket(upstream_fd);
  int ok = t && client >= 0 && upstream >= 0 && setup_direction(t, &t->up, client, upstream, to_upstream, to_upstream_len) == 0 &&
           setup_direction(t, &t->down, upstream, client, to_client, to_client_len) == 0;
  if (ok) {
    t->id = next_id++;
    if (next_id == 0) next_id = 1;
    t->client = client;
    t->upstream = upstream;
    // The prefixes usually fit the empty socket buffers at once: written here, they need no wake-up of the
    // relay thread. A prefix left over must hear when its socket can take more.
    write_prefix(&t->up);
    write_prefix(&t->down);
    t->down.to_watched = t->down.prefix_off < t->down.prefix_len;
    t->up.to_watched = t->up.prefix_off < t->up.prefix_len;
    struct epoll_event client_ev = {.events = WATCH_READ | (t->down.to_watched ? EPOLLOUT : 0), .data.ptr = t};
    struct epoll_event upstream_ev = {.events = WATCH_READ | (t->up.to_watched ? EPOLLOUT : 0), .data.ptr = t};
    ok = epoll_ctl(epoll_fd, EPOLL_CTL_ADD, client, &client_ev) == 0 && epoll_ctl(epoll_fd, EPOLL_CTL_ADD, upstream, &upstream_ev) == 0;
    if (!ok) {
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, client, NULL);
    }
  }
  if (!ok) {
    if (client >= 0) close(client);
    if (upstream >= 0) close(upstream);
    if (t) {
      close_direction(&t->up);
      close_direction(&t->down);
      // It may have been registered for a moment: an event batch could hold it, so the loop frees it.
      t->finished = 1;
      t->next_dead = graveyard;
      graveyard = t;
    }
    pthread_mutex_unlock(&lock);
    napi_create_int32(env, -1, &result);
    return result;
  }
  t->next = tunnels;
  if (tunnels) tunnels->prev = t;
  tunnels = t;
  live++;
  // No pumping here: registering an fd that is already readable reports it at once, even edge-triggered,
  // so bytes that arrived early are moved by the relay thread.
  uint32_t id = t->id;
  pthread_mutex_unlock(&lock);
  napi_create_uint32(env, id, &result);
  return result;
}

static napi_value stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  uint32_t id = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1) napi_get_value_uint32(env, argv[0], &id);
  pthread_mutex_lock(&lock);
  struct tunnel *t = tunnels;
  while (t && t->id != id) t = t->next;
  if (t) {
    // The loop sees both ends hang up and finishes the tunnel, reporting it as usual.
    shutdown(t->client, SHUT_RDWR);
    shutdown(t->upstream, SHUT_RDWR);
  }
  pthread_mutex_unlock(&lock);
  napi_get_boolean(env, t != NULL, &result);
  return result;
}

// A counter the relay thread also changes, read under the lock.
static napi_value read_counter(napi_env env, const uint32_t *counter) {
  napi_value result;
  pthread_mutex_lock(&lock);
  napi_create_uint32(env, *counter, &result);
  pthread_mutex_unlock(&lock);
  return result;
}

static napi_value active(napi_env env, napi_callback_info info) {
  (void)info;
  return read_counter(env, &live);
}

static napi_value pipes_in_use(napi_env env, napi_callback_info info) {
  (void)info;
  return read_counter(env, &borrowed);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "listen", NAPI_AUTO_LENGTH, listen_for_ends, NULL, &fn);
  napi_set_named_property(env, exports, "listen", fn);
  napi_create_function(env, "start", NAPI_AUTO_LENGTH, start, NULL, &fn);
  napi_set_named_property(env, exports, "start", fn);
  napi_create_function(env, "stop", NAPI_AUTO_LENGTH, stop, NULL, &fn);
  napi_set_named_property(env, exports, "stop", fn);
  napi_create_function(env, "active", NAPI_AUTO_LENGTH, active, NULL, &fn);
  napi_set_named_property(env, exports, "active", fn);
  napi_create_function(env, "pipesInUse", NAPI_AUTO_LENGTH, pipes_in_use, NULL, &fn);
  napi_set_named_property(env, exports, "pipesInUse", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
