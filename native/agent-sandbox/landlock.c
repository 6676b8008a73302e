// Landlock rules for the agent: the whole filesystem except the hidden paths (the core's state dir and
// whatever else `run` names), read-only paths (openshell-term's own files), TCP connect only to the
// proxy's port, and no signals or abstract UNIX sockets outside the sandbox. Landlock only ever grants,
// so hiding one directory means granting everything around it: every entry of every ancestor of a hidden
// or read-only path gets its rights, except the one that leads there (walked into) and a hidden path
// itself (skipped). The ancestors keep only READ_DIR, which Landlock applies to everything beneath them:
// names inside a hidden directory stay listable, their contents do not. Written against the kernel UAPI, not <linux/landlock.h>: distribution
// headers lag the kernel (Debian 12's stop at ABI 2) and the ABI is probed at run time anyway.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

struct ruleset_attr {
  uint64_t handled_access_fs;  // ABI 1
  uint64_t handled_access_net; // ABI 4
  uint64_t scoped;             // ABI 6
};
struct path_beneath_attr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));
struct net_port_attr {
  uint64_t allowed_access;
  uint64_t port;
};

enum { RULE_PATH_BENEATH = 1, RULE_NET_PORT = 2 };
#define CREATE_RULESET_VERSION (1U << 0)

#define FS_EXECUTE (1ULL << 0)
#define FS_WRITE_FILE (1ULL << 1)
#define FS_READ_FILE (1ULL << 2)
#define FS_READ_DIR (1ULL << 3)
#define FS_MAKE_CHAR (1ULL << 6)
#define FS_MAKE_BLOCK (1ULL << 11)
#define FS_ABI1 ((1ULL << 13) - 1) // execute … make_sym
#define FS_REFER (1ULL << 13)      // ABI 2
#define FS_TRUNCATE (1ULL << 14)   // ABI 3
#define FS_IOCTL_DEV (1ULL << 15)  // ABI 5
#define FS_FILE_RIGHTS (FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV)
// Everything but making device nodes: a device node made elsewhere would reach what /dev keeps out.
#define FS_FULL (~(FS_MAKE_CHAR | FS_MAKE_BLOCK))
#define FS_READ_ONLY (FS_READ_FILE | FS_READ_DIR)
#define FS_READ_EXECUTE (FS_READ_FILE | FS_READ_DIR | FS_EXECUTE)
#define NET_CONNECT_TCP (1ULL << 1)           // ABI 4
#define SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) // ABI 6
#define SCOPE_SIGNAL (1ULL << 1)               // ABI 6

// What an agent needs from /dev; the rest (disks, /dev/mem, kmsg, kvm, fuse, net/tun …) stays out, so a
// root agent cannot read the state dir off the block device underneath it.
static const char *const DEV_ALLOWED[] = {"null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm", "mqueue", NULL};

static int ruleset = -1;
static uint64_t handled_fs;
static struct report *out;
static char *hidden[MAX_LIST];
static size_t hidden_count;
static char *read_only[MAX_LIST];
static size_t read_only_count;

int landlock_kernel_abi(void) {
  long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : (int)abi;
}

static bool is_hidden(const char *path) {
  for (size_t i = 0; i < hidden_count; i++)
    if (strcmp(path, hidden[i]) == 0) return true;
  return false;
}

static bool is_read_only(const char *path) {
  for (size_t i = 0; i < read_only_count; i++)
    if (strcmp(path, read_only[i]) == 0) return true;
  return false;
}

static bool leads_to(const char *path, const char *target) {
  size_t n = strlen(path);
  if (n == 1 && path[0] == '/') return true;
  return strlen(target) > n && strncmp(target, path, n) == 0 && target[n] == '/';
}

// A strict ancestor of some hidden or read-only path ("/" is one of every path).
static bool is_ancestor(const char *path) {
  for (size_t i = 0; i < hidden_count; i++)
    if (leads_to(path, hidden[i])) return true;
  for (size_t i = 0; i < read_only_count; i++)
    if (leads_to(path, read_only[i])) return true;
  return false;
}

