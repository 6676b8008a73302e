// Every process holding one of a set of sockets, on a worker thread: Linux keeps no list of a socket's
// holders, so each process's fd table is read (one readlinkat per fd, "socket:[<inode>]" for sockets).
// Every holder counts, not the first: a socket inherited across fork or passed with SCM_RIGHTS is held
// by several processes, and the caller must judge them all.
//
// scanHolders(inodes: Uint32Array, skipPid) -> Promise<[holders, unreadable]>
//   holders    [inode, pid, fd, exe, exeDev, exeIno, userNs][]: exe is /proc/<pid>/exe's target ("" when
//              it cannot be read), exeDev/exeIno what stat() of /proc/<pid>/exe gives (the file the kernel
//              runs, whatever path names it), userNs the inode of its user namespace (0 when unreadable)
//   unreadable how many processes' fd tables could not be read (another user's, without root)
//
// Threads: /proc/<pid>/fd is the fd table of the thread-group leader. A thread can have a table of its own
// (clone without CLONE_FILES, or unshare(CLONE_FILES)), and a leader that called pthread_exit has none, so
// a multi-threaded process has each thread whose table differs from those already read (kcmp) read too.
//
// A process's fd table is read through an open directory (/proc/<pid>/fd), which belongs to that process: if
// it exits, reads fail instead of reaching a newer process that reused the pid. Where a holder is found, the
// binary is read through the process's /proc/<pid> directory and each fd read again through it, so the binary
// named is that of a process holding the socket.
#define _GNU_SOURCE
#include "addon.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct holder {
  uint32_t inode;
  int pid, fd;
  int tid;  // the thread whose own table holds it; 0: the process's (its leader's) table
  char exe[4096];
  uint64_t exe_dev, exe_ino, user_ns;
};

struct scan {
  napi_async_work work;
  napi_deferred deferred;
  uint32_t *inodes;  // sorted
  size_t inode_count;
  int skip_pid;
  struct holder *holders;
  size_t holder_count, holder_room;
  int unreadable;
  int failed;  // errno of a failure that makes the whole answer unusable (out of memory, /proc unreadable)
};

static int compare_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static bool wanted(const struct scan *s, uint32_t inode) {
  return bsearch(&inode, s->inodes, s->inode_count, sizeof *s->inodes, compare_u32) != NULL;
}

static bool add_holder(struct scan *s, uint32_t inode, int pid, int tid, int fd) {
  for (size_t i = 0; i < s->holder_count; i++)  // the same socket at the same fd of a thread's table
    if (s->holders[i].pid == pid && s->holders[i].inode == inode && s->holders[i].fd == fd) return true;
  if (s->holder_count == s->holder_room) {
    size_t room = s->holder_room ? s->holder_room * 2 : 8;
    struct holder *grown = realloc(s->holders, room * sizeof *grown);
    if (!grown) return false;
    s->holders = grown;
    s->holder_room = room;
  }
  s->holders[s->holder_count++] = (struct holder){.inode = inode, .pid = pid, .tid = tid, .fd = fd};
  return true;
}

