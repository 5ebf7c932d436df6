package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// redisConn is the Redis SWITCHBOARD_REDIS_URL names: one server (single)
// or a primary found through Sentinel (failover). It is an
// asynq.RedisConnOpt, for the parts of asynq that open their own
// connection (the reconcile scheduler).
type redisConn struct {
	single   *redis.Options
	failover *redis.FailoverOptions
}

// client opens a connection pool; it does not dial yet.
func (c redisConn) client() redis.UniversalClient {
	if c.failover != nil {
		return redis.NewFailoverClient(c.failover)
	}
	return redis.NewClient(c.single)
}

// MakeRedisClient implements asynq.RedisConnOpt.
func (c redisConn) MakeRedisClient() any { return c.client() }

// The query parameters switchboard adds to go-redis's own, for rediss://.
const (
	paramTLSCA         = "tls_ca"          // PEM file of the CAs to trust, instead of the system's
	paramTLSCert       = "tls_cert"        // PEM file of the client certificate (with tls_key)
	paramTLSKey        = "tls_key"         // PEM file of the client certificate's key
	paramTLSServerName = "tls_server_name" // name to verify the server's certificate against
)

// defaultSentinelPort is Sentinel's port, for sentinels given without one.
const defaultSentinelPort = "26379"

// parseRedisURL reads SWITCHBOARD_REDIS_URL:
//
//   - redis://[user:password@]host[:6379][/db][?option=value...] and
//     unix:///path/to/redis.sock[?db=N&...]: go-redis's ParseURL, which
//     keeps the ACL user and takes its tuning options (dial_timeout,
//     pool_size, ...);
//   - rediss://...: the same over TLS, plus tls_ca, tls_cert, tls_key and
//     tls_server_name (file paths and a name, see the constants above) and
//     go-redis's skip_verify;
//   - redis-sentinel://[user:password@]s1[:26379],s2[:26379]/db?master=name:
//     the primary named master, found through those sentinels. user and
//     password authenticate to the primary; the sentinels take
//     sentinel_username and sentinel_password parameters when they need
//     their own. Other parameters are go-redis's ParseFailoverURL options.
//
// Redis Cluster (redis-cluster://, rediss-cluster://, redis+cluster://) is
// refused: switchboard's queues and Lua scripts are not tested on it. An
// error names the variable and never repeats the URL, which may hold a
// password.
func parseRedisURL(raw string) (redisConn, error) {
	c, err := parseRedisURLOptions(raw)
	if err != nil {
		return redisConn{}, fmt.Errorf("SWITCHBOARD_REDIS_URL: %w", err)
	}
	return c, nil
}

func parseRedisURLOptions(raw string) (redisConn, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the URL, password and all
		}
		return redisConn{}, fmt.Errorf("not a URL: %v", err)
	}
	switch u.Scheme {
	case "redis", "rediss", "unix":
		tlsParams, err := takeTLSParams(u)
		if err != nil {
			return redisConn{}, err
		}
		opt, err := redis.ParseURL(u.String())
		if err != nil {
			return redisConn{}, err
		}
		if opt.TLSConfig != nil {
			if err := tlsParams.apply(opt.TLSConfig); err != nil {
				return redisConn{}, err
			}
		}
		return redisConn{single: opt}, nil
	case "redis-sentinel":
		opt, err := parseSentinelURL(u)
		if err != nil {
			return redisConn{}, err
		}
		return redisConn{failover: opt}, nil
	case "redis-cluster", "rediss-cluster", "redis+cluster", "rediss+cluster":
		return redisConn{}, errors.New("Redis Cluster is not supported: use a single primary (redis://, rediss://), Sentinel (redis-sentinel://) or a managed failover endpoint")
	}
	return redisConn{}, fmt.Errorf("scheme %q: want redis://, rediss:// (TLS), unix:// or redis-sentinel://", u.Scheme)
}

// tlsParams are the tls_* parameters of a rediss:// URL.
type tlsParams struct {
	ca, cert, key, serverName string
}

