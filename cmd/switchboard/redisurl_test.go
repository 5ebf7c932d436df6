package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// redisSummary is what a test compares of a parsed SWITCHBOARD_REDIS_URL.
type redisSummary struct {
	Network, Addr, Username, Password string
	DB                                int
	MasterName                        string
	SentinelAddrs                     []string
	SentinelUsername                  string
	SentinelPassword                  string
	DialTimeout                       time.Duration
	PoolSize                          int
	TLS                               bool
	TLSServerName                     string
	TLSSkipVerify                     bool
	TLSClientCerts                    int
	TLSCustomCA                       bool
}

func summarize(c redisConn) redisSummary {
	var s redisSummary
	var tc *tls.Config
	switch {
	case c.single != nil:
		o := c.single
		s = redisSummary{Network: o.Network, Addr: o.Addr, Username: o.Username, Password: o.Password, DB: o.DB, DialTimeout: o.DialTimeout, PoolSize: o.PoolSize}
		tc = o.TLSConfig
	case c.failover != nil:
		o := c.failover
		s = redisSummary{Username: o.Username, Password: o.Password, DB: o.DB, MasterName: o.MasterName, SentinelAddrs: o.SentinelAddrs,
			SentinelUsername: o.SentinelUsername, SentinelPassword: o.SentinelPassword, DialTimeout: o.DialTimeout, PoolSize: o.PoolSize}
		tc = o.TLSConfig
	}
	if tc != nil {
		s.TLS, s.TLSServerName, s.TLSSkipVerify, s.TLSClientCerts, s.TLSCustomCA = true, tc.ServerName, tc.InsecureSkipVerify, len(tc.Certificates), tc.RootCAs != nil
	}
	return s
}

