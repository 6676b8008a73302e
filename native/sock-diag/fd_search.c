// Which fd of one process holds a socket: readlinkat() on /proc/<pid>/fd/<n> until one reads
// "socket:[<inode>]". Done here rather than in JavaScript because each readlink is a few microseconds
// of kernel time, and a relative readlinkat() on an open directory skips the /proc/<pid>/fd path walk
// that a full-path readlink() repeats for every fd. A socket already met at some fd in an earlier search
// is tried there first. Then `hints` (fds likely to hold it: ones a closed
// connection of this process just freed, ones that held its recent sockets) are tried first, so a
// process that churns connections is usually answered in one or two reads. The rest of the table is then
// read from `scanFrom` up, wrapping around: a process that opens connections without closing any gets
// ascending fds, so its next socket sits just above the last one found.
//
// findHolder(pid, inode, hints Int32Array | undefined, scanFrom = 0, budget = 0); scanFrom < 0: from the top down
//   -> [fd, exe, exeDev, exeIno, userNs]  the fd holding it; the binary the process runs (/proc/<pid>/exe),
//                                         the device and inode stat() gives through that link, and the
//                                         inode of its user namespace (0 when unreadable)
//    | -1         no fd of this process holds it (or none of the first `budget` fds read, when budget > 0)
//    | -2         no such process, a kernel thread, or not ours to read
// The binary is read before the fds, so a pid that exits and is reused between the two reads cannot lend the
// new process's binary to the old one's socket: the new process would not hold that socket.
//
// The /proc/<pid> and /proc/<pid>/fd directories of the last few processes asked about stay open: every
// read is then relative to them, not a fresh path walk through /proc (which, under load, cost more than
// the reads themselves). An open /proc/<pid> belongs to that one process: once it exits, reads through it
// fail instead of reaching a newer process that reused the pid, and the entry is opened afresh.
#define _GNU_SOURCE  // O_PATH
#include "addon.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHED_PROCESSES 16
// Sockets seen on the way to another one, per process: (inode, fd) pairs, newest overwriting oldest.
#define SEEN_SOCKETS 64

struct process_dirs {
  int pid;  // 0: free
  int proc_dir, fd_dir;
  unsigned long used;
  unsigned seen_inode[SEEN_SOCKETS];  // 0: empty (no socket has inode 0)
  int seen_fd[SEEN_SOCKETS];
  unsigned seen_next;
};

// Whether fd `name` of p holds `link`. A socket read on the way is remembered: a process that opens
// several connections at once is asked about each in turn, and a scan for the first meets the others.
static int holds(struct process_dirs *p, int dir, const char *name, const char *link, size_t link_len) {
  char target[64];
  ssize_t n = readlinkat(dir, name, target, sizeof target - 1);
  if (n == (ssize_t)link_len && memcmp(target, link, link_len) == 0) return 1;
  if (n > 9 && memcmp(target, "socket:[", 8) == 0) {
    target[n] = 0;
    unsigned inode = (unsigned)strtoul(target + 8, NULL, 10);
    unsigned slot = p->seen_next++ % SEEN_SOCKETS;
    p->seen_inode[slot] = inode;
    p->seen_fd[slot] = atoi(name);
  }
  return 0;
}

// The fd a socket was last seen at in this process, or -1. Only a hint: it is read again before use.
static int seen_at(const struct process_dirs *p, unsigned inode) {
  for (int i = 0; i < SEEN_SOCKETS; i++)
    if (p->seen_inode[i] == inode) return p->seen_fd[i];
  return -1;
}

static struct process_dirs cache[CACHED_PROCESSES];
static unsigned long clock_ticks;

static void forget(struct process_dirs *p) {
  close(p->proc_dir);
  close(p->fd_dir);
  p->pid = 0;
}

