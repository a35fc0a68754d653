#ifndef JWTAUTH_SERVER_METRICS_H_
#define JWTAUTH_SERVER_METRICS_H_

// CONTRACT (implemented by the server-platform work, issue 6). Prometheus
// text exposition, every name prefixed `jwtauth_`; failure reasons are label
// values spelled as the proto enum names (reason="SIGNATURE_INVALID"), and
// "OK" for success. Thread-safe; recording is lock-free or a short lock.
//
//   class Metrics {
//    public:
//     // method: "Verify", "IssueToken", "ListKeys", "Check".
//     // result: "OK" or a FailureReason name, or a gRPC code name for RPC errors.
//     void RecordRpc(absl::string_view method, absl::string_view result,
//                    absl::Duration latency);
//     void RecordCacheLookup(bool hit);
//     void RecordKeyVerification(absl::string_view provider, absl::string_view kid);
//     std::string RenderPrometheus() const;  // also pulls KeyStore / refresher gauges
//   };

#endif  // JWTAUTH_SERVER_METRICS_H_
