package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"stockgraph/internal/apperr"
)

// Guard keeps webhooks from reaching the server's own network (SSRF): a
// URL whose host is, or resolves to, a loopback, private, link-local,
// unique-local, CGNAT, unspecified, multicast or cloud metadata address is
// refused when a webhook is created or changed, and again when a delivery
// connects, since a name may resolve elsewhere by then (DNS rebinding).
type Guard struct {
	// AllowPrivate lets webhooks reach every address; for receivers on the
	// operator's own network, and for tests on loopback.
	AllowPrivate bool
	// Resolver resolves names at create and update; net.DefaultResolver
	// when nil.
	Resolver *net.Resolver
}

// blockedRanges are the ranges netip has no predicate for.
var blockedRanges = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT (CGNAT) address"},
	{netip.MustParsePrefix("0.0.0.0/8"), `a "this network" address`},
	{netip.MustParsePrefix("255.255.255.255/32"), "the broadcast address"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "a cloud metadata address"},
}

// blocked says why a webhook may not reach addr, or "" when it may.
func blocked(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case addr == netip.MustParseAddr("169.254.169.254"):
		return "a cloud metadata address"
	case addr.IsLoopback():
		return "a loopback address"
	case addr.IsUnspecified():
		return "an unspecified address"
	case addr.IsLinkLocalUnicast():
		return "a link-local address"
	case addr.IsMulticast():
		return "a multicast address"
	case addr.IsPrivate():
		return "a private address"
	}
	for _, r := range blockedRanges {
		if r.prefix.Contains(addr) {
			return r.what
		}
	}
	return ""
}

// CheckURL refuses a URL a webhook may not have, with BAD_USER_INPUT on
// input.url. A name that does not resolve now is accepted: DNS may be
// down for a moment, and the check at connection time still applies.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return badURL("webhook URL %q must be an absolute http or https URL, such as https://example.com/hooks", raw)
	}
	if len(raw) > 2048 {
		return badURL("webhook URL %q is longer than 2048 characters", truncate(raw, 64)+"...")
	}
	if g.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		return refused(raw, ip)
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, ip := range addrs {
		if err := refused(raw, ip); err != nil {
			return err
		}
	}
	return nil
}

func refused(raw string, ip netip.Addr) error {
	if why := blocked(ip); why != "" {
		return badURL("webhook URL %q reaches %s, %s; webhooks may only reach public addresses unless the operator sets STOCKGRAPH_WEBHOOK_ALLOW_PRIVATE=1",
			raw, ip.Unmap(), why)
	}
	return nil
}

func badURL(format string, args ...any) error {
	return apperr.New(apperr.BadUserInput, format, args...).WithField("input.url")
}

// ErrBlocked is the error a delivery gets when its connection would reach
// an address the guard refuses.
var ErrBlocked = errors.New("address not allowed for webhooks")

// Control is a net.Dialer Control function: it runs on the address
// actually dialled, after resolution, and refuses what CheckURL refuses.
func (g Guard) Control(_, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	if why := blocked(ip); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrBlocked, ip.Unmap(), why)
	}
	return nil
}
