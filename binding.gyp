# The tsmig Node addon: runtime/src/addon (node-addon-api) linked with the
# platform backend, compiled in: the Linux emulation of Mach IPC
# (runtime/src/linux) or the macOS backend over real Mach (runtime/src/darwin).
{
  # runtime/sources.gypi (the runtime's owner keeps it) lists the Linux backend's sources.
  "includes": ["runtime/sources.gypi"],
  "targets": [
    {
      "target_name": "tsmig",
      "sources": [
        "runtime/src/addon/addon.cc",
        "runtime/src/addon/handshake.cc",
        "runtime/src/addon/instance.cc",
        "runtime/src/addon/port.cc",
        "runtime/src/addon/receiver.cc",
        "runtime/src/addon/region.cc",
        "runtime/src/addon/send.cc",
        "runtime/src/handshake/child.cc",
        "runtime/src/handshake/native.cc",
        "runtime/src/handshake/parent.cc",
        "runtime/src/handshake/protocol.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "runtime/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags": ["-Wall", "-Wextra", "-fvisibility=hidden"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc": ["-std=gnu++17", "-Wall", "-Wextra", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++14"],
      "conditions": [
        ["OS=='linux'", {
          "sources": ["<@(tsmig_runtime_linux_sources)", "runtime/src/handshake/linux/platform.cc"],
          "cflags": ["-pthread"],
          "libraries": ["-pthread"]
        }],
        ["OS=='mac'", {
          "sources": ["runtime/src/darwin/space.cc", "runtime/src/darwin/watch.cc", "runtime/src/handshake/darwin/platform.cc"],
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "gnu++17",
            "MACOSX_DEPLOYMENT_TARGET": "11.0",
            "WARNING_CFLAGS": ["-Wall", "-Wextra"]
          }
        }]
      ]
    }
  ]
}
