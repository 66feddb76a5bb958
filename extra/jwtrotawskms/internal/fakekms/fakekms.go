// Package fakekms is a stand-in for AWS KMS, in process, for what the
// emulator local-kms cannot do: import key material into an HMAC key
// (its CreateKey refuses Origin EXTERNAL for HMAC key specs, and its
// GetParametersForImport assumes an AES key). It speaks the KMS JSON
// protocol (awsJson1_1) for CreateKey, CreateAlias, DescribeKey,
// GetParametersForImport, ImportKeyMaterial and GenerateMac, as the AWS KMS
// API reference describes them, with HMAC_256 keys only, and does the
// cryptography for real: the import is unwrapped with RSA-OAEP and the MACs
// are HMAC-SHA256 under the unwrapped material. Tests only.
package fakekms

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Region and Account name the keys' ARNs.
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// A Server is a fake KMS. Its zero value is not usable: call [Start].
type Server struct {
	URL string
	srv *httptest.Server

	mu      sync.Mutex
	keys    map[string]*key // by key id
	aliases map[string]string
	seq     int
}

type key struct {
	id, arn, origin, state string
	material               []byte
	wrap                   *rsa.PrivateKey
	wrapAlg                string
	token                  []byte
}

// Start runs a fake KMS on 127.0.0.1; Close stops it.
func Start() *Server {
	s := &Server{keys: map[string]*key{}, aliases: map[string]string{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

type apiError struct{ code, msg string }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
	var in map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		in = map[string]any{}
	}
	s.mu.Lock()
	out, aerr := s.handle(op, in)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if aerr != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"__type": aerr.code, "message": aerr.msg})
		return
	}
	json.NewEncoder(w).Encode(out)
}

func str(in map[string]any, k string) string { v, _ := in[k].(string); return v }

// blob decodes a base64 member: encoding/json decodes []byte from base64.
func blob(in map[string]any, k string) []byte {
	var b []byte
	raw, _ := json.Marshal(in[k])
	json.Unmarshal(raw, &b)
	return b
}

func (s *Server) find(id string) (*key, *apiError) {
	if t, ok := s.aliases[id]; ok {
		id = t
	}
	if i := strings.LastIndex(id, ":key/"); i >= 0 {
		id = id[i+len(":key/"):]
	}
	if k, ok := s.keys[id]; ok {
		return k, nil
	}
	return nil, &apiError{"NotFoundException", "Key '" + id + "' does not exist"}
}

func (k *key) metadata() map[string]any {
	return map[string]any{
		"KeyMetadata": map[string]any{
			"KeyId": k.id, "Arn": k.arn, "AWSAccountId": Account, "CreationDate": time.Now().Unix(),
			"Enabled": k.state == "Enabled", "KeyState": k.state, "KeySpec": "HMAC_256", "CustomerMasterKeySpec": "HMAC_256",
			"KeyUsage": "GENERATE_VERIFY_MAC", "Origin": k.origin, "KeyManager": "CUSTOMER", "MacAlgorithms": []string{"HMAC_SHA_256"},
		},
	}
}