// The open directories of `pid`; `fresh` says whether they were opened just now. NULL when it is gone.
static struct process_dirs *dirs_of(int pid, int *fresh) {
  struct process_dirs *slot = &cache[0];
  for (int i = 0; i < CACHED_PROCESSES; i++) {
    if (cache[i].pid == pid) {
      cache[i].used = ++clock_ticks;
      *fresh = 0;
      return &cache[i];
    }
    if (cache[i].pid == 0 || (slot->pid != 0 && cache[i].used < slot->used)) slot = &cache[i];
  }
  if (slot->pid != 0) forget(slot);
  char path[32];
  snprintf(path, sizeof path, "/proc/%d", pid);
  int proc_dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc_dir < 0) return NULL;
  int fd_dir = openat(proc_dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_dir < 0) {
    close(proc_dir);
    return NULL;
  }
  *slot = (struct process_dirs){.pid = pid, .proc_dir = proc_dir, .fd_dir = fd_dir, .used = ++clock_ticks};
  *fresh = 1;
  return slot;
}

static int descending(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x < y) - (x > y);
}

static int hinted(int fd, const int32_t *hints, size_t hint_count) {
  for (size_t i = 0; i < hint_count; i++)
    if (hints[i] == fd) return 1;
  return 0;
}

// `budget`: how many fds to read at most (0: all); -1 when it runs out first.
static int find_fd(struct process_dirs *p, unsigned inode, const int32_t *hints, size_t hint_count, int scan_from, int budget) {
  char link[32], name[16];
  int link_len = snprintf(link, sizeof link, "socket:[%u]", inode);
  int reads = 0;
#define SPEND() (budget > 0 && reads++ >= budget)
  int seen = seen_at(p, inode);
  if (seen >= 0) {
    snprintf(name, sizeof name, "%d", seen);
    if (holds(p, p->fd_dir, name, link, link_len)) return seen;
  }
  for (size_t i = 0; i < hint_count; i++) {
    if (SPEND()) return -1;
    if (hints[i] < 0 || hints[i] == seen) continue;
    snprintf(name, sizeof name, "%d", hints[i]);
    if (holds(p, p->fd_dir, name, link, link_len)) return hints[i];
  }
  // A listing needs its own open directory (fdopendir takes it over; closedir closes it).
  int dir = openat(p->proc_dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -2;
  DIR *listing = fdopendir(dir);
  if (!listing) {
    close(dir);
    return -2;
  }
  // scan_from < 0: a process not seen before, whose new socket most likely took the highest fd (one that
  // does not close much) - read the whole listing from the top down.
  if (scan_from < 0) {
    int found = -1, *all = NULL;
    size_t count = 0, room = 0;
    for (struct dirent *entry; (entry = readdir(listing));) {
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      int fd = atoi(entry->d_name);
      if (hinted(fd, hints, hint_count)) continue;
      if (count == room) {
        room = room ? room * 2 : 64;
        int *grown = realloc(all, room * sizeof *all);
        if (!grown) break;
        all = grown;
      }
      all[count++] = fd;
    }
    qsort(all, count, sizeof *all, descending);
    for (size_t i = 0; found < 0 && i < count; i++) {
      if (SPEND()) break;
      snprintf(name, sizeof name, "%d", all[i]);
      if (holds(p, dir, name, link, link_len)) found = all[i];
    }
    free(all);
    closedir(listing);
    return found;
  }
  // Fds below scan_from are only listed on the first pass, and read if the upper ones all miss.
  int found = -1;
  size_t lower_count = 0, lower_room = 0;
  int *lower = NULL;
  bool spent = false;
  for (struct dirent *entry; found < 0 && !spent && (entry = readdir(listing));) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    int fd = atoi(entry->d_name);
    if (hinted(fd, hints, hint_count)) continue;
    if (fd >= scan_from) {
      if ((spent = SPEND())) break;
      if (holds(p, dir, entry->d_name, link, link_len)) found = fd;
      continue;
    }
    if (lower_count == lower_room) {
      lower_room = lower_room ? lower_room * 2 : 64;
      int *grown = realloc(lower, lower_room * sizeof *lower);
      if (!grown) break;  // out of memory: the caller moves on to other processes
      lower = grown;
    }
    lower[lower_count++] = fd;
  }
  for (size_t i = 0; found < 0 && !spent && i < lower_count; i++) {
    if ((spent = SPEND())) break;
    snprintf(name, sizeof name, "%d", lower[i]);
    if (holds(p, dir, name, link, link_len)) found = lower[i];
  }
#undef SPEND
  free(lower);
  closedir(listing);
  return found;
}

