package worker

import (
	"github.com/switchboardhq/switchboard/providers"
)

// defaultRoute is where an org's numbers send calls when they are not
// linked to a target: the platform's own webhooks under WebhookBaseURL.
// Its name is deterministic per org, so providers that need an application
// create one per org and reuse it forever after.
func (w *Worker) defaultRoute(orgID int64, override bool) providers.Route {
	base := w.webhooks.String()
	return providers.Route{
		Name:           providers.RouteName(orgID, "default"),
		VoiceURL:       base + "/voice/inbound",
		StatusCallback: base + "/voice/status",
		HangupURL:      base + "/voice/hangup",
		Override:       override,
	}
}
