{
  "targets": [
    {
      "target_name": "sock_diag",
      "sources": ["addon.c", "sock_diag.c", "holders.c", "fd_search.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]]
    }
  ]
}
