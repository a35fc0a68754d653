# Small tink-style helpers so each module declares itself in one call.
#
#   jwtauth_cc_library(NAME key_set SRCS key_set.cc HDRS key_set.h DEPS jwtauth::jwk absl::statusor)
#     → target jwtauth_key_set, alias jwtauth::key_set
#   jwtauth_cc_test(NAME key_set_test SRCS key_set_test.cc DEPS jwtauth::key_set [LABELS slow])
#     → executable, registered with gtest_discover_tests
#
# Include paths are rooted at the repository (and at the generated-proto dir).

include(GoogleTest)

# TSan builds: Debian's Abseil is not instrumented; every test and binary links
# the absl::Mutex annotation shim (tests/tsan/, see docs/testing.md).
if(JWTAUTH_SANITIZE MATCHES "thread")
  include(${PROJECT_SOURCE_DIR}/tests/tsan/tsan_shim.cmake)
endif()

function(jwtauth_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;HDRS;DEPS" ${ARGN})
  set(target jwtauth_${ARG_NAME})
  if(ARG_SRCS)
    add_library(${target} STATIC ${ARG_SRCS} ${ARG_HDRS})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} PUBLIC ${ARG_DEPS})
    target_compile_options(${target} PRIVATE ${JWTAUTH_WARNING_FLAGS})
  else()
    add_library(${target} INTERFACE ${ARG_HDRS})
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} INTERFACE ${ARG_DEPS})
  endif()
  add_library(jwtauth::${ARG_NAME} ALIAS ${target})
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
  target_compile_definitions(${ARG_NAME} PRIVATE
    JWTAUTH_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    JWTAUTH_BINARY_DIR="${PROJECT_BINARY_DIR}"
    JWTAUTH_TESTDATA_DIR="${JWTAUTH_TESTDATA_DIR}")
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
endfunction()
