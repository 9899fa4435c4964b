// --emit=obj: a relocatable ELF object whose only defined global symbol is
// the C entry point (@main is internal, so it cannot clash with a C main).

// RUN: hymir-compile %examples/ops/gated_delta_net.mlir --target=cpu --emit=obj -o %t.o
// RUN: %llvm_readobj --file-headers %t.o | FileCheck %s --check-prefix=ELF
// ELF: Format: elf64-
// ELF: Type: Relocatable
// RUN: %llvm_nm --extern-only --defined-only %t.o | FileCheck %s --check-prefix=DEFINED
// DEFINED-NOT: main
// DEFINED: T _mlir_ciface_main
// DEFINED-NOT: main
// RUN: %llvm_nm --undefined-only %t.o | FileCheck %s --check-prefix=UNDEFINED
// UNDEFINED-DAG: U aligned_alloc
// UNDEFINED-DAG: U free
