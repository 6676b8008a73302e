// The native half of binary identity (Linux): the client socket's inode by its 4-tuple (sock_diag.c),
// and the process holding it: its fd and binary (fd_search.c).
#include "addon.h"

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "lookup", NAPI_AUTO_LENGTH, sock_diag_lookup, NULL, &fn);
  napi_set_named_property(env, exports, "lookup", fn);
  napi_create_function(env, "findHolder", NAPI_AUTO_LENGTH, fd_search_find_holder, NULL, &fn);
  napi_set_named_property(env, exports, "findHolder", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