// One rule for `path` (never following a symlink: its target is covered, or hidden, by its own rule).
static void grant(const char *path, uint64_t access) {
  int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return; // gone, or closed to us: the agent simply gets nothing there
  struct stat st;
  if (fstat(fd, &st) == 0 && !S_ISLNK(st.st_mode)) {
    if (!S_ISDIR(st.st_mode)) access &= FS_FILE_RIGHTS;
    struct path_beneath_attr rule = {.allowed_access = access & handled_fs, .parent_fd = fd};
    if (rule.allowed_access != 0) {
      if (syscall(__NR_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &rule, 0) != 0) die(path, errno);
      out->fs_rules++;
    }
  }
  close(fd);
}

static void join_path(char *dst, const char *dir, const char *name) {
  int n = snprintf(dst, PATH_MAX, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
  if (n < 0 || n >= PATH_MAX) die("path too long", ENAMETOOLONG);
}

static void grant_dev(void) {
  grant("/dev", FS_READ_DIR);
  char path[PATH_MAX];
  for (const char *const *name = DEV_ALLOWED; *name; name++) {
    join_path(path, "/dev", *name);
    if (!is_hidden(path)) grant(path, FS_FULL);
  }
}

// Grants everything in `dir` (an ancestor of a hidden or read-only path) but the way there: `rights` for
// its entries (everything, or read-and-execute beneath a read-only path).
static void walk(const char *dir, uint64_t rights) {
  grant(dir, FS_READ_DIR);
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char child[PATH_MAX];
    join_path(child, dir, e->d_name);
    if (is_hidden(child)) continue;
    uint64_t own = is_read_only(child) ? FS_READ_EXECUTE : rights;
    if (is_ancestor(child)) walk(child, own);
    // Kernel knobs are read-only (a root agent writing /proc/sys/kernel/core_pattern runs code outside).
    else if (strcmp(child, "/proc") == 0 || strcmp(child, "/sys") == 0) grant(child, FS_READ_ONLY);
    else if (strcmp(child, "/dev") == 0) grant_dev();
    else grant(child, own);
  }
  closedir(d);
}

static void resolve_all(const char *const *in, size_t count, char **out, const char *what) {
  for (size_t i = 0; i < count; i++) {
    out[i] = realpath(in[i], NULL);
    if (!out[i]) die(in[i], errno);
    if (strcmp(out[i], "/") == 0) die(what, EINVAL);
  }
}

int landlock_prepare(const struct options *o, struct report *r) {
  out = r;
  r->kernel_abi = landlock_kernel_abi();
  r->abi = o->abi_max >= 0 && o->abi_max < r->kernel_abi ? o->abi_max : r->kernel_abi;
  if (r->abi <= 0) return -1;
  resolve_all(o->hide, o->hide_count, hidden, "cannot hide /");
  hidden_count = o->hide_count;
  resolve_all(o->read_only, o->read_only_count, read_only, "cannot make / read-only");
  read_only_count = o->read_only_count;

  handled_fs = FS_ABI1 | (r->abi >= 2 ? FS_REFER : 0) | (r->abi >= 3 ? FS_TRUNCATE : 0) | (r->abi >= 5 ? FS_IOCTL_DEV : 0);
  struct ruleset_attr attr = {
      .handled_access_fs = handled_fs,
      .handled_access_net = r->abi >= 4 ? NET_CONNECT_TCP : 0,
      .scoped = r->abi >= 6 ? SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL : 0,
  };
  // An older ABI is asked for with the struct as that ABI knew it.
  size_t size = r->abi >= 6 ? sizeof attr : r->abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
  ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0) die("landlock_create_ruleset", errno);

  walk("/", FS_FULL);
  r->fs = true;
  if (r->abi >= 4) {
    for (size_t i = 0; i < o->connect_port_count; i++) {
      struct net_port_attr rule = {.allowed_access = NET_CONNECT_TCP, .port = o->connect_ports[i]};
      if (syscall(__NR_landlock_add_rule, ruleset, RULE_NET_PORT, &rule, 0) != 0) die("landlock_add_rule (port)", errno);
    }
    r->tcp = true;
  }
  r->scope_signal = r->scope_abstract_unix = r->abi >= 6;
  return ruleset;
}

void landlock_enforce(int fd) {
  if (syscall(__NR_landlock_restrict_self, fd, 0) != 0) die("landlock_restrict_self", errno);
  close(fd);
}