// Reads one fd table (a directory of fd symlinks); false on out of memory. *opened says whether it could be
// read (errno says why not). Access to a process's fd links is all or nothing (ptrace rights over it), so
// the first link refused ends the read.
static bool read_table(struct scan *s, int dir_fd, const char *path, int pid, int tid, bool *opened) {
  int table = openat(dir_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *opened = table >= 0;
  if (table < 0) return true;
  char entries[8192];
  bool ok = true;
  for (;;) {
    long n = syscall(SYS_getdents64, table, entries, sizeof entries);
    if (n <= 0) break;
    for (long at = 0; at < n && ok;) {
      struct dirent64 *entry = (struct dirent64 *)(entries + at);
      at += entry->d_reclen;
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      char target[64];
      ssize_t length = readlinkat(table, entry->d_name, target, sizeof target - 1);
      if (length < 0 && (errno == EACCES || errno == EPERM)) {  // the listing was allowed, its links are not
        *opened = false;
        errno = EACCES;
        goto closed;
      }
      if (length <= 9 || memcmp(target, "socket:[", 8) != 0) continue;
      target[length] = 0;
      uint32_t inode = (uint32_t)strtoul(target + 8, NULL, 10);
      if (wanted(s, inode)) ok = add_holder(s, inode, pid, tid, atoi(entry->d_name));
    }
  }
closed:
  close(table);
  return ok;
}

// The tables of a multi-threaded process's threads that are not the leader's (nor one already read).
static bool read_thread_tables(struct scan *s, int proc, int pid) {
  char task_path[32];
  snprintf(task_path, sizeof task_path, "%d/task", pid);
  int tasks = openat(proc, task_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (tasks < 0) return true;
  int read_tids[16] = {pid};
  int read_count = 1;
  bool comparable = true;
  char entries[8192];
  bool ok = true;
  for (;;) {
    long n = syscall(SYS_getdents64, tasks, entries, sizeof entries);
    if (n <= 0) break;
    for (long at = 0; at < n && ok;) {
      struct dirent64 *entry = (struct dirent64 *)(entries + at);
      at += entry->d_reclen;
      int tid = atoi(entry->d_name);
      if (tid <= 0 || tid == pid) continue;
      bool shared = false, gone = false;
      for (int i = 0; i < read_count && comparable && !shared && !gone; i++) {
        long order = syscall(SYS_kcmp, read_tids[i], tid, KCMP_FILES, 0, 0);
        shared = order == 0;
        if (order >= 0) continue;
        // Refused: the process holds privileges the core lacks (kcmp needs ptrace-read rights over it), which
        // no agent has; its other threads' tables are left alone. Gone: nothing to read. Anything else
        // (no kcmp in this kernel): every remaining table is read, shared or not.
        if (errno == EPERM) goto done;
        if (errno == ESRCH) gone = true;
        else comparable = false;
      }
      if (shared || gone) continue;
      char path[32];
      snprintf(path, sizeof path, "%d/fd", tid);
      bool opened;
      ok = read_table(s, tasks, path, pid, tid, &opened);
      if (opened && comparable && read_count < 16) read_tids[read_count++] = tid;
    }
  }
done:
  close(tasks);
  return ok;
}

// The binary of a process found holding a socket, read through its /proc directory.
static void read_binary(int proc_dir, struct holder *h) {
  ssize_t length = readlinkat(proc_dir, "exe", h->exe, sizeof h->exe - 1);
  h->exe[length > 0 ? length : 0] = 0;
  struct stat st;
  if (fstatat(proc_dir, "exe", &st, 0) == 0) {
    h->exe_dev = st.st_dev;
    h->exe_ino = st.st_ino;
  } else {
    h->exe[0] = 0;  // no file to compare with: the caller cannot prove what it runs
  }
  char ns[64];
  ssize_t n = readlinkat(proc_dir, "ns/user", ns, sizeof ns - 1);
  if (n > 6 && memcmp(ns, "user:[", 6) == 0) {
    ns[n] = 0;
    h->user_ns = strtoull(ns + 6, NULL, 10);
  }
}

// The holders found in process `pid` (from index `from` on) get its binary, read through its own /proc
// directory: a directory that belongs to one process, so that if the pid has been reused since its fds were
// read, each fd is read again through it and only those still holding the socket are kept.
static void confirm_holders(struct scan *s, int proc, const char *name, size_t from) {
  int proc_dir = openat(proc, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct holder binary = {0};
  if (proc_dir >= 0) read_binary(proc_dir, &binary);
  size_t kept = from;
  for (size_t i = from; i < s->holder_count && proc_dir >= 0; i++) {
    struct holder h = s->holders[i];
    char link[48], target[64], expected[32];
    if (h.tid)
      snprintf(link, sizeof link, "task/%d/fd/%d", h.tid, h.fd);
    else
      snprintf(link, sizeof link, "fd/%d", h.fd);
    int expected_length = snprintf(expected, sizeof expected, "socket:[%u]", h.inode);
    ssize_t length = readlinkat(proc_dir, link, target, sizeof target);
    if (length != expected_length || memcmp(target, expected, length) != 0) continue;  // exited, or closed it since
    memcpy(h.exe, binary.exe, sizeof h.exe);
    h.exe_dev = binary.exe_dev;
    h.exe_ino = binary.exe_ino;
    h.user_ns = binary.user_ns;
    s->holders[kept++] = h;
  }
  s->holder_count = kept;
  if (proc_dir >= 0) close(proc_dir);
}

static void scan_process(struct scan *s, int proc, const char *name) {
  int pid = atoi(name);
  if (pid <= 0 || pid == s->skip_pid) return;
  size_t before = s->holder_count;
  char path[32];
  snprintf(path, sizeof path, "%d/fd", pid);
  bool opened;
  bool ok = read_table(s, proc, path, pid, 0, &opened);
  if (!opened) {
    if (errno != ENOENT) s->unreadable++;  // ENOENT: it exited
    return;
  }
  struct stat tasks;
  // st_nlink of /proc/<pid>/task is 2 + the number of threads.
  snprintf(path, sizeof path, "%d/task", pid);
  if (ok && fstatat(proc, path, &tasks, 0) == 0 && tasks.st_nlink > 3) ok = read_thread_tables(s, proc, pid);
  if (!ok) s->failed = ENOMEM;
  if (s->holder_count > before) confirm_holders(s, proc, name, before);
}

static void execute(napi_env env, void *data) {
  (void)env;
  struct scan *s = data;
  int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) {
    s->failed = errno;
    return;
  }
  char entries[16384];
  for (;;) {
    long n = syscall(SYS_getdents64, proc, entries, sizeof entries);
    if (n <= 0) break;
    for (long at = 0; at < n && !s->failed;) {
      struct dirent64 *entry = (struct dirent64 *)(entries + at);
      at += entry->d_reclen;
      if (entry->d_name[0] >= '1' && entry->d_name[0] <= '9') scan_process(s, proc, entry->d_name);
    }
  }
  close(proc);
}

static napi_value number(napi_env env, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  return v;
}

static void complete(napi_env env, napi_status status, void *data) {
  struct scan *s = data;
  if (status != napi_ok || s->failed) {
    napi_value message, error;
    napi_create_string_utf8(env, s->failed ? strerror(s->failed) : "holder scan cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, s->deferred, error);
  } else {
    napi_value holders, result, row, exe;
    napi_create_array_with_length(env, s->holder_count, &holders);
    for (size_t i = 0; i < s->holder_count; i++) {
      struct holder *h = &s->holders[i];
      napi_create_array_with_length(env, 7, &row);
      napi_set_element(env, row, 0, number(env, h->inode));
      napi_set_element(env, row, 1, number(env, h->pid));
      napi_set_element(env, row, 2, number(env, h->fd));
      napi_create_string_utf8(env, h->exe, NAPI_AUTO_LENGTH, &exe);
      napi_set_element(env, row, 3, exe);
      // Device and inode numbers fit a double exactly for every filesystem Linux has (below 2^53).
      napi_set_element(env, row, 4, number(env, (double)h->exe_dev));
      napi_set_element(env, row, 5, number(env, (double)h->exe_ino));
      napi_set_element(env, row, 6, number(env, (double)h->user_ns));
      napi_set_element(env, holders, i, row);
    }
    napi_create_array_with_length(env, 2, &result);
    napi_set_element(env, result, 0, holders);
    napi_set_element(env, result, 1, number(env, s->unreadable));
    napi_resolve_deferred(env, s->deferred, result);
  }
  napi_delete_async_work(env, s->work);
  free(s->inodes);
  free(s->holders);
  free(s);
}

napi_value holders_scan(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_typedarray_type type;
  size_t count = 0;
  void *data = NULL;
  bool is_typed = false;
  int32_t skip_pid = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_is_typedarray(env, argv[0], &is_typed) != napi_ok ||
      !is_typed || napi_get_typedarray_info(env, argv[0], &type, &count, &data, NULL, NULL) != napi_ok || type != napi_uint32_array ||
      napi_get_value_int32(env, argv[1], &skip_pid) != napi_ok) {
    napi_throw_type_error(env, NULL, "scanHolders(inodes: Uint32Array, skipPid: number)");
    return NULL;
  }
  struct scan *s = calloc(1, sizeof *s);
  if (!s || !(s->inodes = malloc((count ? count : 1) * sizeof *s->inodes))) {
    free(s);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  memcpy(s->inodes, data, count * sizeof *s->inodes);
  qsort(s->inodes, count, sizeof *s->inodes, compare_u32);
  s->inode_count = count;
  s->skip_pid = skip_pid;
  napi_value promise, name;
  napi_create_promise(env, &s->deferred, &promise);
  napi_create_string_utf8(env, "openshell-term:scanHolders", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, s, &s->work);
  napi_queue_async_work(env, s->work);
  return promise;
}
