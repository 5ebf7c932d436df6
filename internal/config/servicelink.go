package config

import (
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Kubernetes' service links: for every Service in a pod's namespace
// (unless the pod sets enableServiceLinks: false) kubelet sets, with NAME
// the Service's name upper-cased and '-' turned into '_':
//
//	NAME_SERVICE_HOST=10.0.0.11
//	NAME_SERVICE_PORT=80                      (the first port)
//	NAME_SERVICE_PORT_<PORTNAME>=80           (each named port)
//	NAME_PORT=tcp://10.0.0.11:80              (the first port)
//	NAME_PORT_80_TCP=tcp://10.0.0.11:80       (each port)
//	NAME_PORT_80_TCP_PROTO=tcp
//	NAME_PORT_80_TCP_PORT=80
//	NAME_PORT_80_TCP_ADDR=10.0.0.11
//
// A Service named switchboard-api, a Helm release named switchboard or a
// Redis Service named switchboard-redis therefore puts SWITCHBOARD_*
// variables into every pod. They are recognised by name and value, so a
// mistyped setting (SWITCHBOARD_REDIS_ULR, SWITCHBOARD_METRICS_PORT=9090)
// is still refused.
var (
	serviceHost     = regexp.MustCompile(`^[A-Z0-9_]+_SERVICE_HOST$`)
	servicePort     = regexp.MustCompile(`^[A-Z0-9_]+_SERVICE_PORT(_[A-Z0-9_]+)?$`)
	portURL         = regexp.MustCompile(`^[A-Z0-9_]+_PORT$`)
	portProto       = regexp.MustCompile(`^[A-Z0-9_]+_PORT_([0-9]+)_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?$`)
	linkedProtocols = map[string]bool{"tcp": true, "udp": true, "sctp": true}
)

// isServiceLink tells whether name=value is a variable kubelet sets for a
// Service.
func isServiceLink(name, value string) bool {
	// NAME_PORT_80_TCP_PORT also ends in _PORT: the longer patterns first.
	if m := portProto.FindStringSubmatch(name); m != nil {
		port, proto := m[1], strings.ToLower(m[2])
		switch m[3] {
		case "_PROTO":
			return value == proto
		case "_PORT":
			return value == port
		case "_ADDR":
			return isIP(value)
		}
		return isLinkURL(value, proto, port)
	}
	switch {
	case serviceHost.MatchString(name):
		return isIP(value)
	case servicePort.MatchString(name):
		return isPort(value)
	case portURL.MatchString(name):
		u, err := url.Parse(value)
		return err == nil && linkedProtocols[u.Scheme] && isLinkURL(value, u.Scheme, u.Port())
	}
	return false
}

// isLinkURL tells whether value is proto://<IP>:port, as kubelet writes it.
func isLinkURL(value, proto, port string) bool {
	u, err := url.Parse(value)
	return err == nil && u.Scheme == proto && u.User == nil && u.Path == "" && u.RawQuery == "" &&
		isIP(u.Hostname()) && isPort(port) && u.Port() == port
}

func isIP(s string) bool { return net.ParseIP(s) != nil }

func isPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n < 65536
}
