{
  "targets": [
    {
      "target_name": "sock_diag",
      "sources": ["sock_diag.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]]
    }
  ]
}
