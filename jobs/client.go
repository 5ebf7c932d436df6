package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Client enqueues switchboard jobs. It seals credentials with its KeyRing
// (the same key workers open them with) and gives every task a deterministic
// id, so enqueueing the same request twice while the first is pending,
// scheduled, retrying or running returns the first job instead of creating a
// second. A finished (completed or archived) task with the same id is
// replaced: asking again after an outcome is a new request.
//
// A Client is safe for concurrent use.
type Client struct {
	q    *asynq.Client
	insp *asynq.Inspector
	keys *KeyRing
	opts Options
}

// Options are the enqueue settings applied to every task. Zero fields take
// the documented defaults.
type Options struct {
	Queue     string        // default QueueCritical (a user is usually waiting)
	MaxRetry  int           // default DefaultMaxRetry
	Timeout   time.Duration // default DefaultTimeout
	Retention time.Duration // default DefaultRetention
}

func (o Options) withDefaults() Options {
	if o.Queue == "" {
		o.Queue = QueueCritical
	}
	if o.MaxRetry == 0 {
		o.MaxRetry = DefaultMaxRetry
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	return o
}

// NewClient returns a Client on the Redis that workers consume. The caller
// keeps ownership of rdb and closes it after Close.
func NewClient(rdb redis.UniversalClient, keys *KeyRing, opts Options) *Client {
	return &Client{
		q:    asynq.NewClientFromRedisClient(rdb),
		insp: asynq.NewInspectorFromRedisClient(rdb),
		keys: keys,
		opts: opts.withDefaults(),
	}
}

// Close releases the client. It does not close the Redis client.
func (c *Client) Close() error { return nil }

// Job identifies an enqueued task.
type Job struct {
	ID    string
	Type  string
	Queue string
	// Existing is true when the request matched a job that was already
	// pending or running, and no new task was enqueued.
	Existing bool
}

// AddPhoneRequest asks for a number to be added; see AddPhone.
type AddPhoneRequest struct {
	OrgID       int64
	UserID      string
	PhoneNumber string
	Provider    string
	Credentials Credentials
	Override    bool
	CallbackURL string
}

// AddPhone seals the request's credentials and enqueues a TypeAddPhone job.
// It returns ErrInvalid-wrapped errors for malformed requests without
// enqueueing anything.
func (c *Client) AddPhone(ctx context.Context, r AddPhoneRequest) (Job, error) {
	if blank(r.Credentials.Secret) {
		return Job{}, invalid("credentials secret is required")
	}
	sealed, err := c.keys.SealCredentials(r.Credentials)
	if err != nil {
		return Job{}, err
	}
	p := AddPhone{OrgID: r.OrgID, UserID: r.UserID, PhoneNumber: r.PhoneNumber, Provider: r.Provider, Credentials: sealed, Override: r.Override, CallbackURL: r.CallbackURL, RequestID: newRequestID()}
	if err := p.Validate(); err != nil {
		return Job{}, err
	}
	id := "add-" + c.keys.Fingerprint(TypeAddPhone, fmt.Sprint(r.OrgID), r.UserID, digits(r.PhoneNumber), r.Provider,
		r.Credentials.AccountID, r.Credentials.Secret, fmt.Sprint(r.Override), r.CallbackURL)
	return c.enqueue(ctx, TypeAddPhone, p, id)
}

// Attach enqueues a TypeAttach job.
func (c *Client) Attach(ctx context.Context, p Attach) (Job, error) {
	if err := p.Validate(); err != nil {
		return Job{}, err
	}
	// Each number is its own fingerprint part (parts are length-prefixed), so
	// ["a,b"] and ["a", "b"] are different requests.
	parts := append([]string{TypeAttach, fmt.Sprint(p.OrgID), p.TargetID, p.Provider, fmt.Sprint(p.Override), p.CallbackURL}, p.Numbers...)
	id := "attach-" + c.keys.Fingerprint(parts...)
	return c.enqueue(ctx, TypeAttach, p, id)
}

// Unlink enqueues a TypeUnlink job.
func (c *Client) Unlink(ctx context.Context, p Unlink) (Job, error) {
	if err := p.Validate(); err != nil {
		return Job{}, err
	}
	id := "unlink-" + c.keys.Fingerprint(TypeUnlink, fmt.Sprint(p.OrgID), p.TargetID, p.Number, p.CallbackURL)
	return c.enqueue(ctx, TypeUnlink, p, id)
}

func (c *Client) enqueue(ctx context.Context, typ string, payload any, id string) (Job, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return Job{}, err
	}
	job := Job{ID: id, Type: typ, Queue: c.opts.Queue}
	task := asynq.NewTask(typ, b)
	opts := []asynq.Option{
		asynq.TaskID(id), asynq.Queue(c.opts.Queue), asynq.MaxRetry(c.opts.MaxRetry),
		asynq.Timeout(c.opts.Timeout), asynq.Retention(c.opts.Retention),
	}
	// Two rounds at most: a finished task with our id is deleted once and
	// the enqueue retried; a second conflict means a concurrent request won.
	for round := 0; round < 2; round++ {
		_, err = c.q.EnqueueContext(ctx, task, opts...)
		if err == nil {
			return job, nil
		}
		if !errors.Is(err, asynq.ErrTaskIDConflict) {
			return Job{}, fmt.Errorf("jobs: enqueue %s: %w", typ, err)
		}
		info, ierr := c.insp.GetTaskInfo(c.opts.Queue, id)
		switch {
		case errors.Is(ierr, asynq.ErrTaskNotFound):
			continue // it finished and expired between the two calls
		case ierr != nil:
			return Job{}, fmt.Errorf("jobs: enqueue %s: inspect existing task: %w", typ, ierr)
		case info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived:
			if derr := c.insp.DeleteTask(c.opts.Queue, id); derr != nil && !errors.Is(derr, asynq.ErrTaskNotFound) {
				return Job{}, fmt.Errorf("jobs: enqueue %s: replace finished task: %w", typ, derr)
			}
			continue
		default:
			job.Existing = true
			return job, nil
		}
	}
	job.Existing = true
	return job, nil
}

// digits keeps only the digits of a phone number, so "+1 212..." and
// "1212..." give the same task id.
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// newRequestID returns 128 random bits in hex.
func newRequestID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}
