package workertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
)

// FailFirst is a Redis hook that fails the first command named one of
// Names (lower case: "evalsha" and "eval" for a script, as asynq's
// enqueue is) whose arguments mention Key, alone or in a pipeline (the
// whole pipeline then fails), as a Redis blip would; every other command
// goes through. Add it to a client of the Env's Redis database and give
// that client to a worker (StartWorkerWith) to fail one step the worker
// takes.
type FailFirst struct {
	Names []string
	Key   string
	fired atomic.Bool
}

// Scripts is the Names of a script call.
var Scripts = []string{"evalsha", "eval"}

// Fired says whether the hook has failed its command.
func (f *FailFirst) Fired() bool { return f.fired.Load() }

func (f *FailFirst) matches(cmd redis.Cmder) bool {
	return slices.Contains(f.Names, cmd.Name()) && strings.Contains(fmt.Sprint(cmd.Args()...), f.Key)
}

var errInjected = errors.New("injected: connection reset by peer")

func (f *FailFirst) DialHook(next redis.DialHook) redis.DialHook { return next }

func (f *FailFirst) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if f.matches(cmd) && f.fired.CompareAndSwap(false, true) {
			cmd.SetErr(errInjected)
			return errInjected
		}
		return next(ctx, cmd)
	}
}

func (f *FailFirst) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if slices.ContainsFunc(cmds, f.matches) && f.fired.CompareAndSwap(false, true) {
			for _, c := range cmds {
				c.SetErr(errInjected)
			}
			return errInjected
		}
		return next(ctx, cmds)
	}
}

// RedisWith is a new client of the Env's Redis database with hook added,
// closed when the test ends: give it to a worker (StartWorkerWith) or an
// importer to fail the step the hook names.
func (e *Env) RedisWith(t testing.TB, hook redis.Hook) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(e.Redis.(*redis.Client).Options())
	t.Cleanup(func() { rdb.Close() })
	rdb.AddHook(hook)
	return rdb
}
