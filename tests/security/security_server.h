#ifndef JWTAUTH_TESTS_SECURITY_SECURITY_SERVER_H_
#define JWTAUTH_TESTS_SECURITY_SECURITY_SERVER_H_

// SecurityServer: the attack suite's name for the shared in-process server
// (tests/testutil/test_server.h): the production wiring, YAML config →
// Application → AuthService + ExtAuthzService on a real gRPC server on
// 127.0.0.1, so every attack runs through the path a caller reaches, not a
// side door.

#include "tests/testutil/test_server.h"

namespace jwtauth::testing {

using SecurityServer = ::jwtauth::testutil::TestServer;
using SecurityServerOptions = ::jwtauth::testutil::TestServerOptions;

}  // namespace jwtauth::testing

#endif  // JWTAUTH_TESTS_SECURITY_SECURITY_SERVER_H_
