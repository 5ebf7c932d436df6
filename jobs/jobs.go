// Package jobs is switchboard's public job contract: the task types web apps
// enqueue, their payloads, and a Client that enqueues them on asynq with
// sealed provider credentials, collapsing identical requests into one run,
// and waits for their outcomes.
//
// A Go web app imports this package and talks to the same Redis as the
// switchboard workers; apps in other languages use the HTTP API, which is
// built on this package. It depends only on asynq and the standard library.
package jobs

import "time"

// Task type names. They are stable: workers and web apps of different
// versions agree on them.
const (
	// TypeAddPhone adds an owned provider number to a user's inventory and
	// points its voice webhook at the org's default route.
	TypeAddPhone = "number:add"
	// TypeAttach links one or more numbers to a target (an app or an agent).
	TypeAttach = "number:attach"
	// TypeUnlink removes a number's link to a target and restores its
	// default route.
	TypeUnlink = "number:unlink"
	// TypeDeleteTarget unlinks every number of a target (each routed back
	// to the default route) and then deletes the target.
	TypeDeleteTarget = "target:delete"
	// TypeReconcile re-reads one number's provider configuration and
	// repairs drift (someone changed the voice URL in the console).
	TypeReconcile = "number:reconcile"
	// TypeReconcileScan is the periodic task that enqueues a TypeReconcile
	// for every number. Workers schedule it; apps need not.
	TypeReconcileScan = "reconcile:scan"
	// TypeCallback delivers one job's completion event to its callback URL.
	// Workers enqueue it; apps need not.
	TypeCallback = "job:callback"
)

// Queue names. Workers weigh them critical > default > bulk, so jobs a user
// waits on are not starved by a batch import.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueBulk     = "bulk"
)

// Queues maps each queue to its priority weight for an asynq server.
func Queues() map[string]int {
	return map[string]int{QueueCritical: 6, QueueDefault: 3, QueueBulk: 1}
}

// Enqueue defaults applied by Client to every task.
const (
	// DefaultMaxRetry is how many times a failing task is retried before it is
	// archived. Permanent failures are never retried.
	DefaultMaxRetry = 10
	// DefaultTimeout bounds one attempt of a task.
	DefaultTimeout = 2 * time.Minute
	// DefaultRetention keeps a finished task and its outcome in Redis for
	// Wait, and a request's current run is remembered for as long after the
	// last request that started or joined it. The durable record lives in
	// the database.
	DefaultRetention = 24 * time.Hour
	// DefaultPollInterval is how often Wait re-reads a task when no
	// completion notification arrives. Notifications make Wait return as
	// soon as a job finishes; polling only covers lost ones.
	DefaultPollInterval = time.Second
)

// Providers switchboard can provision numbers on.
const (
	ProviderTwilio = "twilio"
	ProviderPlivo  = "plivo"
	ProviderTelnyx = "telnyx"
)
