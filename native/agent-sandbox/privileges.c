// Who the agent runs as: its network namespace (joined while still root), its uid and groups, and no
// capabilities at all — bounding and ambient sets cleared and uid 0 unable to regain any on exec — so it
// cannot leave the namespace (setns), open raw sockets, load modules, or bypass Landlock's neighbours.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

void join_netns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path, errno);
  if (setns(fd, CLONE_NEWNET) != 0) die("setns", errno);
  close(fd);
}

static int last_cap(void) {
  int last = CAP_LAST_CAP;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  if (f) {
    if (fscanf(f, "%d", &last) != 1) last = CAP_LAST_CAP;
    fclose(f);
  }
  return last;
}

static void resolve_user(const char *name, uid_t *uid, gid_t *gid) {
  struct passwd *pw = getpwnam(name);
  if (!pw) {
    char *end;
    errno = 0;
    unsigned long n = strtoul(name, &end, 10);
    if (*name == '\0' || *end != '\0' || errno != 0 || n > 0x7fffffffUL) die("no such user", ENOENT);
    pw = getpwuid((uid_t)n);
    *uid = (uid_t)n;
    *gid = pw ? pw->pw_gid : (gid_t)n;
    return;
  }
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
}

void drop_privileges(const struct options *o) {
  bool root = geteuid() == 0;
  uid_t uid = 0;
  gid_t gid = 0;
  if (o->user) resolve_user(o->user, &uid, &gid);
  if (o->user && !root) die("--user needs root", EPERM);
  if (root && (o->drop_caps || o->user)) {
    // uid 0 gains no capabilities on exec, the uid change below clears them, and neither can be undone.
    unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                         SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) die("PR_SET_SECUREBITS", errno);
    for (int cap = 0; cap <= last_cap(); cap++)
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) die("PR_CAPBSET_DROP", errno);
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) die("PR_CAP_AMBIENT_CLEAR_ALL", errno);
  if (o->user) {
    // No supplementary groups: root's (or the operator's) would follow the agent otherwise.
    if (setgroups(0, NULL) != 0) die("setgroups", errno);
    if (setresgid(gid, gid, gid) != 0) die("setresgid", errno);
    if (setresuid(uid, uid, uid) != 0) die("setresuid", errno);
  }
  if (o->drop_caps || o->user) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) != 0) die("capset", errno);
  }
}

// The capability sets as the kernel reports them, after everything was applied: what `run` prints is
// what holds, not what was asked for.
void read_capabilities(struct report *r) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return;
  char line[256];
  struct {
    const char *key;
    char *dst;
  } fields[] = {{"CapInh:", r->cap_inh}, {"CapPrm:", r->cap_prm}, {"CapEff:", r->cap_eff}, {"CapBnd:", r->cap_bnd}, {"CapAmb:", r->cap_amb}};
  while (fgets(line, sizeof line, f)) {
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
      size_t n = strlen(fields[i].key);
      if (strncmp(line, fields[i].key, n) != 0) continue;
      const char *v = line + n;
      while (*v == ' ' || *v == '\t') v++;
      size_t len = strcspn(v, "\n");
      if (len > 23) len = 23;
      memcpy(fields[i].dst, v, len);
      fields[i].dst[len] = '\0';
    }
  }
  fclose(f);
}
