// Exact lookup of one TCP socket by its 4-tuple through netlink sock_diag (the kernel's
// inet_diag_find_one): the socket's inode and owner uid in microseconds, where reading
// /proc/net/tcp costs milliseconds once the table holds thousands of rows (TIME_WAIT included).
//
// lookup(family 4|6, src Buffer, srcPort, dst Buffer, dstPort) -> [inode, uid] | null
// lookupInNetns(pid, family, src, srcPort, dst, dstPort) -> [inode, uid] | null | false
//   The same, in the network namespace of process `pid` (an agent under `run --isolate`): a sock_diag
//   socket answers only for the namespace it was made in, so one is made there, on a short-lived thread
//   that joins the namespace (setns needs CAP_SYS_ADMIN: root). false when it cannot be entered; the
//   caller then reads /proc/<pid>/net/tcp instead.
//
// Only sockets past the handshake count: the client end of a connection our server accepted is
// established (or closing). A socket still in SYN_SENT with the same tuple is not a client of ours: an
// unprivileged process can make one with any source address (IP_FREEBIND), so it must not be taken for one.
#define _GNU_SOURCE
#include "addon.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int make_diag_socket(void) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -1;
  // Never block the event loop for long: the kernel answers at once or not at all.
  struct timeval timeout = {0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

static int own_fd = -1;

// States a connection's client end can be in once our server has accepted it.
static int past_handshake(int state) {
  return state != TCP_SYN_SENT && state != TCP_SYN_RECV && state != TCP_LISTEN && state != 12 /* TCP_NEW_SYN_RECV */;
}

// 1 found, 0 not found, -1 error.
static int find_one(int fd, int family, const unsigned char *src, unsigned src_port, const unsigned char *dst, unsigned dst_port,
                    unsigned *inode, unsigned *uid) {
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST;
  msg.req.sdiag_family = family == 6 ? AF_INET6 : AF_INET;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0U;
  msg.req.id.idiag_sport = htons(src_port);
  msg.req.id.idiag_dport = htons(dst_port);
  memcpy(msg.req.id.idiag_src, src, family == 6 ? 16 : 4);
  memcpy(msg.req.id.idiag_dst, dst, family == 6 ? 16 : 4);
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -1;
  long buffer[2048];
  ssize_t n = recv(fd, buffer, sizeof buffer, 0);
  if (n < 0) return -1;
  for (struct nlmsghdr *h = (struct nlmsghdr *)buffer; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
    if (h->nlmsg_type == NLMSG_ERROR) {
      struct nlmsgerr *err = NLMSG_DATA(h);
      return err->error == -ENOENT ? 0 : -1;
    }
    if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      struct inet_diag_msg *d = NLMSG_DATA(h);
      // TIME_WAIT rows have no socket (inode 0): no process holds them.
      if (!past_handshake(d->idiag_state) || d->idiag_inode == 0) return 0;
      *inode = d->idiag_inode;
      *uid = d->idiag_uid;
      return 1;
    }
  }
  return 0;
}

// Sockets made in other network namespaces, by the namespace's device and inode. Each keeps its namespace
// alive, so few are kept, and one unused for a while is closed.
#define NETNS_SOCKETS 8
#define NETNS_IDLE_SECONDS 30
static struct {
  dev_t dev;
  ino_t ino;
  int fd;  // -1: free
  time_t used;
} netns_sockets[NETNS_SOCKETS] = {[0 ... NETNS_SOCKETS - 1] = {.fd = -1}};

struct enter {
  int ns_fd;
  int fd;  // the socket made inside, or -errno
};

static void *make_inside(void *arg) {
  struct enter *e = arg;
  // setns on this thread only: the event loop's thread never leaves our own namespace.
  if (setns(e->ns_fd, CLONE_NEWNET) != 0) {
    e->fd = -errno;
    return NULL;
  }
  e->fd = make_diag_socket();
  if (e->fd < 0) e->fd = -errno;
  return NULL;
}

