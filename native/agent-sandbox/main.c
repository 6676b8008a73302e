// agent-sandbox: what `openshell-term run` starts instead of the agent. It restricts itself, reports what
// the kernel enforced, then execs the agent, which inherits every restriction and cannot shed any:
//
//   agent-sandbox [--hide PATH]... [--read-only PATH]... [--connect-port PORT]... [--abi-max N] [--user NAME] [--drop-caps]
//                 [--netns FILE] [--allow-unix-sockets] [--status-fd N] [--go-fd N] -- CMD [ARGS...]
//   agent-sandbox --probe [--abi-max N]        # {"kernel_abi":7,"abi":7}
//
// Order matters: join the network namespace and open every Landlock rule's file while still privileged;
// then drop uid, groups and capabilities; then no_new_privs (nothing exec'd later can gain privileges,
// and unprivileged Landlock and seccomp require it); then seccomp and Landlock; then report, wait for
// `run`'s go (it registers this pid with the core first), close every other fd and exec. The pid stays
// the same through exec, so the pid `run` registers is the agent's own.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif

static struct options opts = {.abi_max = -1, .status_fd = -1, .go_fd = -1};

static void write_all(int fd, const char *text) {
  size_t left = strlen(text);
  while (left > 0) {
    ssize_t n = write(fd, text, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text += n;
    left -= (size_t)n;
  }
}

// JSON string body: quotes, backslashes and control bytes escaped.
static void json_escape(char *dst, size_t cap, const char *src) {
  size_t o = 0;
  for (; *src && o + 7 < cap; src++) {
    unsigned char c = (unsigned char)*src;
    if (c == '"' || c == '\\') {
      dst[o++] = '\\';
      dst[o++] = (char)c;
    } else if (c < 0x20) {
      o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", c);
    } else {
      dst[o++] = (char)c;
    }
  }
  dst[o] = '\0';
}

_Noreturn void die(const char *step, int err) {
  char msg[1024], escaped[2048], line[2200];
  snprintf(msg, sizeof msg, "%s: %s", step, strerror(err));
  if (opts.status_fd >= 0) {
    json_escape(escaped, sizeof escaped, msg);
    snprintf(line, sizeof line, "{\"error\":\"%s\"}\n", escaped);
    write_all(opts.status_fd, line);
  } else {
    fprintf(stderr, "agent-sandbox: %s\n", msg);
  }
  _exit(126);
}

static _Noreturn void usage(const char *why) {
  fprintf(stderr, "agent-sandbox: %s\nusage: agent-sandbox [--hide PATH]... [--read-only PATH]... [--connect-port PORT]... [--abi-max N] [--user NAME] "
                  "[--drop-caps] [--netns FILE] [--allow-unix-sockets] [--status-fd N] [--go-fd N] -- CMD [ARGS...]\n"
                  "       agent-sandbox --probe [--abi-max N]\n",
          why);
  exit(2);
}

static long number(const char *text, long min, long max, const char *flag) {
  char *end;
  errno = 0;
  long n = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || errno != 0 || n < min || n > max) usage(flag);
  return n;
}

static void parse(int argc, char **argv) {
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    } else if (strcmp(a, "--probe") == 0) {
      opts.probe = true;
    } else if (strcmp(a, "--drop-caps") == 0) {
      opts.drop_caps = true;
    } else if (strcmp(a, "--allow-unix-sockets") == 0) {
      opts.allow_unix_sockets = true;
    } else if (!v) {
      usage("a flag without its value");
    } else if (strcmp(a, "--hide") == 0) {
      if (opts.hide_count == MAX_LIST) usage("too many --hide");
      if (v[0] != '/') usage("--hide needs an absolute path");
      opts.hide[opts.hide_count++] = v;
      i++;
    } else if (strcmp(a, "--read-only") == 0) {
      if (opts.read_only_count == MAX_LIST) usage("too many --read-only");
      if (v[0] != '/') usage("--read-only needs an absolute path");
      opts.read_only[opts.read_only_count++] = v;
      i++;
    } else if (strcmp(a, "--connect-port") == 0) {
      if (opts.connect_port_count == MAX_LIST) usage("too many --connect-port");
      opts.connect_ports[opts.connect_port_count++] = (uint16_t)number(v, 1, 65535, "--connect-port expects 1-65535");
      i++;
    } else if (strcmp(a, "--abi-max") == 0) {
      opts.abi_max = (int)number(v, 0, 1000, "--abi-max expects a number");
      i++;
    } else if (strcmp(a, "--user") == 0) {
      opts.user = v;
      i++;
    } else if (strcmp(a, "--netns") == 0) {
      opts.netns = v;
      i++;
    } else if (strcmp(a, "--status-fd") == 0) {
      opts.status_fd = (int)number(v, 0, 1 << 20, "--status-fd expects an fd");
      i++;
    } else if (strcmp(a, "--go-fd") == 0) {
      opts.go_fd = (int)number(v, 0, 1 << 20, "--go-fd expects an fd");
      i++;
    } else {
      usage("unknown flag");
    }
  }
  if (!opts.probe && i >= argc) usage("give the command after --");
  opts.argv = argv + i;
}

