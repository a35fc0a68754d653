// IsLoopbackPeer: the gRPC peer strings the dev default's direct issuing
// accepts (loopback TCP) and refuses (everything else).

#include "server/loopback_peer.h"

#include "gtest/gtest.h"

namespace jwtauth::server {
namespace {

TEST(LoopbackPeerTest, LoopbackTcpPeersAreLoopback) {
  for (const char* peer :
       {"ipv4:127.0.0.1:50051", "ipv4:127.0.0.1:1", "ipv4:127.255.3.4:65535",
        "ipv6:[::1]:50051", "ipv6:%5B::1%5D:50051",
        "ipv6:[0:0:0:0:0:0:0:1]:9"}) {
    EXPECT_TRUE(IsLoopbackPeer(peer)) << peer;
  }
}

TEST(LoopbackPeerTest, EveryOtherPeerIsRefused) {
  for (const char* peer : {
           "ipv4:10.0.0.1:50051",
           "ipv4:128.0.0.1:50051",
           "ipv4:0.0.0.0:50051",
           "ipv4:192.168.1.127:50051",
           "ipv4:1.127.0.0:5",
           "ipv6:[::2]:50051",
           "ipv6:[fe80::1]:50051",
           "ipv6:[::ffff:10.0.0.1]:50051",
           "ipv6:[::ffff:127.0.0.1]:50051",  // mapped forms: not listed
           "ipv6:[::]:50051",
           "unix:/tmp/jwtauth.sock",
           "unix-abstract:jwtauth",
           "",
           "127.0.0.1:50051",        // no scheme
           "ipv4:127.0.0.1",         // no port
           "ipv4:127.0.0.1:",        // empty port
           "ipv4:127.0.0.1:x",       // not a port
           "ipv4:127.0.0.1:123456",  // too long
           "ipv4:127.1:50051",       // not dotted-quad
           "ipv4:127.0.0.1.evil:1",
           "ipv6:::1:50051",  // no brackets
           "ipv6:[::1]",
           "ipv6:[::1]50051",
           "ipv6:[::1:50051",
           "ipv4:[::1]:50051",
           "ipv6:127.0.0.1:50051",
       }) {
    EXPECT_FALSE(IsLoopbackPeer(peer)) << peer;
  }
}

}  // namespace
}  // namespace jwtauth::server
