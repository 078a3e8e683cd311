# Installed layout: `cmake --install` into a fresh prefix outside any build tree, then the
# installed graft-cli must find every backend profile and its rule files in <prefix>/share/graft
# (not in the source tree, which a binary inside the build folder would fall back to).
# Catches packaging regressions such as a .deb without profiles. Needs a full build first.
# Run by CTest as `install_layout`:
#   cmake -DBUILD_DIR=<build> -DSOURCE_DIR=<source> -P tests/install_layout.cmake
cmake_minimum_required(VERSION 3.20)

foreach(var BUILD_DIR SOURCE_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "install_layout: pass -D${var}=...")
  endif()
endforeach()

# A prefix under the system temp folder: nothing above it holds a CMakeCache.txt.
if(DEFINED ENV{TMPDIR} AND IS_DIRECTORY "$ENV{TMPDIR}")
  set(tmp "$ENV{TMPDIR}")
else()
  set(tmp "/tmp")
endif()
string(RANDOM LENGTH 10 suffix)
set(prefix "${tmp}/graft-install-layout-${suffix}")
file(REMOVE_RECURSE "${prefix}")

function(fail what)
  file(REMOVE_RECURSE "${prefix}")
  message(FATAL_ERROR "install_layout: ${what}")
endfunction()

execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("cmake --install ${BUILD_DIR} failed (build every target first: cmake --build ${BUILD_DIR}):\n${err}")
endif()

set(cli "${prefix}/bin/graft-cli")
set(share "${prefix}/share/graft")
if(NOT EXISTS "${cli}")
  fail("${cli} was not installed")
endif()
set(sample "${share}/sample.onnx")
if(NOT EXISTS "${sample}")
  set(sample "${SOURCE_DIR}/resources/sample/sample.onnx")
endif()

# Every profile and rule file of the source tree is installed.
file(GLOB profiles RELATIVE "${SOURCE_DIR}/resources/profiles" "${SOURCE_DIR}/resources/profiles/*.profile")
file(GLOB rules RELATIVE "${SOURCE_DIR}/resources/rules" "${SOURCE_DIR}/resources/rules/*.rules")
if(NOT profiles OR NOT rules)
  fail("no profiles or rule files found in ${SOURCE_DIR}/resources")
endif()
foreach(f IN LISTS rules)
  if(NOT EXISTS "${share}/rules/${f}")
    fail("rule file ${f} is not installed in ${share}/rules")
  endif()
endforeach()

# Each installed profile loads from the prefix (with its rule files) and matches the sample.
# The search path must not point anywhere else.
unset(ENV{GRAFT_PROFILE_PATH})
foreach(f IN LISTS profiles)
  if(NOT EXISTS "${share}/profiles/${f}")
    fail("profile ${f} is not installed in ${share}/profiles")
  endif()
  string(REGEX REPLACE "\\.profile$" "" backend "${f}")
  execute_process(COMMAND "${cli}" match "${sample}" --backend "${backend}" --json
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    fail("installed graft-cli match --backend ${backend} exited ${rc}: ${err}")
  endif()
  string(JSON found ERROR_VARIABLE jerr GET "${out}" profile)
  if(jerr)
    fail("graft-cli match --backend ${backend} --json printed no profile path: ${jerr}\n${out}")
  endif()
  file(REAL_PATH "${found}" found_real)
  file(REAL_PATH "${share}/profiles/${f}" want_real)
  if(NOT found_real STREQUAL want_real)
    fail("graft-cli match --backend ${backend} used ${found}, not the installed ${share}/profiles/${f}")
  endif()
  string(JSON name GET "${out}" backend)
  message(STATUS "${backend}: ${found} (profile '${name}')")
endforeach()

file(REMOVE_RECURSE "${prefix}")
