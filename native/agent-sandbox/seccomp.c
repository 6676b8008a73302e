// A seccomp filter for what Landlock (ABI ≤ 7) cannot see:
//   - ioctl(TIOCSTI) / ioctl(TIOCLINUX): the agent shares the operator's terminal; pushing
//     "openshell-term approve-all\n" into its input queue would run it in the operator's shell after the
//     agent exits. Only the low 32 bits of the request are compared (the tty layer ignores the rest).
//   - socket(AF_UNIX, …): pathname UNIX sockets are outside Landlock's reach, and an agent running as the
//     operator's user could drive the operator's tmux (where the console may run), ssh-agent or D-Bus.
//     socketpair(2) stays allowed (libuv's child-process pipes and Python's subprocess use it).
//   - internet sockets other than plain TCP and UDP: Landlock's TCP rules cover IPPROTO_TCP only (since
//     Linux 6.14 MPTCP, SCTP and SMC are explicitly left out), and MPTCP falls back to plain TCP against
//     any server, so socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP) connected anywhere. EPROTONOSUPPORT: the
//     answer on which clients that try MPTCP first (Go, curl --mptcp) fall back to TCP, which Landlock sees.
//     Raw sockets get EPERM, the kernel's own answer without CAP_NET_RAW.
//   - every address family but UNIX, INET, INET6 and NETLINK (getaddrinfo and getifaddrs need it):
//     EAFNOSUPPORT. AF_SMC falls back to TCP too, AF_VSOCK reaches the VM host, the rest no agent needs.
//   - io_uring_setup: io_uring makes sockets without the socket(2) system call (ENOSYS: callers fall back).
//   - x32 system calls, and on x86-64 the 32-bit socketcall(2) (its arguments sit behind a pointer): ENOSYS.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "sandbox.h"

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define NR_IOCTL 16
#define NR_SOCKET 41
#define X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define NR_IOCTL 29
#define NR_SOCKET 198
#endif
#define NR_IO_URING_SETUP 425 // the same number on every architecture (unified table)

enum label {
  L_NATIVE,
  L_I386,
  L_IOCTL,
  L_SOCKET,
  L_UNIX,
  L_INET,
  L_INET_PROTOCOL,
  L_ALLOW,
  L_EPERM,
  L_EACCES,
  L_ENOSYS,
  L_EAFNOSUPPORT,
  L_EPROTONOSUPPORT,
  L_COUNT
};
#define NEXT (-1)

// A tiny assembler: jumps name labels, resolved once every instruction is in place.
struct program {
  struct sock_filter code[64];
  size_t n;
  size_t label_at[L_COUNT];
  struct {
    size_t at;
    int on_true, on_false; // labels, or NEXT
  } jumps[32];
  size_t jump_count;
};

static void emit(struct program *p, struct sock_filter ins) { p->code[p->n++] = ins; }
static void here(struct program *p, enum label l) { p->label_at[l] = p->n; }
static void load(struct program *p, uint32_t offset) { emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset)); }
static void ret(struct program *p, uint32_t value) { emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, value)); }
static void and(struct program *p, uint32_t mask) { emit(p, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mask)); }
static void jump(struct program *p, uint16_t op, uint32_t value, int on_true, int on_false) {
  p->jumps[p->jump_count].at = p->n;
  p->jumps[p->jump_count].on_true = on_true;
  p->jumps[p->jump_count++].on_false = on_false;
  emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | op | BPF_K, value, 0, 0));
}
static void jeq(struct program *p, uint32_t value, int on_true, int on_false) { jump(p, BPF_JEQ, value, on_true, on_false); }

static void resolve(struct program *p) {
  for (size_t i = 0; i < p->jump_count; i++) {
    size_t at = p->jumps[i].at;
    if (p->jumps[i].on_true != NEXT) p->code[at].jt = (uint8_t)(p->label_at[p->jumps[i].on_true] - at - 1);
    if (p->jumps[i].on_false != NEXT) p->code[at].jf = (uint8_t)(p->label_at[p->jumps[i].on_false] - at - 1);
  }
}

#define NR offsetof(struct seccomp_data, nr)
#define ARCH offsetof(struct seccomp_data, arch)
#define ARG_LOW(i) (offsetof(struct seccomp_data, args) + 8 * (i)) // little-endian: the low 32 bits first

