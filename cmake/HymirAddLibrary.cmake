# Thin wrappers over the add_mlir_* functions. Every Hymir library and tool links
# the shared libMLIR.so (Debian ships it; see shared/TOOLCHAIN.md): static MLIR
# archives would make each link 1 GB and mix two copies of MLIR's global state.

function(hymir_add_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_mlir_library(${name} ${ARG_UNPARSED_ARGUMENTS}
    DEPENDS ${ARG_DEPENDS}
    DISABLE_INSTALL)
  target_link_libraries(${name} PUBLIC MLIR ${ARG_LINK_LIBS})
  set_property(GLOBAL APPEND PROPERTY HYMIR_LIBS ${name})
endfunction()

function(hymir_add_tool name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_llvm_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  llvm_update_compile_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS} MLIR)
endfunction()
