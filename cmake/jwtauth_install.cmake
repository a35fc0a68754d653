# The installed package: `cmake --install <build> --prefix <dir>` puts the
# libraries marked INSTALL (jwtauth_cc_library / jwtauth_proto_library),
# their headers under include/jwtauth/, and a package config under
# lib/cmake/jwtauth/, so that a consumer writes
#
#   find_package(jwtauth CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE jwtauth::client)
#
# jwtauthTargets holds the client library and what it links (jwtauth::proto,
# jwtauth::verify_result, ...); jwtauthTestingTargets holds
# jwtauth::client_testing (the gMock MockClient), loaded only when the
# consumer has GTest. The dependencies a consumer must find are listed once,
# in cmake/jwtauthConfig.cmake.in.

include(CMakePackageConfigHelpers)

set(JWTAUTH_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/jwtauth")

install(EXPORT jwtauthTargets
  NAMESPACE jwtauth::
  DESTINATION "${JWTAUTH_INSTALL_CMAKEDIR}")
if(TARGET jwtauth_client_testing)
  install(EXPORT jwtauthTestingTargets
    NAMESPACE jwtauth::
    DESTINATION "${JWTAUTH_INSTALL_CMAKEDIR}")
endif()

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/jwtauthConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/jwtauthConfig.cmake"
  INSTALL_DESTINATION "${JWTAUTH_INSTALL_CMAKEDIR}")
# 0.x: a minor version may break the API.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/jwtauthConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/jwtauthConfig.cmake"
  "${PROJECT_BINARY_DIR}/jwtauthConfigVersion.cmake"
  DESTINATION "${JWTAUTH_INSTALL_CMAKEDIR}")