// takeTLSParams removes the tls_* parameters from u, which go-redis would
// refuse as unknown. They need rediss://.
func takeTLSParams(u *url.URL) (tlsParams, error) {
	q := u.Query()
	p := tlsParams{ca: q.Get(paramTLSCA), cert: q.Get(paramTLSCert), key: q.Get(paramTLSKey), serverName: q.Get(paramTLSServerName)}
	var given []string
	for _, name := range []string{paramTLSCA, paramTLSCert, paramTLSKey, paramTLSServerName} {
		if q.Has(name) {
			given = append(given, name)
			q.Del(name)
		}
	}
	if len(given) > 0 && u.Scheme != "rediss" {
		return p, fmt.Errorf("%s: TLS options need a rediss:// URL", strings.Join(given, ", "))
	}
	if (p.cert == "") != (p.key == "") {
		return p, fmt.Errorf("%s and %s go together: a client certificate needs its key", paramTLSCert, paramTLSKey)
	}
	u.RawQuery = q.Encode()
	return p, nil
}

// apply loads the files into cfg.
func (p tlsParams) apply(cfg *tls.Config) error {
	if p.ca != "" {
		pem, err := os.ReadFile(p.ca)
		if err != nil {
			return fmt.Errorf("%s: %w", paramTLSCA, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s: %s holds no PEM certificate", paramTLSCA, p.ca)
		}
		cfg.RootCAs = pool
	}
	if p.cert != "" {
		cert, err := tls.LoadX509KeyPair(p.cert, p.key)
		if err != nil {
			return fmt.Errorf("%s, %s: %w", paramTLSCert, paramTLSKey, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if p.serverName != "" {
		cfg.ServerName = p.serverName
	}
	return nil
}

// parseSentinelURL reads redis-sentinel:// by rewriting it into the URL
// go-redis's ParseFailoverURL takes (redis://sentinel1?addr=sentinel2&...),
// so every go-redis option works there too.
func parseSentinelURL(u *url.URL) (*redis.FailoverOptions, error) {
	q := u.Query()
	for _, name := range []string{paramTLSCA, paramTLSCert, paramTLSKey, paramTLSServerName, "skip_verify"} {
		if q.Has(name) {
			return nil, fmt.Errorf("%s: TLS to Sentinel is not supported", name)
		}
	}
	for _, name := range []string{"username", "password", "master_name", "addr"} {
		if q.Has(name) {
			return nil, fmt.Errorf("redis-sentinel:// takes no %s parameter (the primary's user and password go before the @, the sentinels in the host list, the primary's name in master)", name)
		}
	}
	master := q.Get("master")
	q.Del("master")
	if master == "" {
		return nil, errors.New("redis-sentinel:// needs ?master=<name>, the name Sentinel knows the primary by")
	}
	q.Set("master_name", master)
	if u.User != nil {
		q.Set("username", u.User.Username())
		if pw, ok := u.User.Password(); ok {
			q.Set("password", pw)
		}
	}
	var sentinelUser *url.Userinfo
	if q.Has("sentinel_username") || q.Has("sentinel_password") {
		sentinelUser = url.UserPassword(q.Get("sentinel_username"), q.Get("sentinel_password"))
		q.Del("sentinel_username")
		q.Del("sentinel_password")
	}
	var addrs []string
	for _, h := range strings.Split(u.Host, ",") {
		if h == "" {
			return nil, errors.New("redis-sentinel://: an empty sentinel address")
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), defaultSentinelPort)
		}
		host, port, err := net.SplitHostPort(h)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("redis-sentinel://: %q is not a sentinel host[:port]", h)
		}
		addrs = append(addrs, h)
	}
	for _, a := range addrs[1:] {
		q.Add("addr", a)
	}
	rewritten := url.URL{Scheme: "redis", User: sentinelUser, Host: addrs[0], Path: u.Path, RawQuery: q.Encode()}
	opt, err := redis.ParseFailoverURL(rewritten.String())
	if err != nil {
		return nil, err
	}
	return opt, nil
}

// openRedis connects to the Redis SWITCHBOARD_REDIS_URL names and checks
// it answers, and that it is not a Cluster node (a plain client there
// fails on the first key of another shard).
func openRedis(ctx context.Context, c redisConn) (redis.UniversalClient, error) {
	rdb := c.client()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis: %w", err)
	}
	// INFO may be renamed or forbidden by ACLs: then nothing is known.
	if info, err := rdb.Info(ctx, "cluster").Result(); err == nil && strings.Contains(info, "cluster_enabled:1") {
		rdb.Close()
		return nil, errors.New("SWITCHBOARD_REDIS_URL: the server is a Redis Cluster node, and Redis Cluster is not supported: use a single primary or Sentinel")
	}
	return rdb, nil
}
