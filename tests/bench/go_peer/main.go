// go_peer: the Go service a team might write instead of jwtauth, as a
// baseline for the benchmarks (README.md). It serves the same contract,
// jwtauth.v1.AuthService/Verify (proto/jwtauth/v1/auth.proto), with
// golang-jwt v4 and grpc-go: one HS256 and/or one RS256 key, iss/aud/exp
// checks, no cache. IssueToken and ListKeys answer UNIMPLEMENTED.
//
//	go_peer [--listen 127.0.0.1:0] [--hs-secret-file F] [--rsa-public-pem F]
//	        --issuer ISS --audience AUD [--kid KID] [--provider NAME]
//
// Logs {"event":"serving","grpc_port":"NNNN"} to stderr once listening, the
// same line jwtauth-server logs; SIGTERM/SIGINT stop it (exit 0).
package main

import (
	"context"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "jwtauth/v1"
)

// protoCodec replaces grpc-go's "proto" codec: Debian's grpc-go 1.33 marshals
// through github.com/golang/protobuf 1.3, which cannot handle the APIv2
// messages protoc-gen-go generates. Newer grpc-go releases marshal through
// google.golang.org/protobuf/proto exactly like this.
type protoCodec struct{}

func (protoCodec) Marshal(v interface{}) ([]byte, error) {
	return proto.Marshal(v.(proto.Message))
}

func (protoCodec) Unmarshal(data []byte, v interface{}) error {
	return proto.Unmarshal(data, v.(proto.Message))
}

func (protoCodec) Name() string { return "proto" }

type verifier struct {
	pb.UnimplementedAuthServiceServer
	hsSecret  []byte         // nil: HS256 not accepted
	rsaKey    *rsa.PublicKey // nil: RS256 not accepted
	issuer    string
	audience  string
	kid       string // "" accepts any kid
	provider  string
	parser    *jwt.Parser
	errNoKey  error
	errBadAlg error
}

func invalid(reason pb.FailureReason, detail string) *pb.VerifyResponse {
	return &pb.VerifyResponse{Valid: false, Reason: reason, Detail: detail}
}

// keyFor picks the key for the token's header; kid and alg must match. Only
// HS256 and RS256 pass, so "none" and algorithm confusion are refused here.
func (v *verifier) keyFor(t *jwt.Token) (interface{}, error) {
	if v.kid != "" {
		if kid, _ := t.Header["kid"].(string); kid != v.kid {
			return nil, v.errNoKey
		}
	}
	switch t.Method.Alg() {
	case "HS256":
		if v.hsSecret != nil {
			return v.hsSecret, nil
		}
	case "RS256":
		if v.rsaKey != nil {
			return v.rsaKey, nil
		}
	default:
		return nil, v.errBadAlg
	}
	return nil, v.errNoKey
}

// reasonOf maps golang-jwt's error to the closed FailureReason list; the
// signature is reported first, as jwtauth does.
func (v *verifier) reasonOf(err error) *pb.VerifyResponse {
	var ve *jwt.ValidationError
	if !errors.As(err, &ve) {
		return invalid(pb.FailureReason_MALFORMED, "malformed token")
	}
	switch {
	case ve.Errors&jwt.ValidationErrorMalformed != 0:
		return invalid(pb.FailureReason_MALFORMED, "malformed token")
	case errors.Is(ve.Inner, v.errNoKey):
		return invalid(pb.FailureReason_KEY_NOT_FOUND, "no key for kid/alg")
	case ve.Errors&jwt.ValidationErrorUnverifiable != 0:
		// keyFor refused the alg, or golang-jwt does not know it.
		return invalid(pb.FailureReason_UNSUPPORTED_ALGORITHM, "alg not allowed")
	case ve.Errors&jwt.ValidationErrorSignatureInvalid != 0:
		return invalid(pb.FailureReason_SIGNATURE_INVALID, "bad signature")
	case ve.Errors&jwt.ValidationErrorExpired != 0:
		return invalid(pb.FailureReason_EXPIRED, "token expired")
	case ve.Errors&jwt.ValidationErrorNotValidYet != 0:
		return invalid(pb.FailureReason_NOT_YET_VALID, "token not yet valid")
	case ve.Errors&jwt.ValidationErrorIssuedAt != 0:
		return invalid(pb.FailureReason_ISSUED_IN_FUTURE, "iat in the future")
	}
	return invalid(pb.FailureReason_CLAIM_INVALID, "claims invalid")
}

