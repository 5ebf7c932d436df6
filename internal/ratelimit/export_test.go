package ratelimit

import "context"

// Bind is what Wrap does to an operation's context, for tests that call an
// adapter directly to see how it reads the limiter's answers.
func Bind(ctx context.Context, l *Limiter, provider, account, op string) context.Context {
	return withBinding(ctx, &binding{l: l, provider: provider, account: account, op: op})
}

// Bound reports whether ctx carries an operation's binding, as Transport
// reads it.
func Bound(ctx context.Context) bool { return bindingOf(ctx) != nil }
