// Exact lookup of one TCP socket by its 4-tuple through netlink sock_diag (the kernel's
// inet_diag_find_one): the socket's inode and owner uid in microseconds, where reading
// /proc/net/tcp costs milliseconds once the table holds thousands of rows (TIME_WAIT included).
//
// lookup(family 4|6, src Buffer, srcPort, dst Buffer, dstPort) -> [inode, uid] | null
#include "addon.h"
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int diag_fd = -1;

static int open_socket(void) {
  if (diag_fd >= 0) return diag_fd;
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -1;
  // Never block the event loop for long: the kernel answers at once or not at all.
  struct timeval timeout = {0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  diag_fd = fd;
  return fd;
}

// 1 found, 0 not found, -1 error.
static int find_one(int family, const unsigned char *src, unsigned src_port, const unsigned char *dst, unsigned dst_port, unsigned *inode, unsigned *uid) {
  int fd = open_socket();
  if (fd < 0) return -1;
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
      *inode = d->idiag_inode;
      *uid = d->idiag_uid;
      return 1;
    }
  }
  return 0;
}

napi_value sock_diag_lookup(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_value result;
  napi_get_null(env, &result);
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return result;
  int32_t family;
  uint32_t src_port, dst_port;
  void *src, *dst;
  size_t src_len, dst_len;
  if (napi_get_value_int32(env, argv[0], &family) != napi_ok) return result;
  if (napi_get_buffer_info(env, argv[1], &src, &src_len) != napi_ok) return result;
  if (napi_get_value_uint32(env, argv[2], &src_port) != napi_ok) return result;
  if (napi_get_buffer_info(env, argv[3], &dst, &dst_len) != napi_ok) return result;
  if (napi_get_value_uint32(env, argv[4], &dst_port) != napi_ok) return result;
  size_t want = family == 6 ? 16 : 4;
  if ((family != 4 && family != 6) || src_len != want || dst_len != want || src_port > 65535 || dst_port > 65535) return result;
  unsigned inode = 0, uid = 0;
  int found = find_one(family, src, src_port, dst, dst_port, &inode, &uid);
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