func (s *Server) handle(op string, in map[string]any) (any, *apiError) {
	switch op {
	case "CreateKey":
		if str(in, "KeySpec") != "HMAC_256" || str(in, "KeyUsage") != "GENERATE_VERIFY_MAC" {
			return nil, &apiError{"ValidationException", "this fake holds HMAC_256 GENERATE_VERIFY_MAC keys only"}
		}
		s.seq++
		k := &key{id: fmt.Sprintf("fa4e0000-0000-4000-8000-%012d", s.seq), origin: "AWS_KMS", state: "Enabled"}
		k.arn = "arn:aws:kms:" + Region + ":" + Account + ":key/" + k.id
		switch o := str(in, "Origin"); o {
		case "", "AWS_KMS":
			k.material = make([]byte, 32)
			rand.Read(k.material)
		case "EXTERNAL":
			k.origin, k.state = "EXTERNAL", "PendingImport"
		default:
			return nil, &apiError{"UnsupportedOperationException", "origin " + o}
		}
		s.keys[k.id] = k
		return k.metadata(), nil
	case "CreateAlias":
		name := str(in, "AliasName")
		if !strings.HasPrefix(name, "alias/") {
			return nil, &apiError{"ValidationException", "alias must start with alias/"}
		}
		if _, ok := s.aliases[name]; ok {
			return nil, &apiError{"AlreadyExistsException", "An alias with the name " + name + " already exists"}
		}
		k, err := s.find(str(in, "TargetKeyId"))
		if err != nil {
			return nil, err
		}
		s.aliases[name] = k.id
		return map[string]any{}, nil
	case "DescribeKey":
		k, err := s.find(str(in, "KeyId"))
		if err != nil {
			return nil, err
		}
		return k.metadata(), nil
	case "GetParametersForImport":
		k, err := s.find(str(in, "KeyId"))
		if err != nil {
			return nil, err
		}
		if k.origin != "EXTERNAL" {
			return nil, &apiError{"UnsupportedOperationException", k.arn + " origin is " + k.origin + " which is not valid for this operation."}
		}
		bits := map[string]int{"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}[str(in, "WrappingKeySpec")]
		alg := str(in, "WrappingAlgorithm")
		if bits == 0 || (alg != "RSAES_OAEP_SHA_256" && alg != "RSAES_OAEP_SHA_1") {
			return nil, &apiError{"ValidationException", "unsupported wrapping key spec or algorithm"}
		}
		priv, gerr := wrappingKey(bits)
		if gerr != nil {
			return nil, &apiError{"KMSInternalException", gerr.Error()}
		}
		pub, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
		k.wrap, k.wrapAlg, k.token = priv, alg, make([]byte, 64)
		rand.Read(k.token)
		return map[string]any{"KeyId": k.arn, "ImportToken": k.token, "PublicKey": pub, "ParametersValidTo": time.Now().Add(24 * time.Hour).Unix()}, nil
	case "ImportKeyMaterial":
		k, err := s.find(str(in, "KeyId"))
		if err != nil {
			return nil, err
		}
		if k.wrap == nil || !hmac.Equal(blob(in, "ImportToken"), k.token) {
			return nil, &apiError{"InvalidImportTokenException", "invalid import token"}
		}
		if em := str(in, "ExpirationModel"); em != "" && em != "KEY_MATERIAL_DOES_NOT_EXPIRE" {
			return nil, &apiError{"ValidationException", "expiration model " + em}
		}
		var h hash.Hash = sha256.New()
		if k.wrapAlg == "RSAES_OAEP_SHA_1" {
			h = sha1.New()
		}
		m, derr := rsa.DecryptOAEP(h, nil, k.wrap, blob(in, "EncryptedKeyMaterial"), nil)
		if derr != nil {
			return nil, &apiError{"InvalidCiphertextException", ""}
		}
		if len(m) != 32 || (k.material != nil && !hmac.Equal(m, k.material)) {
			// KMS accepts only the same material again.
			return nil, &apiError{"IncorrectKeyMaterialException", "the key material is not 32 bytes, or not the material imported before"}
		}
		k.material, k.state, k.wrap, k.token = m, "Enabled", nil, nil
		return map[string]any{"KeyId": k.arn}, nil
	case "GenerateMac":
		k, err := s.find(str(in, "KeyId"))
		if err != nil {
			return nil, err
		}
		if k.state != "Enabled" {
			return nil, &apiError{"KMSInvalidStateException", k.arn + " is " + k.state}
		}
		if str(in, "MacAlgorithm") != "HMAC_SHA_256" {
			return nil, &apiError{"InvalidKeyUsageException", "HMAC_256 keys compute HMAC_SHA_256"}
		}
		if dry, _ := in["DryRun"].(bool); dry {
			return nil, &apiError{"DryRunOperationException", "The request would have succeeded, but the DryRun option is set."}
		}
		mac := hmac.New(sha256.New, k.material)
		mac.Write(blob(in, "Message"))
		return map[string]any{"KeyId": k.arn, "Mac": mac.Sum(nil), "MacAlgorithm": "HMAC_SHA_256"}, nil
	}
	return nil, &apiError{"UnknownOperationException", op}
}

// wrappingKeys caches one RSA key per size: generating a 4096-bit key takes
// seconds, and a fresh one per import would only slow the tests.
var wrappingKeys = struct {
	sync.Mutex
	m map[int]*rsa.PrivateKey
}{m: map[int]*rsa.PrivateKey{}}

func wrappingKey(bits int) (*rsa.PrivateKey, error) {
	wrappingKeys.Lock()
	defer wrappingKeys.Unlock()
	if k := wrappingKeys.m[bits]; k != nil {
		return k, nil
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err == nil {
		wrappingKeys.m[bits] = k
	}
	return k, err
}

// AddKey adds an enabled HMAC_256 key holding material, as if imported, and
// returns its ARN: a key without the cost of an RSA wrapping key.
func (s *Server) AddKey(material []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	k := &key{id: fmt.Sprintf("fa4e0000-0000-4000-8000-%012d", s.seq), origin: "EXTERNAL", state: "Enabled", material: append([]byte(nil), material...)}
	k.arn = "arn:aws:kms:" + Region + ":" + Account + ":key/" + k.id
	s.keys[k.id] = k
	return k.arn
}
