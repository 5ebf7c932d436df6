package telnyx

import "github.com/switchboardhq/switchboard/providers"

// appKind is the kind of application a route's numbers are attached to:
// a TeXML application by default, a Call Control application when the
// route asks for it (providers.Route.CallControl).
//
// TeXML applications fetch XML instructions from their voice_url when a
// call arrives and post the call's status events to status_callback, as
// Twilio numbers and Plivo applications do, so one route behaves the same
// on every provider. Call Control applications post JSON events to their
// webhook_event_url and ignore the reply: they suit a route whose
// VoiceURL is a Call Control client, not one answering with instructions.
type appKind struct {
	path       string // the collection, /v2/...
	nameFilter string // the list's case-insensitive "contains" name filter
	name       func(application) string
	// routes reports whether app already routes r's calls as it should.
	routes func(app application, r providers.Route) bool
	// create and update are the bodies that create r's application and
	// put an existing one back on r.
	create, update func(r providers.Route) any
}

const texmlMethod = "post"

var (
	texmlKind = &appKind{
		path:       "/v2/texml_applications",
		nameFilter: "filter[friendly_name]",
		name:       func(a application) string { return a.FriendlyName },
		routes: func(a application, r providers.Route) bool {
			return a.VoiceURL == r.VoiceURL && a.VoiceMethod == texmlMethod && a.StatusCallback == statusCallback(r) && a.active()
		},
		create: texmlBody,
		update: texmlBody,
	}
	callControlKind = &appKind{
		path:       "/v2/call_control_applications",
		nameFilter: "filter[application_name][contains]",
		name:       func(a application) string { return a.ApplicationName },
		routes: func(a application, r providers.Route) bool {
			return a.WebhookEventURL == r.VoiceURL && a.active()
		},
		update: func(r providers.Route) any {
			return applicationUpdate{ApplicationName: r.Name, WebhookEventURL: r.VoiceURL, Active: true}
		},
		create: func(r providers.Route) any {
			return applicationCreate{
				ApplicationName:         r.Name,
				WebhookEventURL:         r.VoiceURL,
				WebhookEventFailoverURL: "",
				WebhookAPIVersion:       "2",
				WebhookTimeoutSecs:      webhookTimeoutSecs,
				Active:                  true,
			}
		},
	}
)

// texmlBody creates or updates r's TeXML application.
func texmlBody(r providers.Route) any {
	var status *string
	if s := statusCallback(r); s != "" {
		status = &s
	}
	return texmlApplication{FriendlyName: r.Name, VoiceURL: r.VoiceURL, VoiceMethod: texmlMethod,
		StatusCallback: status, StatusCallbackMethod: texmlMethod, Active: true}
}

// kindOf is the kind of application route r's numbers go on.
func kindOf(r providers.Route) *appKind {
	if r.CallControl {
		return callControlKind
	}
	return texmlKind
}

// statusCallback is where a TeXML application posts call status events,
// the call's end included: the route's status callback, or its hangup URL
// when it has none. (TeXML has one status callback where Plivo has a
// hangup URL; Twilio numbers, too, get only the status callback.)
func statusCallback(r providers.Route) string {
	if r.StatusCallback != "" {
		return r.StatusCallback
	}
	return r.HangupURL
}