static void report_json(const struct report *r) {
  char line[1024];
  snprintf(line, sizeof line,
           "{\"kernel_abi\":%d,\"abi\":%d,\"fs\":%s,\"fs_rules\":%zu,\"tcp\":%s,\"scope_signal\":%s,\"scope_abstract_unix\":%s,"
           "\"no_new_privs\":%s,\"seccomp\":%s,\"netns\":%s,\"uid\":%ld,\"gid\":%ld,\"cap_eff\":\"%s\",\"cap_prm\":\"%s\","
           "\"cap_inh\":\"%s\",\"cap_bnd\":\"%s\",\"cap_amb\":\"%s\"}\n",
           r->kernel_abi, r->abi, r->fs ? "true" : "false", r->fs_rules, r->tcp ? "true" : "false", r->scope_signal ? "true" : "false",
           r->scope_abstract_unix ? "true" : "false", r->no_new_privs ? "true" : "false", r->seccomp ? "true" : "false",
           r->netns ? "true" : "false", r->uid, r->gid, r->cap_eff, r->cap_prm, r->cap_inh, r->cap_bnd, r->cap_amb);
  if (opts.status_fd >= 0) {
    write_all(opts.status_fd, line);
    close(opts.status_fd);
  } else {
    fputs(line, stderr);
  }
}

int main(int argc, char **argv) {
  parse(argc, argv);
  struct report r = {0};
  if (opts.probe) {
    int kernel = landlock_kernel_abi();
    printf("{\"kernel_abi\":%d,\"abi\":%d}\n", kernel, opts.abi_max >= 0 && opts.abi_max < kernel ? opts.abi_max : kernel);
    return 0;
  }
  if (opts.status_fd >= 0 && fcntl(opts.status_fd, F_GETFD) < 0) usage("--status-fd is not open");
  if (opts.go_fd >= 0 && fcntl(opts.go_fd, F_GETFD) < 0) usage("--go-fd is not open");

  if (opts.netns) {
    join_netns(opts.netns);
    r.netns = true;
  }
  int ruleset = landlock_prepare(&opts, &r);
  drop_privileges(&opts);
  // A credential change cleared any parent-death signal: set it now, so the agent ends with `run`.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die("PR_SET_PDEATHSIG", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS", errno);
  r.no_new_privs = true;
  r.seccomp = install_seccomp(opts.allow_unix_sockets);
  if (ruleset >= 0) landlock_enforce(ruleset);
  r.uid = (long)getuid();
  r.gid = (long)getgid();
  read_capabilities(&r);
  report_json(&r);

  if (opts.go_fd >= 0) {
    char go;
    ssize_t n;
    do n = read(opts.go_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) _exit(125); // run gave up on us (it said why)
    close(opts.go_fd);
  }
  // Nothing opened before the sandbox may follow the agent: Landlock does not apply to open descriptors.
  if (syscall(__NR_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    for (int fd = 3; fd < 1024; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  execvp(opts.argv[0], opts.argv);
  int err = errno;
  fprintf(stderr, "openshell-term: cannot run %s: %s\n", opts.argv[0], strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}
