{
  "targets": [
    {
      "target_name": "agent-sandbox",
      "type": "executable",
      "sources": ["main.c", "landlock.c", "privileges.c", "seccomp.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11"],
      "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]]
    },
    {
      "target_name": "core_guard",
      "sources": ["core_guard.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "conditions": [["OS!='linux'", { "type": "none", "sources": [] }]]
    }
  ]
}
