// agent-sandbox: applies kernel restrictions to itself, then execs the agent (see main.c).
#ifndef AGENT_SANDBOX_H
#define AGENT_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_LIST 64

struct options {
  const char *hide[MAX_LIST]; // paths the agent may neither read nor write
  size_t hide_count;
  const char *read_only[MAX_LIST]; // paths the agent may read and execute but not change
  size_t read_only_count;
  uint16_t connect_ports[MAX_LIST]; // the only TCP ports the agent may connect to
  size_t connect_port_count;
  int abi_max;             // use at most this Landlock ABI (-1: whatever the kernel has)
  const char *user;        // run as this user (name or uid); NULL: stay
  bool drop_caps;          // clear every capability set (root agents)
  const char *netns;       // join this network namespace first (a /run/netns file)
  bool allow_unix_sockets; // do not refuse socket(AF_UNIX, ...)
  int status_fd;           // write one JSON line of what was applied here (-1: none)
  int go_fd;               // wait for one byte here before exec (-1: do not wait)
  bool probe;              // print what this kernel offers and exit
  char **argv;             // the agent's command
};

// What was applied, reported to `run` so it can say exactly what is not enforced.
struct report {
  int kernel_abi; // Landlock ABI the kernel offers (0: none)
  int abi;        // the ABI the rules were written for (min of kernel and --abi-max)
  bool fs, tcp, scope_signal, scope_abstract_unix;
  size_t fs_rules;
  bool no_new_privs;
  bool seccomp;
  bool netns;
  long uid, gid;
  char cap_eff[24], cap_prm[24], cap_bnd[24], cap_amb[24], cap_inh[24];
};

// landlock.c
int landlock_kernel_abi(void);
// Builds the ruleset for `o` (opening every rule's file while still privileged); returns its fd, or -1 when
// the ABI is 0. Fills the fs/tcp/scope fields of `r`. Exits on error.
int landlock_prepare(const struct options *o, struct report *r);
void landlock_enforce(int ruleset_fd);

// privileges.c
void join_netns(const char *path);
void drop_privileges(const struct options *o);
void read_capabilities(struct report *r);

// seccomp.c
bool install_seccomp(bool allow_unix_sockets);

// main.c
_Noreturn void die(const char *step, int err);

#endif
