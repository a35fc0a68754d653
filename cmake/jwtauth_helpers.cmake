# Small tink-style helpers so each module declares itself in one call.
#
#   jwtauth_cc_library(NAME key_set SRCS key_set.cc HDRS key_set.h DEPS jwtauth::jwk absl::statusor)
#     → target jwtauth_key_set, alias jwtauth::key_set
#   jwtauth_cc_library(NAME client ... INSTALL)
#     → also installed and exported as jwtauth::client (cmake/jwtauth_install.cmake)
#   jwtauth_cc_test(NAME key_set_test SRCS key_set_test.cc DEPS jwtauth::key_set [LABELS slow])
#     → executable, registered with gtest_discover_tests
#
# Include paths are rooted at the repository (and at the generated-proto dir).

include(GoogleTest)
include(GNUInstallDirs)

# Installed headers keep their repository-rooted paths under one directory,
# so "client/client.h" and "jwtauth/v1/auth.pb.h" resolve against it without
# claiming top-level names like include/client/.
set(JWTAUTH_INSTALL_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}/jwtauth")

# jwtauth_install_library(<target> <export name> EXPORT <set> BASE_DIR <dir> HDRS <headers>)
#   Installs <target> into export set <set> (jwtauthTargets: the package
#   config includes it; see cmake/jwtauth_install.cmake) as jwtauth::<export
#   name>, and its headers at their path relative to <dir>. Every jwtauth
#   target an installed target links must be installed too (CMake says
#   which at generate time).
function(jwtauth_install_library target export_name)
  cmake_parse_arguments(ARG "" "EXPORT;BASE_DIR" "HDRS" ${ARGN})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
  install(TARGETS ${target} EXPORT ${ARG_EXPORT}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  foreach(hdr IN LISTS ARG_HDRS)
    get_filename_component(abs "${hdr}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    file(RELATIVE_PATH rel "${ARG_BASE_DIR}" "${abs}")
    get_filename_component(dir "${rel}" DIRECTORY)
    install(FILES "${abs}" DESTINATION "${JWTAUTH_INSTALL_INCLUDEDIR}/${dir}")
  endforeach()
endfunction()

# TSan builds: Debian's Abseil is not instrumented; every test and binary links
# the absl::Mutex annotation shim (tests/tsan/, see docs/testing.md).
if(JWTAUTH_SANITIZE MATCHES "thread")
  include(${PROJECT_SOURCE_DIR}/tests/tsan/tsan_shim.cmake)
endif()

# INSTALL: also install and export it (jwtauth_install_library, export set
# jwtauthTargets); EXPORT_SET <set> picks another set.
function(jwtauth_cc_library)
  cmake_parse_arguments(ARG "INSTALL" "NAME;EXPORT_SET" "SRCS;HDRS;DEPS" ${ARGN})
  set(target jwtauth_${ARG_NAME})
  set(includes $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
               $<INSTALL_INTERFACE:${JWTAUTH_INSTALL_INCLUDEDIR}>)
  if(ARG_SRCS)
    add_library(${target} STATIC ${ARG_SRCS} ${ARG_HDRS})
    target_include_directories(${target} PUBLIC ${includes})
    target_link_libraries(${target} PUBLIC ${ARG_DEPS})
    target_compile_options(${target} PRIVATE ${JWTAUTH_WARNING_FLAGS})
    jwtauth_pch_register(${target})
    set(scope PUBLIC)
  else()
    add_library(${target} INTERFACE ${ARG_HDRS})
    target_include_directories(${target} INTERFACE ${includes})
    target_link_libraries(${target} INTERFACE ${ARG_DEPS})
    set(scope INTERFACE)
  endif()
  add_library(jwtauth::${ARG_NAME} ALIAS ${target})
  if(ARG_INSTALL)
    if(NOT ARG_EXPORT_SET)
      set(ARG_EXPORT_SET jwtauthTargets)
    endif()
    # What the installed headers need from a consumer's compiler: C++17 for
    # the client headers; a directory that needs more (core/: C++20 atomics
    # of shared_ptr) sets JWTAUTH_INSTALL_CXX_STD.
    if(NOT JWTAUTH_INSTALL_CXX_STD)
      set(JWTAUTH_INSTALL_CXX_STD cxx_std_17)
    endif()
    target_compile_features(${target} ${scope} ${JWTAUTH_INSTALL_CXX_STD})
    jwtauth_install_library(${target} ${ARG_NAME} EXPORT ${ARG_EXPORT_SET}
      BASE_DIR "${PROJECT_SOURCE_DIR}" HDRS ${ARG_HDRS})
  endif()
endfunction()

include(${CMAKE_CURRENT_LIST_DIR}/jwtauth_pch.cmake)

function(jwtauth_test_definitions target)
  target_compile_definitions(${target} PRIVATE
    JWTAUTH_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    JWTAUTH_BINARY_DIR="${PROJECT_BINARY_DIR}"
    JWTAUTH_TESTDATA_DIR="${JWTAUTH_TESTDATA_DIR}")
endfunction()

function(jwtauth_cc_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  if(TARGET jwtauth_tsan_shim)
    target_link_libraries(${ARG_NAME} PRIVATE jwtauth_tsan_shim)
  endif()
  target_compile_options(${ARG_NAME} PRIVATE ${JWTAUTH_WARNING_FLAGS})
  jwtauth_test_definitions(${ARG_NAME})
  jwtauth_pch_register(${ARG_NAME})
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  gtest_discover_tests(${ARG_NAME}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${labels}"
    DISCOVERY_TIMEOUT 60)
endfunction()

function(jwtauth_cc_binary)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  if(TARGET jwtauth_tsan_shim)
    target_link_libraries(${ARG_NAME} PRIVATE jwtauth_tsan_shim)
  endif()
  target_compile_options(${ARG_NAME} PRIVATE ${JWTAUTH_WARNING_FLAGS})
  jwtauth_pch_register(${ARG_NAME})
endfunction()