func (v *verifier) Verify(ctx context.Context, req *pb.VerifyRequest) (*pb.VerifyResponse, error) {
	if req.Provider != "" && req.Provider != v.provider {
		return nil, status.Errorf(codes.InvalidArgument, "unknown provider %q", req.Provider)
	}
	raw := req.Token
	if len(raw) >= 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = raw[7:]
	}
	if raw == "" {
		return invalid(pb.FailureReason_TOKEN_MISSING, "no token"), nil
	}
	token, err := v.parser.Parse(raw, v.keyFor)
	if err != nil {
		return v.reasonOf(err), nil
	}
	claims := token.Claims.(jwt.MapClaims)
	if !claims.VerifyExpiresAt(time.Now().Unix(), true) {
		return invalid(pb.FailureReason_CLAIM_MISSING, "exp missing"), nil
	}
	if !claims.VerifyIssuer(v.issuer, true) {
		return invalid(pb.FailureReason_ISSUER_MISMATCH, "iss mismatch"), nil
	}
	aud := v.audience
	if req.Audience != "" {
		aud = req.Audience
	}
	if !claims.VerifyAudience(aud, true) {
		return invalid(pb.FailureReason_AUDIENCE_MISMATCH, "aud mismatch"), nil
	}
	return v.validResponse(token, claims, raw)
}

func (v *verifier) validResponse(token *jwt.Token, claims jwt.MapClaims, raw string) (*pb.VerifyResponse, error) {
	// claims_json is the payload exactly as decoded, like jwtauth's.
	payload, err := jwt.DecodeSegment(strings.Split(raw, ".")[1])
	if err != nil {
		return invalid(pb.FailureReason_MALFORMED, "malformed payload"), nil
	}
	st, err := structpb.NewStruct(claims)
	if err != nil {
		return invalid(pb.FailureReason_CLAIM_INVALID, "claims not a Struct"), nil
	}
	kid, _ := token.Header["kid"].(string)
	resp := &pb.VerifyResponse{
		Valid:      true,
		Claims:     st,
		ClaimsJson: string(payload),
		Provider:   v.provider,
		Kid:        kid,
		Alg:        token.Method.Alg(),
	}
	if exp, ok := claims["exp"].(float64); ok {
		resp.ExpiresAt = timestamppb.New(time.Unix(int64(exp), 0))
	}
	return resp, nil
}

func newVerifier(hsFile, rsaFile, issuer, audience, kid, provider string) (*verifier, error) {
	v := &verifier{
		issuer: issuer, audience: audience, kid: kid, provider: provider,
		parser:    jwt.NewParser(),
		errNoKey:  errors.New("no key"),
		errBadAlg: errors.New("alg not allowed"),
	}
	if hsFile != "" {
		secret, err := os.ReadFile(hsFile)
		if err != nil {
			return nil, err
		}
		v.hsSecret = secret
	}
	if rsaFile != "" {
		pem, err := os.ReadFile(rsaFile)
		if err != nil {
			return nil, err
		}
		if v.rsaKey, err = jwt.ParseRSAPublicKeyFromPEM(pem); err != nil {
			return nil, fmt.Errorf("%s: %v", rsaFile, err)
		}
	}
	if v.hsSecret == nil && v.rsaKey == nil {
		return nil, errors.New("need --hs-secret-file and/or --rsa-public-pem")
	}
	if issuer == "" || audience == "" {
		return nil, errors.New("need --issuer and --audience")
	}
	return v, nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to serve on")
	hsFile := flag.String("hs-secret-file", "", "HS256 secret (raw bytes)")
	rsaFile := flag.String("rsa-public-pem", "", "RS256 public key (PEM)")
	issuer := flag.String("issuer", "", "required iss")
	audience := flag.String("audience", "", "required aud (unless the request names one)")
	kid := flag.String("kid", "", "required kid header (empty: any)")
	provider := flag.String("provider", "bench", "provider name in responses")
	flag.Parse()
	encoding.RegisterCodec(protoCodec{})

	v, err := newVerifier(*hsFile, *rsaFile, *issuer, *audience, *kid, *provider)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go_peer: %v\n", err)
		os.Exit(2)
	}
	host, _, err := net.SplitHostPort(*listen)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		fmt.Fprintf(os.Stderr, "go_peer: --listen must be a loopback address, got %s\n", *listen)
		os.Exit(2)
	}
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go_peer: %v\n", err)
		os.Exit(1)
	}
	server := grpc.NewServer()
	pb.RegisterAuthServiceServer(server, v)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		server.GracefulStop()
	}()
	fmt.Fprintf(os.Stderr, "{\"event\":\"serving\",\"grpc_port\":\"%d\"}\n",
		lis.Addr().(*net.TCPAddr).Port)
	if err := server.Serve(lis); err != nil {
		fmt.Fprintf(os.Stderr, "go_peer: %v\n", err)
		os.Exit(1)
	}
}