bool install_seccomp(bool allow_unix_sockets) {
#ifndef NATIVE_ARCH
  (void)allow_unix_sockets;
  return false;
#else
  struct program p = {0};
  load(&p, ARCH);
#if defined(__x86_64__)
  jeq(&p, NATIVE_ARCH, L_NATIVE, NEXT);
  jeq(&p, AUDIT_ARCH_I386, L_I386, L_ENOSYS);
#else
  jeq(&p, NATIVE_ARCH, L_NATIVE, L_ENOSYS);
#endif

  here(&p, L_NATIVE);
  load(&p, NR);
#if defined(__x86_64__)
  jump(&p, BPF_JGE, X32_BIT, L_ENOSYS, NEXT);
#endif
  jeq(&p, NR_IOCTL, L_IOCTL, NEXT);
  jeq(&p, NR_SOCKET, L_SOCKET, NEXT);
  jeq(&p, NR_IO_URING_SETUP, L_ENOSYS, L_ALLOW);

#if defined(__x86_64__)
  here(&p, L_I386);
  load(&p, NR);
  jeq(&p, 54, L_IOCTL, NEXT);      // ioctl
  jeq(&p, 359, L_SOCKET, NEXT);    // socket
  jeq(&p, 102, L_ENOSYS, NEXT);    // socketcall
  jeq(&p, NR_IO_URING_SETUP, L_ENOSYS, L_ALLOW);
#endif

  here(&p, L_IOCTL);
  load(&p, ARG_LOW(1));
  jeq(&p, TIOCSTI, L_EPERM, NEXT);
  jeq(&p, TIOCLINUX, L_EPERM, L_ALLOW);

  here(&p, L_SOCKET);
  load(&p, ARG_LOW(0)); // family
  jeq(&p, AF_UNIX, L_UNIX, NEXT);
  jeq(&p, AF_INET, L_INET, NEXT);
  jeq(&p, AF_INET6, L_INET, NEXT);
  jeq(&p, AF_NETLINK, L_ALLOW, L_EAFNOSUPPORT);

  here(&p, L_UNIX);
  ret(&p, allow_unix_sockets ? SECCOMP_RET_ALLOW : SECCOMP_RET_ERRNO | EACCES);

  here(&p, L_INET);
  load(&p, ARG_LOW(1)); // type, with SOCK_NONBLOCK and SOCK_CLOEXEC or'ed in
  and(&p, 0xf);         // SOCK_TYPE_MASK
  jeq(&p, SOCK_RAW, L_EPERM, NEXT); // what the kernel answers without CAP_NET_RAW (never granted here)
  jeq(&p, SOCK_STREAM, L_INET_PROTOCOL, NEXT);
  jeq(&p, SOCK_DGRAM, L_INET_PROTOCOL, L_EPROTONOSUPPORT);
  here(&p, L_INET_PROTOCOL);
  load(&p, ARG_LOW(2)); // protocol: the default for the type, TCP or UDP; never MPTCP, SCTP, UDP-Lite, ICMP
  jeq(&p, 0, L_ALLOW, NEXT);
  jeq(&p, IPPROTO_TCP, L_ALLOW, NEXT);
  jeq(&p, IPPROTO_UDP, L_ALLOW, L_EPROTONOSUPPORT);

  here(&p, L_ALLOW);
  ret(&p, SECCOMP_RET_ALLOW);
  here(&p, L_EPERM);
  ret(&p, SECCOMP_RET_ERRNO | EPERM);
  here(&p, L_EACCES);
  ret(&p, SECCOMP_RET_ERRNO | EACCES);
  here(&p, L_ENOSYS);
  ret(&p, SECCOMP_RET_ERRNO | ENOSYS);
  here(&p, L_EAFNOSUPPORT);
  ret(&p, SECCOMP_RET_ERRNO | EAFNOSUPPORT);
  here(&p, L_EPROTONOSUPPORT);
  ret(&p, SECCOMP_RET_ERRNO | EPROTONOSUPPORT);
  resolve(&p);

  struct sock_fprog prog = {.len = (unsigned short)p.n, .filter = p.code};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) die("seccomp", errno);
  return true;
#endif
}
