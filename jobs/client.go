package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Client enqueues switchboard jobs and waits for their outcomes. It seals
// credentials with its KeyRing (the same key workers open them with).
//
// Identical requests share a run: every request has a deterministic request
// key (Job.Request), and while a run of it is pending, scheduled, retrying or
// running, enqueueing the request again returns that run (Existing) instead
// of creating a second one, across all processes on the same Redis. A request
// repeated after its run finished (its outcome is final, or its task is
// completed or archived) starts a new run with a new task id; finished runs
// are never deleted or replaced, so their outcome stays readable under their
// own id. See RequestOf.
//
// A Client is safe for concurrent use. Call Close when done with it.
type Client struct {
	rdb  redis.UniversalClient
	q    *asynq.Client
	insp *asynq.Inspector
	keys *KeyRing
	opts Options
	done *listener
	// published holds the queues EnqueueAddPhones added to asynq:queues.
	published sync.Map
}

// Options configure a Client: the enqueue settings applied to every task,
// and how Wait watches a task. Zero fields take the documented defaults.
type Options struct {
	Queue     string        // default QueueCritical (a user is usually waiting)
	MaxRetry  int           // default DefaultMaxRetry
	Timeout   time.Duration // default DefaultTimeout
	Retention time.Duration // default DefaultRetention
	// PollInterval is how often Wait re-reads a task when no completion
	// notification arrives (see DoneChannel). Default DefaultPollInterval.
	PollInterval time.Duration
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
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	return o
}

// NewClient returns a Client on the Redis that workers consume. The caller
// must Close the Client (it holds a subscription once Wait is used), and
// keeps ownership of rdb, which it closes after Close.
func NewClient(rdb redis.UniversalClient, keys *KeyRing, opts Options) *Client {
	return &Client{
		rdb:  rdb,
		q:    asynq.NewClientFromRedisClient(rdb),
		insp: asynq.NewInspectorFromRedisClient(rdb),
		keys: keys,
		opts: opts.withDefaults(),
		done: newListener(rdb),
	}
}

// Close releases the Client's subscription to completion notifications.
// Waits still running go on by polling. It does not close the Redis client
// and always returns nil.
func (c *Client) Close() error {
	c.done.close()
	return nil
}

// Job identifies one run of a request.
type Job struct {
	// ID is the run's task id, "<Request>.<run suffix>"; no two runs share
	// one. Workers key the durable job record by it.
	ID string
	// Request is the request key, the same for every run of identical
	// requests: RequestOf(ID).
	Request string
	Type    string
	Queue   string
	// Existing is true when the request joined a run that was already in
	// flight (or that another process enqueued first), and no new task was
	// enqueued.
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
	parts := []string{TypeAddPhone, fmt.Sprint(r.OrgID), r.UserID, digits(r.PhoneNumber), r.Provider,
		r.Credentials.AccountID, r.Credentials.Secret, fmt.Sprint(r.Override), r.CallbackURL}
	if r.Credentials.Username != "" {
		parts = append(parts, r.Credentials.Username) // appended only when set: earlier ids stay the same
	}
	request := "add-" + c.keys.Fingerprint(parts...)
	// RequestID is the run id, known once the run is chosen; the request key
	// stands in for it while validating.
	p := AddPhone{OrgID: r.OrgID, UserID: r.UserID, PhoneNumber: r.PhoneNumber, Provider: r.Provider, Credentials: sealed, Override: r.Override, CallbackURL: r.CallbackURL, RequestID: request}
	if err := p.Validate(); err != nil {
		return Job{}, err
	}
	return c.enqueue(ctx, TypeAddPhone, request, func(run string) any {
		p.RequestID = run
		return p
	})
}

// EnqueueAddPhone enqueues p, a TypeAddPhone payload whose credentials are
// already sealed (a stored connection's), under the task id p.RequestID,
// which the caller chose deterministically: a batch import names each
// row's run "<batch>-<line>.<run>". It bypasses the request pointer of
// AddPhone: the id itself keeps the run unique, and a task already there
// under it (pending, running or finished and retained) is joined, not
// enqueued again (Job.Existing).
func (c *Client) EnqueueAddPhone(ctx context.Context, p AddPhone) (Job, error) {
	if err := p.Validate(); err != nil {
		return Job{}, err
	}
	return c.enqueueRun(ctx, TypeAddPhone, pointer{run: p.RequestID}, func(string) any { return p })
}

// Attach enqueues a TypeAttach job.
func (c *Client) Attach(ctx context.Context, p Attach) (Job, error) {
	if err := p.Validate(); err != nil {
		return Job{}, err
	}
	// Each number is its own fingerprint part (parts are length-prefixed), so
	// ["a,b"] and ["a", "b"] are different requests.
	parts := append([]string{TypeAttach, fmt.Sprint(p.OrgID), p.TargetID, p.Provider, fmt.Sprint(p.Override), p.CallbackURL}, p.Numbers...)
	request := "attach-" + c.keys.Fingerprint(parts...)
	return c.enqueue(ctx, TypeAttach, request, func(string) any { return p })
}

// Unlink enqueues a TypeUnlink job.
func (c *Client) Unlink(ctx context.Context, p Unlink) (Job, error) {
	if err := p.Validate(); err != nil {
		return Job{}, err
	}
	request := "unlink-" + c.keys.Fingerprint(TypeUnlink, fmt.Sprint(p.OrgID), p.TargetID, p.Number, p.CallbackURL)
	return c.enqueue(ctx, TypeUnlink, request, func(string) any { return p })
}

