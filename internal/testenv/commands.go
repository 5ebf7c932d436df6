package testenv

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// CommandLog is a go-redis hook recording the names of the commands a
// client sends, pipelined ones included, for tests that count Redis round
// trips: client.AddHook(log).
type CommandLog struct {
	mu   sync.Mutex
	cmds []string
}

func (c *CommandLog) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *CommandLog) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.record(cmd)
		return next(ctx, cmd)
	}
}

func (c *CommandLog) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.record(cmds...)
		return next(ctx, cmds)
	}
}

func (c *CommandLog) record(cmds ...redis.Cmder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cmd := range cmds {
		c.cmds = append(c.cmds, cmd.Name())
	}
}

// Take returns the commands recorded since the last Take, and forgets
// them.
func (c *CommandLog) Take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.cmds
	c.cmds = nil
	return out
}
