// Package telemetry is switchboard's Prometheus instrumentation: queue
// depth and latency read from asynq on each scrape, job outcomes and
// durations, provider calls by operation and result, rate-limit refusals,
// webhook reconfigurations and drift repairs. One Metrics value is created
// per process and passed to the pieces that record into it.
package telemetry

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the process's collectors. A nil *Metrics records nothing,
// so tests and tools need not set one up.
type Metrics struct {
	registry        *prometheus.Registry
	jobs            *prometheus.CounterVec
	jobDuration     *prometheus.HistogramVec
	providerCalls   *prometheus.CounterVec
	providerLatency *prometheus.HistogramVec
	rateLimited     *prometheus.CounterVec
	reconfigured    *prometheus.CounterVec
	driftRepairs    *prometheus.CounterVec
	httpCalls       *prometheus.CounterVec
	httpLatency     *prometheus.HistogramVec
}

// New registers switchboard's metrics, and the Go runtime and process
// collectors, on a registry of its own.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_jobs_total", Help: "Job attempts by type and outcome (succeeded, failed, retried).",
		}, []string{"type", "outcome"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_job_duration_seconds", Help: "Duration of one job attempt.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}, []string{"type"}),
		providerCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_provider_requests_total", Help: "Provider adapter operations by provider, operation and status (ok or the error kind).",
		}, []string{"provider", "operation", "status"}),
		providerLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_provider_request_duration_seconds", Help: "Duration of provider adapter operations.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"provider", "operation"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_ratelimit_waits_total", Help: "Provider calls held back by rate limits: result is refused (rescheduled by switchboard's limiter) or provider_429.",
		}, []string{"provider", "result"}),
		reconfigured: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_webhook_reconfigurations_total", Help: "Numbers whose voice webhook configuration switchboard changed.",
		}, []string{"provider"}),
		driftRepairs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_drift_repairs_total", Help: "Numbers put back after their configuration drifted at the provider.",
		}, []string{"provider"}),
	}
	m.httpCalls, m.httpLatency = newHTTPMetrics()
	m.registry.MustRegister(m.httpCalls, m.httpLatency, m.jobs, m.jobDuration, m.providerCalls, m.providerLatency, m.rateLimited, m.reconfigured, m.driftRepairs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Register adds another collector (e.g. the queue collector).
func (m *Metrics) Register(c prometheus.Collector) error { return m.registry.Register(c) }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Job records one job attempt.
func (m *Metrics) Job(typ, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.jobs.WithLabelValues(typ, outcome).Inc()
	m.jobDuration.WithLabelValues(typ).Observe(d.Seconds())
}

// Reconfigured counts a number whose webhook configuration changed.
func (m *Metrics) Reconfigured(provider string) {
	if m != nil {
		m.reconfigured.WithLabelValues(provider).Inc()
	}
}

// DriftRepaired counts a drifted number put back.
func (m *Metrics) DriftRepaired(provider string) {
	if m != nil {
		m.driftRepairs.WithLabelValues(provider).Inc()
	}
}
