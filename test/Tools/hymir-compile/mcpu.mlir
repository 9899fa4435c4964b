// --mcpu: native (the default) records the host's CPU; a named CPU is what
// the code is compiled for; an unknown one is a command-line error.
// REQUIRES: host-x86_64

// DEFINE: %{exit} = %python -c "import subprocess, sys; r = subprocess.run(sys.argv[1:]); print('exit status', r.returncode)"
// RUN: hymir-compile %s --emit=llvm --mcpu=x86-64-v2 -o - | FileCheck %s --check-prefix=V2
// V2: define {{.*}}@_mlir_ciface_twice(
// V2: "target-cpu"="x86-64-v2"
// RUN: hymir-compile %s --emit=obj --mcpu=skylake-avx512 -o %t.o
// RUN: %llvm_nm %t.o | FileCheck %s --check-prefix=SKX
// SKX: T _mlir_ciface_twice
// RUN: %{exit} hymir-compile %s --emit=obj --mcpu=pentium9 -o %t.o 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: --mcpu=pentium9: unknown CPU 'pentium9' for x86_64
// BAD-NEXT: exit status 2

func.func @twice(%x: tensor<?xf32>) -> tensor<?xf32> {
  %y = arith.addf %x, %x : tensor<?xf32>
  return %y : tensor<?xf32>
}
