# Precompiled headers for unoptimized builds (JWTAUTH_PCH: the ci, asan and
# tsan trees; CI builds the whole project twice). Parsing nlohmann/json is
# ~2 s of a TU that includes it and gRPC plus the generated service headers
# ~3.5 s, against ~0.4 s to load a precompiled header, so every jwtauth
# library, binary and test reuses the one of four holders that fits it,
# picked from its link closure once all targets exist:
#
#   holder            headers (plus the standard and Abseil ones below)  for
#   jwtauth_pch_json  nlohmann/json                                      links nlohmann_json, not the protos
#   jwtauth_pch_grpc  nlohmann/json, grpcpp, the generated service headers  links jwtauth::proto
#   jwtauth_pch_test  gtest, gmock, nlohmann/json                        tests without the protos
#   jwtauth_pch_test_grpc  both                                          tests linking jwtauth::proto
#
# A target with neither json nor the protos in its closure gets none (the
# header would cost more than it saves). Optimized builds get none: gcc 12
# loses the system-header status of a precompiled header, and -O2's false
# -Warray-bounds inside libstdc++ then fail -Werror (the boringssl preset).
# The holders define nothing of their own: gcc refuses a header built with
# a macro its user lacks. The users' extra definitions (httplib's,
# JWTAUTH_FUZZ_*, the tests' paths) do not appear in these headers, so gcc
# accepts the header for all of them; -Winvalid-pch is on, so a rejected
# header fails a -Werror build instead of going slow. gRPC's targets add
# -pthread (_REENTRANT), which gcc does check, so every holder and user
# compiles with it.
# deploy/lint.sh strips the header from the compile database it gives
# clang-tidy, so a source that leans on the precompiled header for an
# include it lacks fails lint (and the optimized builds).

set(JWTAUTH_PCH_COMMON
  <functional> <map> <memory> <optional> <string> <string_view> <vector>
  [["absl/status/status.h"]] [["absl/status/statusor.h"]]
  [["absl/strings/str_cat.h"]] [["absl/strings/string_view.h"]]
  [["absl/time/clock.h"]] [["absl/time/time.h"]])
set(JWTAUTH_PCH_JSON [["nlohmann/json.hpp"]])
set(JWTAUTH_PCH_GTEST [["gmock/gmock.h"]] [["gtest/gtest.h"]])
set(JWTAUTH_PCH_GRPC <grpcpp/grpcpp.h> [["jwtauth/v1/auth.grpc.pb.h"]]
  [["envoy/service/auth/v3/external_auth.grpc.pb.h"]])

# Targets that may reuse a holder, in creation order (jwtauth_pch_register).
define_property(GLOBAL PROPERTY JWTAUTH_PCH_TARGETS
  BRIEF_DOCS "jwtauth targets that may reuse a precompiled header"
  FULL_DOCS "Filled by jwtauth_pch_register; read by jwtauth_pch_assign.")

function(jwtauth_pch_register target)
  if(JWTAUTH_PCH)
    set_property(GLOBAL APPEND PROPERTY JWTAUTH_PCH_TARGETS ${target})
  endif()
endfunction()

function(_jwtauth_pch_holder name)
  cmake_parse_arguments(ARG "" "" "LINKS;HEADERS" ${ARGN})
  set(holder jwtauth_pch_${name})
  set(src "${PROJECT_BINARY_DIR}/${holder}.cc")
  file(CONFIGURE OUTPUT "${src}" CONTENT "// Holder of a precompiled header (cmake/jwtauth_pch.cmake).\n")
  add_library(${holder} OBJECT "${src}")
  target_include_directories(${holder} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${holder} PRIVATE absl::status absl::statusor absl::strings
    absl::time ${ARG_LINKS})
  target_compile_options(${holder} PRIVATE ${JWTAUTH_WARNING_FLAGS} -pthread)
  target_precompile_headers(${holder} PRIVATE ${JWTAUTH_PCH_COMMON} ${ARG_HEADERS})
endfunction()

# The resolved target behind a name (aliases followed), or "" if it is not
# a target (a plain library name, a flag, a generator expression).
function(_jwtauth_pch_resolve name out)
  string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" name "${name}")
  set(${out} "" PARENT_SCOPE)
  if(name MATCHES "^\\$<" OR NOT TARGET "${name}")
    return()
  endif()
  get_target_property(aliased "${name}" ALIASED_TARGET)
  if(aliased)
    set(name "${aliased}")
  endif()
  set(${out} "${name}" PARENT_SCOPE)
endfunction()

# Every target `target` links, directly or through interfaces.
function(_jwtauth_pch_closure target out)
  set(seen)
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue current)
    set(links)
    get_target_property(type ${current} TYPE)
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(direct ${current} LINK_LIBRARIES)
      if(direct)
        list(APPEND links ${direct})
      endif()
    endif()
    get_target_property(iface ${current} INTERFACE_LINK_LIBRARIES)
    if(iface)
      list(APPEND links ${iface})
    endif()
    foreach(link IN LISTS links)
      _jwtauth_pch_resolve("${link}" resolved)
      if(resolved AND NOT resolved IN_LIST seen)
        list(APPEND seen ${resolved})
        # Imported targets (gRPC, Abseil, GTest, nlohmann_json) are only
        # named, not walked: what decides the header is whether they appear.
        get_target_property(imported ${resolved} IMPORTED)
        if(NOT imported)
          list(APPEND queue ${resolved})
        endif()
      endif()
    endforeach()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# Called at the end of the top-level CMakeLists.txt, once every target
# exists: each registered target reuses the holder its closure calls for.
function(jwtauth_pch_assign)
  get_property(targets GLOBAL PROPERTY JWTAUTH_PCH_TARGETS)
  foreach(target IN LISTS targets)
    _jwtauth_pch_closure(${target} closure)
    set(flavor "")
    if(jwtauth_proto IN_LIST closure)
      set(flavor grpc)
    elseif(nlohmann_json::nlohmann_json IN_LIST closure)
      set(flavor json)
    endif()
    set(test_links ${closure})
    list(FILTER test_links INCLUDE REGEX "^GTest::|gtest|gmock")
    if(test_links)
      if(flavor STREQUAL "grpc")
        set(flavor test_grpc)
      else()
        set(flavor test)
      endif()
    endif()
    if(flavor STREQUAL "")
      continue()
    endif()
    if(NOT TARGET jwtauth_pch_${flavor})
      _jwtauth_pch_make(${flavor})
    endif()
    target_compile_options(${target} PRIVATE -pthread)
    target_precompile_headers(${target} REUSE_FROM jwtauth_pch_${flavor})
  endforeach()
endfunction()

# A holder's headers and links follow from its name: json always, the gRPC
# service headers for *grpc, gtest and gmock for test*.
function(_jwtauth_pch_make flavor)
  set(links nlohmann_json::nlohmann_json)
  set(headers ${JWTAUTH_PCH_JSON})
  if(flavor MATCHES "grpc")
    list(APPEND links jwtauth_proto jwtauth_envoy_proto gRPC::grpc++)
    list(APPEND headers ${JWTAUTH_PCH_GRPC})
  endif()
  if(flavor MATCHES "^test")
    list(APPEND links GTest::gmock GTest::gtest)
    list(APPEND headers ${JWTAUTH_PCH_GTEST})
  endif()
  _jwtauth_pch_holder(${flavor} LINKS ${links} HEADERS ${headers})
endfunction()
