// hymir-compile's command-line contract and diagnostics: exit status 2 for a
// bad command line or an unavailable target, 1 for an input that does not
// parse or verify (with its location) or an output that cannot be written;
// a failed run leaves the previous output as it was and no temporary file.
// This file itself is the unverifiable input: its scan body is not affine in
// the state.

// RUN: rm -rf %t && mkdir -p %t
// DEFINE: %{exit} = %python -c "import subprocess, sys; r = subprocess.run(sys.argv[1:]); print('exit status', r.returncode)"
// DEFINE: %{gdn} = %examples/ops/gated_delta_net.mlir

// RUN: %{exit} hymir-compile %{gdn} --target=cuda --emit=obj -o %t/x.o 2>&1 | FileCheck %s --check-prefix=CUDA
// CUDA: error: unknown --emit=obj for --target=cuda (expected artifact, ptx or mlir)
// CUDA-NEXT: exit status 2
// RUN: %{exit} hymir-compile %{gdn} --target=tpu --emit=obj -o %t/x.o 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: unknown --target=tpu (expected cpu or cuda)
// TARGET-NEXT: exit status 2
// RUN: %{exit} hymir-compile %{gdn} --emit=exe -o %t/x.o 2>&1 | FileCheck %s --check-prefix=EMIT
// EMIT: error: unknown --emit=exe (expected obj, so, llvm or mlir)
// EMIT-NEXT: exit status 2
// RUN: %{exit} hymir-compile %{gdn} --emit=ptx -o %t/x.ptx 2>&1 | FileCheck %s --check-prefix=PTX
// PTX: error: --emit=ptx needs --target=cuda
// PTX-NEXT: exit status 2
// RUN: %{exit} hymir-compile %{gdn} -o %t/x.o 2>&1 | FileCheck %s --check-prefix=NOEMIT
// NOEMIT: error: --emit=obj|so|llvm|mlir is required
// NOEMIT-NEXT: exit status 2
// RUN: %{exit} hymir-compile %{gdn} --emit=obj 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: error: -o OUT is required
// NOOUT-NEXT: exit status 2
// RUN: %{exit} hymir-compile %{gdn} --emit=so -o - 2>&1 | FileCheck %s --check-prefix=STDOUT
// STDOUT: error: --emit=so cannot be written to stdout; pass -o FILE
// STDOUT-NEXT: exit status 2
// RUN: %{exit} hymir-compile --emit=obj -o %t/x.o 2>&1 | FileCheck %s --check-prefix=NOINPUT
// NOINPUT: error: no input file: pass FILE.mlir (see --help)
// NOINPUT-NEXT: exit status 2
// RUN: %{exit} hymir-compile %{gdn} --emit=obj -o %t/x.o --threads=many 2>&1 | FileCheck %s --check-prefix=THREADS
// THREADS: error: --threads=many is not a thread count (expected 0 to 4096; 0 = one per core)
// RUN: %{exit} hymir-compile %{gdn} --target=cuda --threads=2 -o %t/x --shape=1 2>&1 | FileCheck %s --check-prefix=CUDATHREADS
// CUDATHREADS: error: --threads is for --target=cpu (CUDA blocks take --nest-threads)
// RUN: %{exit} hymir-compile %{gdn} --emit=obj -o %t/x.o --bogus 2>&1 | FileCheck %s --check-prefix=BADOPT
// BADOPT: Unknown command line argument '--bogus'
// BADOPT: exit status 2

// Inputs that do not parse or verify: diagnostics with locations, exit 1.
// RUN: echo "old" > %t/out.o
// RUN: %{exit} hymir-compile %s --target=cpu --emit=obj -o %t/out.o --header=%t/out.h 2>&1 | FileCheck %s --check-prefix=VERIFY
// VERIFY: errors.mlir:{{[0-9]+}}:10: error: C9: the update of state #0 is not affine in the state: 'math.exp' of a state-dependent value is not affine
// VERIFY: errors.mlir:{{[0-9]+}}:10: note: in this hymir.scan
// VERIFY: exit status 1
// RUN: %python -c "open('%t/parse.mlir', 'w').write('func.func @main( {')"
// RUN: %{exit} hymir-compile %t/parse.mlir --emit=obj -o %t/out.o 2>&1 | FileCheck %s --check-prefix=PARSE
// PARSE: parse.mlir:1:{{[0-9]+}}: error:
// PARSE: exit status 1
// RUN: %{exit} hymir-compile %t/missing.mlir --emit=obj -o %t/out.o 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: cannot open {{.*}}missing.mlir: No such file or directory
// MISSING-NEXT: exit status 1
// RUN: %{exit} hymir-compile %{gdn} --emit=obj -o %t/no/such/dir/x.o 2>&1 | FileCheck %s --check-prefix=NODIR
// NODIR: error: cannot create a temporary file next to {{.*}}x.o: No such file or directory
// NODIR-NEXT: exit status 1

// Nothing was written: the old output is intact, no header, no temporary.
// RUN: FileCheck %s --check-prefix=OLD < %t/out.o
// OLD: old
// RUN: ls %t | FileCheck %s --check-prefix=FILES --implicit-check-not=tmp
// FILES-NOT: out.h
// FILES: out.o
// FILES-NOT: out.h

// A header C cannot express fails before anything is renamed into place.
// RUN: %{exit} hymir-compile %S/Inputs/bad-name.in --emit=obj -o %t/name.o --header=%t/name.h 2>&1 | FileCheck %s --check-prefix=CNAME
// CNAME: bad-name.in:2:1: error: @a.b is not a C identifier: the header cannot declare its C entry point _mlir_ciface_a.b
// CNAME: exit status 1
// RUN: not ls %t/name.o
// RUN: hymir-compile %S/Inputs/bad-name.in --emit=obj -o %t/name.o
// RUN: %{exit} hymir-compile %S/Inputs/vector-arg.in --emit=mlir -o %t/v.mlir --header=%t/v.h 2>&1 | FileCheck %s --check-prefix=VECTOR
// VECTOR: vector-arg.in:2:1: error: argument #0 of @v has type 'vector<4xf32>', which the C header cannot express: only ranked tensors and memrefs have a C descriptor
// VECTOR: exit status 1

// A module without a public function compiles, with a warning.
// RUN: hymir-compile %S/Inputs/private-only.in --emit=obj -o %t/private.o 2>&1 | FileCheck %s --check-prefix=PRIVATE
// PRIVATE: warning: {{.*}}private-only.in has no public function with a body: the artifact has no entry point

// The help text.
// RUN: hymir-compile --help | FileCheck %s --check-prefix=HELP
// HELP: hymir-compile FILE.mlir --target=cpu --emit=obj|so|llvm|mlir -o OUT
// HELP: --header=
// HELP: --mcpu=

func.func @main(%x: tensor<?x?x2x4xf32>, %S0: tensor<?x2x4xf32>) -> tensor<?x2x4xf32> {
  %S_T = hymir.scan heads = 2 ins(%x : tensor<?x?x2x4xf32>) inits(%S0 : tensor<?x2x4xf32>) -> () {
  ^bb0(%x_t: tensor<4xf32>, %S: tensor<4xf32>):
    %e = math.exp %S : tensor<4xf32>
    hymir.yield %e : tensor<4xf32>
  }
  return %S_T : tensor<?x2x4xf32>
}
