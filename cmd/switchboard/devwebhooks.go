package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// devWebhooks stands in, in `dev`, for the platform numbers' voice
// webhooks point at (SWITCHBOARD_WEBHOOK_BASE_URL = <dev>/dev/webhooks), so
// the sandbox is a complete loop: a provider's request to
// /dev/webhooks/voice/inbound (or /status, /hangup) is logged, kept among
// the recent ones, and answered with a minimal call script; GET
// /dev/webhooks lists the recent events, newest first.
type devWebhooks struct {
	log *slog.Logger
	mu  sync.Mutex
	// recent holds the last maxDevEvents events, oldest first.
	recent []devEvent
}

const maxDevEvents = 50

type devEvent struct {
	At     time.Time  `json:"at"`
	Method string     `json:"method"`
	Path   string     `json:"path"`
	Form   url.Values `json:"form,omitempty"`
}

// answerXML is understood by Twilio (TwiML), Plivo and Telnyx (TeXML).
const answerXML = `<?xml version="1.0" encoding="UTF-8"?>
<Response><Speak>switchboard dev received this call</Speak></Response>
`

func (d *devWebhooks) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /dev/webhooks", d.list)
	mux.HandleFunc("/dev/webhooks/voice/{event}", d.receive)
	return mux
}

func (d *devWebhooks) receive(w http.ResponseWriter, r *http.Request) {
	switch r.PathValue("event") {
	case "inbound", "status", "hangup":
	default:
		http.NotFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	_ = r.ParseForm()
	ev := devEvent{At: time.Now().UTC(), Method: r.Method, Path: r.URL.Path, Form: r.Form}
	d.mu.Lock()
	d.recent = append(d.recent, ev)
	if len(d.recent) > maxDevEvents {
		d.recent = d.recent[len(d.recent)-maxDevEvents:]
	}
	d.mu.Unlock()
	d.log.Info("dev webhook", "method", ev.Method, "path", ev.Path, "from", r.Form.Get("From"), "to", r.Form.Get("To"))
	w.Header().Set("Content-Type", "application/xml")
	_, _ = w.Write([]byte(answerXML))
}

func (d *devWebhooks) list(w http.ResponseWriter, _ *http.Request) {
	d.mu.Lock()
	events := make([]devEvent, 0, len(d.recent))
	for i := len(d.recent) - 1; i >= 0; i-- {
		events = append(events, d.recent[i])
	}
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"events": events})
}