// DeleteTarget enqueues a TypeDeleteTarget job.
func (c *Client) DeleteTarget(ctx context.Context, p DeleteTarget) (Job, error) {
	if err := p.Validate(); err != nil {
		return Job{}, err
	}
	request := "delete-" + c.keys.Fingerprint(TypeDeleteTarget, fmt.Sprint(p.OrgID), p.TargetID, p.CallbackURL)
	return c.enqueue(ctx, TypeDeleteTarget, request, func(string) any { return p })
}

// maxEnqueueRounds bounds how often enqueue re-reads a request's pointer
// after losing a race for it. Each lost race means another process moved the
// request to a new run, which the next round joins, so two rounds suffice
// unless runs finish as fast as they are created.
const maxEnqueueRounds = 10

// enqueue joins the current run of request or starts a new one, whose
// payload is payload(run id). The steps, each safe against any number of
// processes doing the same (see pointer):
//
//   - no pointer: claim a new run id (compare-and-swap from nothing) and
//     enqueue it; on losing the claim, read the winner's pointer;
//   - a run in flight: join it;
//   - a claimed run whose task is not there: its creator has not enqueued it
//     yet, or died before it did; enqueue it under the same id (asynq's
//     ErrTaskIDConflict then means another process did: join it);
//   - a finished run, or an enqueued one whose task is gone: swap the
//     pointer to a new run id and enqueue it; of several processes that saw
//     the same finished run one wins the swap and the others join its run.
//
// Finished tasks are never deleted.
func (c *Client) enqueue(ctx context.Context, typ, request string, payload func(run string) any) (Job, error) {
	for range maxEnqueueRounds {
		p, err := readPointer(ctx, c.rdb, c.opts.Queue, request)
		if err != nil {
			return Job{}, fmt.Errorf("jobs: enqueue %s: read current run: %w", typ, err)
		}
		if p.run != "" {
			info, err := c.insp.GetTaskInfo(c.opts.Queue, p.run)
			switch {
			case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
				if p.state == pointerClaimed {
					return c.enqueueRun(ctx, typ, p, payload)
				}
				// Enqueued once and gone since: as good as finished.
			case err != nil:
				return Job{}, fmt.Errorf("jobs: enqueue %s: inspect current run: %w", typ, err)
			case !finished(info):
				// Join it. Marking it enqueued (if its creator has not) and
				// renewing the pointer's TTL are best effort: losing the swap
				// means another process moved the pointer, and the run
				// joined is in flight either way.
				_, _ = p.swap(ctx, c.rdb, pointerValue(pointerEnqueued, p.run), c.opts.Retention)
				return c.job(typ, p.run, true), nil
			}
		}
		// No run, or a finished one: start the next.
		next := p
		next.state, next.run = pointerClaimed, newRunID(request)
		next.value = pointerValue(next.state, next.run)
		won, err := p.swap(ctx, c.rdb, next.value, c.opts.Retention)
		if err != nil {
			return Job{}, fmt.Errorf("jobs: enqueue %s: claim a run: %w", typ, err)
		}
		if won {
			return c.enqueueRun(ctx, typ, next, payload)
		}
	}
	return Job{}, fmt.Errorf("jobs: enqueue %s: the request's current run changed %d times in a row", typ, maxEnqueueRounds)
}

// enqueueRun enqueues the claimed run of p, or joins it if another process
// enqueued it first. A failure leaves the pointer claimed, so the next
// identical request enqueues the run.
func (c *Client) enqueueRun(ctx context.Context, typ string, p pointer, payload func(run string) any) (Job, error) {
	b, err := json.Marshal(payload(p.run))
	if err != nil {
		return Job{}, err
	}
	job := c.job(typ, p.run, false)
	_, err = c.q.EnqueueContext(ctx, asynq.NewTask(typ, b),
		asynq.TaskID(p.run), asynq.Queue(c.opts.Queue), asynq.MaxRetry(c.opts.MaxRetry),
		asynq.Timeout(c.opts.Timeout), asynq.Retention(c.opts.Retention))
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict):
		job.Existing = true
	case err != nil:
		return Job{}, fmt.Errorf("jobs: enqueue %s: %w", typ, err)
	}
	// The task exists: mark the run enqueued, so that once the task is gone
	// the run counts as finished and is not enqueued again. Best effort: a
	// lost swap means another process marked or moved the pointer, and
	// anyone who later joins the run marks it too. A run without a pointer
	// (EnqueueAddPhone) has nothing to mark.
	if p.key != "" {
		_, _ = p.swap(ctx, c.rdb, pointerValue(pointerEnqueued, p.run), c.opts.Retention)
	}
	return job, nil
}

func (c *Client) job(typ, run string, existing bool) Job {
	return Job{ID: run, Request: RequestOf(run), Type: typ, Queue: c.opts.Queue, Existing: existing}
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

// EnqueueTask enqueues a task switchboard builds itself (a callback's
// delivery), as asynq.Client.EnqueueContext does, with opts as given.
func (c *Client) EnqueueTask(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	return c.q.EnqueueContext(ctx, t, opts...)
}
