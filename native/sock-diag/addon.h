// The functions the identity addon exports (one file each; addon.c registers them).
#pragma once
#include <node_api.h>

napi_value sock_diag_lookup(napi_env env, napi_callback_info info);
napi_value sock_diag_lookup_in_netns(napi_env env, napi_callback_info info);
napi_value holders_scan(napi_env env, napi_callback_info info);
napi_value fd_search_find_holder(napi_env env, napi_callback_info info);