// A sock_diag socket inside the network namespace of `pid`; -1 when it cannot be made (errno set).
static int netns_socket(int pid) {
  char path[40];
  snprintf(path, sizeof path, "/proc/%d/ns/net", pid);
  int ns_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0) return -1;
  struct stat st;
  if (fstat(ns_fd, &st) != 0) {
    close(ns_fd);
    return -1;
  }
  time_t now = time(NULL);
  int found = -1, slot = 0;
  for (int i = 0; i < NETNS_SOCKETS; i++) {
    if (netns_sockets[i].fd >= 0 && netns_sockets[i].dev == st.st_dev && netns_sockets[i].ino == st.st_ino) {
      found = i;
    } else if (netns_sockets[i].fd >= 0 && now - netns_sockets[i].used > NETNS_IDLE_SECONDS) {
      close(netns_sockets[i].fd);  // its namespace can go once its last process has
      netns_sockets[i].fd = -1;
    }
    if (netns_sockets[i].fd < 0 || (netns_sockets[slot].fd >= 0 && netns_sockets[i].used < netns_sockets[slot].used)) slot = i;
  }
  if (found >= 0) {
    close(ns_fd);
    netns_sockets[found].used = now;
    return netns_sockets[found].fd;
  }
  struct enter e = {.ns_fd = ns_fd, .fd = -EINVAL};
  pthread_t thread;
  int failed = pthread_create(&thread, NULL, make_inside, &e);
  if (failed == 0) pthread_join(thread, NULL);
  close(ns_fd);
  if (failed != 0 || e.fd < 0) {
    errno = failed != 0 ? failed : -e.fd;
    return -1;
  }
  if (netns_sockets[slot].fd >= 0) close(netns_sockets[slot].fd);
  netns_sockets[slot].dev = st.st_dev;
  netns_sockets[slot].ino = st.st_ino;
  netns_sockets[slot].fd = e.fd;
  netns_sockets[slot].used = now;
  return e.fd;
}

struct tuple {
  int32_t family;
  void *src, *dst;
  uint32_t src_port, dst_port;
};

// Reads (family, src, srcPort, dst, dstPort) from argv; false when they do not make a tuple.
static bool read_tuple(napi_env env, napi_value *argv, struct tuple *t) {
  size_t src_len, dst_len;
  if (napi_get_value_int32(env, argv[0], &t->family) != napi_ok) return false;
  if (napi_get_buffer_info(env, argv[1], &t->src, &src_len) != napi_ok) return false;
  if (napi_get_value_uint32(env, argv[2], &t->src_port) != napi_ok) return false;
  if (napi_get_buffer_info(env, argv[3], &t->dst, &dst_len) != napi_ok) return false;
  if (napi_get_value_uint32(env, argv[4], &t->dst_port) != napi_ok) return false;
  size_t want = t->family == 6 ? 16 : 4;
  return (t->family == 4 || t->family == 6) && src_len == want && dst_len == want && t->src_port <= 65535 && t->dst_port <= 65535;
}

static napi_value answer(napi_env env, int fd, const struct tuple *t) {
  napi_value result;
  napi_get_null(env, &result);
  unsigned inode = 0, uid = 0;
  int found = find_one(fd, t->family, t->src, t->src_port, t->dst, t->dst_port, &inode, &uid);
  if (found < 0) {
    napi_throw_error(env, NULL, "sock_diag lookup failed");
    return NULL;
  }
  if (found == 0) return result;
  napi_value pair, v;
  napi_create_array_with_length(env, 2, &pair);
  napi_create_uint32(env, inode, &v);
  napi_set_element(env, pair, 0, v);
  napi_create_uint32(env, uid, &v);
  napi_set_element(env, pair, 1, v);
  return pair;
}

napi_value sock_diag_lookup(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_value result;
  napi_get_null(env, &result);
  struct tuple t;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 || !read_tuple(env, argv, &t)) return result;
  if (own_fd < 0) own_fd = make_diag_socket();
  if (own_fd < 0) {
    napi_throw_error(env, NULL, "sock_diag socket unavailable");
    return NULL;
  }
  return answer(env, own_fd, &t);
}

napi_value sock_diag_lookup_in_netns(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_value result;
  napi_get_null(env, &result);
  int32_t pid;
  struct tuple t;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 || napi_get_value_int32(env, argv[0], &pid) != napi_ok ||
      pid <= 0 || !read_tuple(env, argv + 1, &t))
    return result;
  int fd = netns_socket(pid);
  if (fd < 0) {
    napi_get_boolean(env, false, &result);
    return result;
  }
  return answer(env, fd, &t);
}
