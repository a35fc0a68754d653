# BoringSSL as the crypto backend (JWTAUTH_CRYPTO=boringssl): Debian's
# android-libboringssl-dev ships the headers under /usr/include/android and
# libcrypto.so.0 in the multiarch android/ folder, outside the loader's
# search path. The imported target carries the include directory (as a
# system directory, searched before /usr/include, so <openssl/evp.h> is
# BoringSSL's) and the full library path; CMake then writes the folder into
# the build-tree RPATH of every binary that links it.
#
#   jwtauth::boringssl_crypto   BoringSSL's libcrypto
#
# Never link it into a binary that also links OpenSSL 3 (gRPC, curl,
# httplib): both export the same symbol names.

find_path(JWTAUTH_BORINGSSL_INCLUDE_DIR openssl/is_boringssl.h
  PATHS /usr/include/android
  NO_DEFAULT_PATH)
find_library(JWTAUTH_BORINGSSL_CRYPTO_LIBRARY
  NAMES libcrypto.so.0 crypto
  PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/android
  NO_DEFAULT_PATH)
if(NOT JWTAUTH_BORINGSSL_INCLUDE_DIR OR NOT JWTAUTH_BORINGSSL_CRYPTO_LIBRARY)
  message(FATAL_ERROR
    "JWTAUTH_CRYPTO=boringssl needs BoringSSL (Debian: android-libboringssl-dev, "
    "see deploy/install-deps.sh)")
endif()

add_library(jwtauth_boringssl_crypto SHARED IMPORTED GLOBAL)
set_target_properties(jwtauth_boringssl_crypto PROPERTIES
  IMPORTED_LOCATION "${JWTAUTH_BORINGSSL_CRYPTO_LIBRARY}"
  IMPORTED_SONAME "libcrypto.so.0"
  INTERFACE_INCLUDE_DIRECTORIES "${JWTAUTH_BORINGSSL_INCLUDE_DIR}")
add_library(jwtauth::boringssl_crypto ALIAS jwtauth_boringssl_crypto)

# jwtauth_openssl_twin(NAME verify_benchmark_openssl SRCS x.cc DEPS jwtauth::verifier ...)
#   In a BoringSSL build, an executable built as if DEPS were linked, but with
#   every jwtauth library's sources compiled into it directly and core/crypto's
#   backend files swapped for their OpenSSL 3 versions (*_boringssl.cc ->
#   *_openssl.cc), linked with OpenSSL 3 and never with BoringSSL. Used to run
#   the same program on both backends from one build tree (the backend
#   comparison and the benchmark table).
function(jwtauth_openssl_twin)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  set(srcs ${ARG_SRCS})
  set(libs)
  set(seen)
  set(queue ${ARG_DEPS})
  while(queue)
    list(POP_FRONT queue dep)
    if(dep IN_LIST seen OR dep STREQUAL "jwtauth::boringssl_crypto")
      continue()
    endif()
    list(APPEND seen ${dep})
    if(NOT dep MATCHES "^jwtauth::(.+)$")
      list(APPEND libs ${dep})
      continue()
    endif()
    set(target jwtauth_${CMAKE_MATCH_1})
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(deps ${target} INTERFACE_LINK_LIBRARIES)
    else()
      get_target_property(deps ${target} LINK_LIBRARIES)
      get_target_property(dir ${target} SOURCE_DIR)
      get_target_property(target_srcs ${target} SOURCES)
      foreach(src ${target_srcs})
        if(src MATCHES "\\.cc$")
          string(REGEX REPLACE "_boringssl\\.cc$" "_openssl.cc" src "${src}")
          list(APPEND srcs "${dir}/${src}")
        endif()
      endforeach()
    endif()
    if(deps)
      list(APPEND queue ${deps})
    endif()
  endwhile()
  add_executable(${ARG_NAME} ${srcs})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PRIVATE ${libs} OpenSSL::Crypto)
  target_compile_options(${ARG_NAME} PRIVATE ${JWTAUTH_WARNING_FLAGS})
  target_compile_definitions(${ARG_NAME} PRIVATE
    JWTAUTH_TESTDATA_DIR="${JWTAUTH_TESTDATA_DIR}")
endfunction()