struct search {
  int32_t pid;
  uint32_t inode;
  const int32_t *hints;
  size_t hint_count;
  int32_t scan_from;
  int32_t budget;
};

// Reads (pid, inode, hints?) into `out`; false (with a JavaScript TypeError pending) when they are wrong.
static bool read_arguments(napi_env env, napi_callback_info info, const char *usage, struct search *out) {
  size_t argc = 5;
  napi_value argv[5];
  out->hints = NULL;
  out->hint_count = 0;
  out->scan_from = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &out->pid) != napi_ok || napi_get_value_uint32(env, argv[1], &out->inode) != napi_ok || out->pid <= 0) {
    napi_throw_type_error(env, NULL, usage);
    return false;
  }
  bool is_typed = false;
  if (argc >= 3 && napi_is_typedarray(env, argv[2], &is_typed) == napi_ok && is_typed) {
    napi_typedarray_type type;
    void *data;
    if (napi_get_typedarray_info(env, argv[2], &type, &out->hint_count, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
      napi_throw_type_error(env, NULL, usage);
      return false;
    }
    out->hints = data;
  }
  if (argc >= 4) napi_get_value_int32(env, argv[3], &out->scan_from);  // not a number: scan from 0
  out->budget = 0;
  if (argc >= 5) napi_get_value_int32(env, argv[4], &out->budget);  // not a number: no limit
  return true;
}

napi_value fd_search_find_holder(napi_env env, napi_callback_info info) {
  struct search s;
  if (!read_arguments(env, info, "findHolder(pid, inode, hints?: Int32Array, scanFrom?: number, budget?: number)", &s)) return NULL;
  char exe[4096];
  napi_value result;
  int fresh = 0;
  struct process_dirs *p = dirs_of(s.pid, &fresh);
  ssize_t exe_len = p ? readlinkat(p->proc_dir, "exe", exe, sizeof exe) : -1;
  if (p && exe_len <= 0 && !fresh) {  // the cached process is gone: the pid may be a newer one's now
    forget(p);
    p = dirs_of(s.pid, &fresh);
    exe_len = p ? readlinkat(p->proc_dir, "exe", exe, sizeof exe) : -1;
  }
  if (exe_len <= 0 || exe_len == (ssize_t)sizeof exe) {  // gone, a kernel thread, or not ours to read
    if (p) forget(p);
    napi_create_int32(env, -2, &result);
    return result;
  }
  struct stat file;
  if (fstatat(p->proc_dir, "exe", &file, 0) != 0) {  // exited since, or its binary is closed to us
    forget(p);
    napi_create_int32(env, -2, &result);
    return result;
  }
  char ns[64];
  ssize_t ns_len = readlinkat(p->proc_dir, "ns/user", ns, sizeof ns - 1);
  double user_ns = 0;
  if (ns_len > 6 && memcmp(ns, "user:[", 6) == 0) {
    ns[ns_len] = 0;
    user_ns = (double)strtoull(ns + 6, NULL, 10);
  }
  int fd = find_fd(p, s.inode, s.hints, s.hint_count, s.scan_from, s.budget);
  if (fd < 0) {
    napi_create_int32(env, fd, &result);
    return result;
  }
  napi_value v;
  napi_create_array_with_length(env, 5, &result);
  napi_create_int32(env, fd, &v);
  napi_set_element(env, result, 0, v);
  napi_create_string_utf8(env, exe, exe_len, &v);
  napi_set_element(env, result, 1, v);
  // Device and inode numbers fit a double exactly for every filesystem Linux has (below 2^53).
  napi_create_double(env, (double)file.st_dev, &v);
  napi_set_element(env, result, 2, v);
  napi_create_double(env, (double)file.st_ino, &v);
  napi_set_element(env, result, 3, v);
  napi_create_double(env, user_ns, &v);
  napi_set_element(env, result, 4, v);
  return result;
}