// writeTLSFiles writes a CA certificate and a client certificate with its
// key, PEM-encoded, and returns their paths.
func writeTLSFiles(t *testing.T) (ca, cert, key string) {
	t.Helper()
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	clientKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	clientTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "switchboard"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	clientDER, err := x509.CreateCertificate(rand.Reader, clientTmpl, caTmpl, &clientKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(clientKey)
	return write("ca.pem", "CERTIFICATE", caDER), write("client.pem", "CERTIFICATE", clientDER), write("client-key.pem", "EC PRIVATE KEY", keyDER)
}

func TestParseRedisURL(t *testing.T) {
	ca, cert, key := writeTLSFiles(t)
	cases := []struct {
		url  string
		want redisSummary
	}{
		// The ACL user is kept (asynq's parser dropped it).
		{"redis://app:s3cret@redis.internal:6380/3", redisSummary{Network: "tcp", Addr: "redis.internal:6380", Username: "app", Password: "s3cret", DB: 3}},
		{"redis://:s3cret@redis:6379/0", redisSummary{Network: "tcp", Addr: "redis:6379", Password: "s3cret"}},
		{"redis://redis?dial_timeout=3&pool_size=7", redisSummary{Network: "tcp", Addr: "redis:6379", DialTimeout: 3 * time.Second, PoolSize: 7}},
		{"unix:///run/redis.sock?db=2", redisSummary{Network: "unix", Addr: "/run/redis.sock", DB: 2}},
		// TLS: the system's CAs, or the given CA and a client certificate.
		{"rediss://app:pw@redis.example:6380/1", redisSummary{Network: "tcp", Addr: "redis.example:6380", Username: "app", Password: "pw", DB: 1, TLS: true, TLSServerName: "redis.example"}},
		{"rediss://10.0.0.5:6380?tls_ca=" + ca + "&tls_cert=" + cert + "&tls_key=" + key + "&tls_server_name=redis.internal",
			redisSummary{Network: "tcp", Addr: "10.0.0.5:6380", TLS: true, TLSServerName: "redis.internal", TLSClientCerts: 1, TLSCustomCA: true}},
		{"rediss://redis?tls_ca=" + ca + "&skip_verify=true", redisSummary{Network: "tcp", Addr: "redis:6379", TLS: true, TLSServerName: "redis", TLSSkipVerify: true, TLSCustomCA: true}},
		// Sentinel: the database and the primary's password are kept.
		{"redis-sentinel://:pass@s1:26379,s2:26380/13?master=m", redisSummary{Password: "pass", DB: 13, MasterName: "m", SentinelAddrs: []string{"s1:26379", "s2:26380"}}},
		{"redis-sentinel://app:pw@s1,s2,s3/2?master=mymaster&sentinel_username=sen&sentinel_password=spw&dial_timeout=2s",
			redisSummary{Username: "app", Password: "pw", DB: 2, MasterName: "mymaster", SentinelAddrs: []string{"s1:26379", "s2:26379", "s3:26379"},
				SentinelUsername: "sen", SentinelPassword: "spw", DialTimeout: 2 * time.Second}},
		{"redis-sentinel://s1?master=m", redisSummary{MasterName: "m", SentinelAddrs: []string{"s1:26379"}}},
	}
	for _, c := range cases {
		got, err := parseRedisURL(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		if diff := cmp.Diff(c.want, summarize(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.url, diff)
		}
	}
}

func TestParseRedisURLRefuses(t *testing.T) {
	ca, cert, _ := writeTLSFiles(t)
	junk := filepath.Join(t.TempDir(), "junk.pem")
	os.WriteFile(junk, []byte("not a certificate"), 0o600)
	cases := []struct{ url, want string }{
		{"redis-cluster://n1:6379,n2:6379", "Redis Cluster is not supported"},
		{"rediss-cluster://n1:6379", "Redis Cluster is not supported"},
		{"redis+cluster://n1:6379", "Redis Cluster is not supported"},
		{"memcached://cache:11211", `scheme "memcached": want redis://, rediss:// (TLS), unix:// or redis-sentinel://`},
		{"redis://redis?tls_ca=" + ca, "tls_ca: TLS options need a rediss:// URL"},
		{"rediss://redis?tls_cert=" + cert, "tls_cert and tls_key go together"},
		{"rediss://redis?tls_ca=/does/not/exist.pem", "tls_ca: open /does/not/exist.pem"},
		{"rediss://redis?tls_ca=" + junk, "holds no PEM certificate"},
		{"rediss://redis?tls_cert=" + cert + "&tls_key=" + junk, "tls_cert, tls_key: "},
		{"redis://redis?bogus=1", "unexpected option: bogus"},
		{"redis://redis/one", "invalid database number"},
		{"redis-sentinel://:pw@s1,s2/0", "redis-sentinel:// needs ?master=<name>"},
		{"redis-sentinel://s1?master=m&tls_ca=" + ca, "tls_ca: TLS to Sentinel is not supported"},
		{"redis-sentinel://s1?master=m&password=x", "takes no password parameter"},
		{"redis-sentinel://s1,,s2?master=m", "an empty sentinel address"},
		{"redis-sentinel://s1?master=m&bogus=1", "unexpected option: bogus"},
	}
	for _, c := range cases {
		_, err := parseRedisURL(c.url)
		if err == nil || !strings.HasPrefix(err.Error(), "SWITCHBOARD_REDIS_URL: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want SWITCHBOARD_REDIS_URL: ...%s...", c.url, err, c.want)
		}
	}
	// A URL that does not parse: the error must not repeat the password.
	if _, err := parseRedisURL("redis://:hunter2@redis:port/0"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v: want one that does not repeat the password", err)
	}
}

// TestStartRefusesBadRedisURL: worker and api refuse a Redis URL that
// cannot work before opening the database.
func TestStartRefusesBadRedisURL(t *testing.T) {
	for _, args := range [][]string{{"worker"}, {"api"}} {
		e := map[string]string{
			"SWITCHBOARD_REDIS_URL": "redis-cluster://n1:6379", "SWITCHBOARD_DATABASE_URL": "postgres://nobody@db.invalid/x",
			"SWITCHBOARD_SECRET_KEY": "k", "SWITCHBOARD_WEBHOOK_BASE_URL": "https://x",
		}
		err := run(context.Background(), args, env(e), os.Stdout, os.Stderr)
		if err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_REDIS_URL: Redis Cluster is not supported") {
			t.Errorf("%q: error %v, want the Redis URL refused", args, err)
		}
	}
}

// TestOpenRedisRefusesClusterNode starts a cluster-enabled redis-server:
// a redis:// URL pointing at a Cluster node is refused at start, since a
// plain client there fails on the first key of another shard.
func TestOpenRedisRefusesClusterNode(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("no redis-server in PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
		"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--dir", dir, "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	probe := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer probe.Close()
	for deadline := time.Now().Add(10 * time.Second); probe.Ping(ctx).Err() != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not answer within 10s")
		}
	}
	conn, err := parseRedisURL("redis://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := openRedis(ctx, conn)
	if err == nil {
		rdb.Close()
		t.Fatal("openRedis accepted a Cluster node")
	}
	if !strings.Contains(err.Error(), "Redis Cluster is not supported") {
		t.Errorf("error %v, want Redis Cluster refused", err)
	}
}
