# Run after graft-engine is archived: the AVX2 build of the GEMM blocks (gemm_block_avx2.cpp) must
# not define any weak (inline, template) symbol that a baseline object could also define, or the
# linker might keep the AVX2 copy for the whole program and crash older CPUs with SIGILL.
# Allowed: our own avx2 namespace, Eigen under its renamed namespace, and the personality pointer.
#   cmake -DNM=nm -DARCHIVE=libgraft-engine.a -P check_avx2_symbols.cmake
execute_process(COMMAND ${NM} -A -C --defined-only ${ARCHIVE} OUTPUT_VARIABLE out RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0)
  message(WARNING "check_avx2_symbols: ${NM} failed on ${ARCHIVE}; not checked")
  return()
endif()
string(REPLACE "\n" ";" lines "${out}")
set(bad "")
foreach(line IN LISTS lines)
  if(line MATCHES "gemm_block_avx2\\.cpp\\.o:" AND line MATCHES " [WVu] ")
    if(NOT line MATCHES "GraftEigenAvx2|graft::eval::avx2::|DW\\.ref\\.__gxx_personality_v0")
      string(APPEND bad "  ${line}\n")
    endif()
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "gemm_block_avx2.cpp defines shared weak symbols built for AVX2; keep such code out of that file:\n${bad}")
endif()
