{
  "targets": [
    {
      "target_name": "sock_diag",
      "sources": ["addon.c", "sock_diag.c", "fd_search.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]]
    }
  ]
}
