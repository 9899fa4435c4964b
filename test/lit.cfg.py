# -*- Python -*-
# lit configuration of the Hymir test suite: FileCheck tests of the dialect and
# passes, the GoogleTest unit tests, and the execution tests of the tools.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "HYMIR"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.hymir_obj_root, "test")
config.excludes = ["CMakeLists.txt", "Inputs", "lit.cfg.py", "lit.site.cfg.py", "python",
                   "unit", "consumer"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%hymir_src", config.hymir_src_root))
config.substitutions.append(("%hymir_obj_root", config.hymir_obj_root))
config.substitutions.append(("%examples", os.path.join(config.hymir_src_root, "examples")))
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%hymir_tools", config.hymir_tools_dir))

# Sanitizer builds (scripts/test-sanitizers.sh): tests that limit the address
# space (ulimit -v) cannot run under ASan, which reserves terabytes of shadow.
import re
if re.search(r"-fsanitize=\S*\baddress\b", getattr(config, "hymir_cxx_flags", "")):
    config.available_features.add("asan")
# A project built against the installed tree (test/Consumer) compiles and
# links with the build's flags, so that it links the sanitizer runtime when
# the installed libraries are instrumented.
_flags = getattr(config, "hymir_cxx_flags", "").strip()
_sanitize = " ".join(f for f in _flags.split() if f.startswith("-fsanitize"))
config.substitutions.append(("%consumer_cmake_flags",
    '"-DCMAKE_CXX_FLAGS=%s" "-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld %s"' % (_flags, _sanitize)))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# HYMIR_OPT_CHECK_IR_ROUNDTRIP=1 makes every hymir-opt run verify that its
# output re-parses to the same IR (CIRCT's trick).
opt = "hymir-opt"
if os.environ.get("HYMIR_OPT_CHECK_IR_ROUNDTRIP") == "1":
    opt = "hymir-opt --verify-roundtrip"

tool_dirs = [config.hymir_tools_dir, config.llvm_tools_dir]
tools = [ToolSubst("hymir-opt", command=opt), "hymir-run", "hymir-compile",
         "hymir-import", "hymir-rt-plan", "hymir-rt-run"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.hymir_tools_dir, append_path=True)
# `not` and `count` live with FileCheck; lit substitutes them only after a pipe.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# A machine with an NVIDIA driver (the CUDA runtime can run artifacts).
# CI has none: tests of the "no driver" diagnostics are UNSUPPORTED where one
# is present, since there the artifact runs instead.
if any(os.path.exists(os.path.join(d, "libcuda.so.1"))
       for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/cuda/compat")):
    config.available_features.add("cuda-driver")

# The benchmark program, built unless HYMIR_BUILD_BENCH=OFF.
if os.path.exists(os.path.join(config.hymir_tools_dir, "hymir-bench")):
    config.available_features.add("hymir-bench")

# Debian's python3-torch (an optional dependency: the model bench's PyTorch
# peer, checked by test/Models/torch-peer.test). Looked up, not imported:
# importing torch takes seconds, and every lit run would pay for it.
import subprocess
if subprocess.run(["/usr/bin/python3", "-c",
                   "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"],
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
    config.available_features.add("torch")
