// The core's half of the separation: PR_SET_DUMPABLE 0, so no process of the same uid can ptrace it or
// read /proc/<pid>/mem, environ or fd/ (where the control token and the CA key live in memory) — the
// guard that still holds where Landlock is missing. Node has no binding for prctl(2).
#include <errno.h>
#include <node_api.h>
#include <sys/prctl.h>

// setDumpable(flag: boolean): 0, or the errno of a failure.
static napi_value set_dumpable(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool flag = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1) napi_get_value_bool(env, argv[0], &flag);
  int rc = prctl(PR_SET_DUMPABLE, flag ? 1 : 0, 0, 0, 0) == 0 ? 0 : errno;
  napi_value result;
  napi_create_int32(env, rc, &result);
  return result;
}

// dumpable(): the current flag (0, 1 or 2), as the kernel reports it.
static napi_value dumpable(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_int32(env, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "setDumpable", NAPI_AUTO_LENGTH, set_dumpable, NULL, &fn);
  napi_set_named_property(env, exports, "setDumpable", fn);
  napi_create_function(env, "dumpable", NAPI_AUTO_LENGTH, dumpable, NULL, &fn);
  napi_set_named_property(env, exports, "dumpable", fn);
  return exports;
}
