// The native half of binary identity (Linux): the client socket's inode by its 4-tuple, in our own network
// namespace or an agent's (sock_diag.c); the quick look at who holds it as the connection arrives, one process
// at a time (fd_search.c); and every process holding it, with the file each one runs (holders.c).
#include "addon.h"

static void export(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value value;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &value);
  napi_set_named_property(env, exports, name, value);
}

static napi_value init(napi_env env, napi_value exports) {
  export(env, exports, "lookup", sock_diag_lookup);
  export(env, exports, "lookupInNetns", sock_diag_lookup_in_netns);
  export(env, exports, "scanHolders", holders_scan);
  export(env, exports, "findHolder", fd_search_find_holder);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
