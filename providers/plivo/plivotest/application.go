package plivotest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

// Application is a snapshot of one Plivo application: where calls to the
// numbers attached to it are answered.
type Application struct {
	AppID               string // numeric string; set by the Server
	AppName             string // [A-Za-z0-9_-] through the API, anything printable in the console; not unique
	AnswerURL           string
	AnswerMethod        string // GET or POST
	HangupURL           string
	HangupMethod        string
	FallbackAnswerURL   string
	FallbackMethod      string
	MessageURL          string
	MessageMethod       string
	DefaultNumberApp    bool // numbers attached without an app_id get it (default_app)
	DefaultEndpointApp  bool
	Enabled             bool
	PublicURI           bool
	LogIncomingMessages bool
}

// AddApplication creates an application in an account, as someone working
// in Plivo's console would, and returns its app_id. Unset methods default
// to POST and an unset hangup URL to the answer URL, as on Plivo. The
// name may hold what the API refuses ("Demo Speak", "0.8522478089992022"
// in Plivo's own recorded list): accounts have such applications.
func (s *Server) AddApplication(authID string, app Application) (string, error) {
	fillDefaults(&app)
	if msg := app.invalidInConsole(); msg != "" {
		return "", fmt.Errorf("plivotest: %s", msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[authID]
	if !ok {
		return "", fmt.Errorf("plivotest: no account %s", authID)
	}
	return s.addApp(a, app), nil
}

// addApp stores app under a fresh id; s.mu must be held.
func (s *Server) addApp(a *account, app Application) string {
	app.AppID = s.appID()
	p := &app
	a.apps = append(a.apps, p)
	a.appByID[app.AppID] = p
	if app.DefaultNumberApp {
		a.setDefault(p)
	}
	return app.AppID
}

// setDefault makes app the account's only default number application.
func (a *account) setDefault(app *Application) {
	for _, o := range a.apps {
		o.DefaultNumberApp = o == app
	}
}

// defaultApp returns the app_id of the account's default number
// application, "" when it has none.
func (a *account) defaultApp() string {
	for _, app := range a.apps {
		if app.DefaultNumberApp {
			return app.AppID
		}
	}
	return ""
}

func fillDefaults(app *Application) {
	for _, m := range []*string{&app.AnswerMethod, &app.HangupMethod, &app.FallbackMethod, &app.MessageMethod} {
		if *m == "" {
			*m = http.MethodPost
		}
	}
	if app.HangupURL == "" {
		app.HangupURL = app.AnswerURL
	}
	app.Enabled = true
}

// invalidName returns why Plivo's API would refuse name, or "".
func invalidName(name string) string {
	if !appNamePattern.MatchString(name) {
		return "app_name must be made of letters, digits, '_' and '-'"
	}
	return ""
}

// invalidInConsole returns why app could not exist at all, or "": a name
// that is empty or not printable, or invalid URLs and methods.
func (app *Application) invalidInConsole() string {
	if app.AppName == "" || strings.ContainsFunc(app.AppName, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return "app_name must be non-empty and printable"
	}
	return app.invalid()
}

// invalid returns why Plivo would refuse app's URLs and methods, or "".
// The name is checked where it is set (invalidName, invalidInConsole):
// an application named in the console keeps its name through updates.
func (app *Application) invalid() string {
	switch {
	case !validURL(app.AnswerURL):
		return "answer_url must be an absolute http(s) URL"
	case !validURL(app.HangupURL):
		return "hangup_url must be an absolute http(s) URL"
	case app.FallbackAnswerURL != "" && !validURL(app.FallbackAnswerURL):
		return "fallback_answer_url must be an absolute http(s) URL"
	case app.MessageURL != "" && !validURL(app.MessageURL):
		return "message_url must be an absolute http(s) URL"
	case !validMethod(app.AnswerMethod) || !validMethod(app.HangupMethod) ||
		!validMethod(app.FallbackMethod) || !validMethod(app.MessageMethod):
		return "methods must be GET or POST"
	}
	return ""
}

// Application returns a snapshot of the account's application appID.
func (s *Server) Application(authID, appID string) (Application, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[authID]
	if !ok || a.appByID[appID] == nil {
		return Application{}, false
	}
	return *a.appByID[appID], true
}

// findApp finds the application appID in a's family (a main account
// reaches its subaccounts' applications by id), with its account; s.mu
// must be held.
func (s *Server) findApp(a *account, appID string) (*Application, *account) {
	for _, o := range s.family(a) {
		if app := o.appByID[appID]; app != nil {
			return app, o
		}
	}
	return nil, nil
}

// Applications counts the account's applications named name.
func (s *Server) Applications(authID, name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[authID]
	if !ok {
		return 0
	}
	n := 0
	for _, app := range a.apps {
		if app.AppName == name {
			n++
		}
	}
	return n
}

// UpdateApplication changes an application in place, as someone working in
// Plivo's console would (to simulate drift).
func (s *Server) UpdateApplication(authID, appID string, change func(*Application)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[authID]
	if !ok || a.appByID[appID] == nil {
		return fmt.Errorf("plivotest: account %s has no application %s", authID, appID)
	}
	app := a.appByID[appID]
	c := *app
	change(&c)
	c.AppID = appID
	if msg := c.invalidInConsole(); msg != "" {
		return fmt.Errorf("plivotest: %s", msg)
	}
	*app = c
	if c.DefaultNumberApp {
		a.setDefault(app)
	}
	return nil
}

// DeleteApplication removes an application, detaching its numbers, as
// deleting it in Plivo's console would.
func (s *Server) DeleteApplication(authID, appID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[authID]
	if !ok || a.appByID[appID] == nil {
		return fmt.Errorf("plivotest: account %s has no application %s", authID, appID)
	}
	delete(a.appByID, appID)
	a.apps = slices.DeleteFunc(a.apps, func(app *Application) bool { return app.AppID == appID })
	for _, n := range a.numbers {
		if n.AppID == appID {
			n.AppID = ""
		}
	}
	return nil
}

func applicationURI(authID, appID string) string {
	return apiRoot + authID + "/Application/" + appID + "/"
}

// applicationJSON is the application resource, every field of Plivo's
// recorded responses (fixtures/applicationGetResponse.json and the objects
// of applicationListResponse.json) included. api_id is set on a fetch and
// left out of list objects.
type applicationJSON struct {
	AnswerMethod       string  `json:"answer_method"`
	AnswerURL          string  `json:"answer_url"`
	APIID              string  `json:"api_id,omitempty"`
	AppID              string  `json:"app_id"`
	AppName            string  `json:"app_name"`
	DefaultApp         bool    `json:"default_app"`
	DefaultEndpointApp bool    `json:"default_endpoint_app"`
	Enabled            bool    `json:"enabled"`
	FallbackAnswerURL  string  `json:"fallback_answer_url"`
	FallbackMethod     string  `json:"fallback_method"`
	HangupMethod       string  `json:"hangup_method"`
	HangupURL          string  `json:"hangup_url"`
	MessageMethod      string  `json:"message_method"`
	MessageURL         string  `json:"message_url"`
	PublicURI          bool    `json:"public_uri"`
	ResourceURI        string  `json:"resource_uri"`
	SIPURI             string  `json:"sip_uri"`
	SubAccount         *string `json:"sub_account"`
}

// wire renders app, which belongs to owner.
func (app *Application) wire(owner *account, apiID string) applicationJSON {
	return applicationJSON{
		AnswerMethod:       app.AnswerMethod,
		AnswerURL:          app.AnswerURL,
		APIID:              apiID,
		AppID:              app.AppID,
		AppName:            app.AppName,
		DefaultApp:         app.DefaultNumberApp,
		DefaultEndpointApp: app.DefaultEndpointApp,
		Enabled:            app.Enabled,
		FallbackAnswerURL:  app.FallbackAnswerURL,
		FallbackMethod:     app.FallbackMethod,
		HangupMethod:       app.HangupMethod,
		HangupURL:          app.HangupURL,
		MessageMethod:      app.MessageMethod,
		MessageURL:         app.MessageURL,
		PublicURI:          app.PublicURI,
		ResourceURI:        applicationURI(owner.AuthID, app.AppID),
		SIPURI:             "sip:" + app.AppID + "@app.plivo.com",
		SubAccount:         owner.subaccountURI(),
	}
}

func (s *Server) getApplication(w http.ResponseWriter, t target) {
	s.mu.Lock()
	app, owner := s.findApp(s.accounts[t.account], t.id)
	var body applicationJSON
	if app != nil {
		body = app.wire(owner, s.apiID())
	}
	s.mu.Unlock()
	if app == nil {
		writeError(w, s.newAPIID(), http.StatusNotFound, "not found")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// applyParams sets the application fields sent in p. It reports what is
// wrong with a parameter, or "".
func (app *Application) applyParams(p params) string {
	strs := []struct {
		name  string
		field *string
	}{
		{"answer_url", &app.AnswerURL},
		{"answer_method", &app.AnswerMethod},
		{"hangup_url", &app.HangupURL},
		{"hangup_method", &app.HangupMethod},
		{"fallback_answer_url", &app.FallbackAnswerURL},
		{"fallback_method", &app.FallbackMethod},
		{"message_url", &app.MessageURL},
		{"message_method", &app.MessageMethod},
	}
	for _, f := range strs {
		v, ok, err := p.str(f.name)
		if err != nil {
			return err.Error()
		}
		if ok {
			*f.field = v
		}
	}
	bools := []struct {
		name  string
		field *bool
	}{
		{"default_number_app", &app.DefaultNumberApp},
		{"default_endpoint_app", &app.DefaultEndpointApp},
		{"public_uri", &app.PublicURI},
		{"log_incoming_messages", &app.LogIncomingMessages},
	}
	for _, f := range bools {
		v, ok, err := p.boolean(f.name)
		if err != nil {
			return err.Error()
		}
		if ok {
			*f.field = v
		}
	}
	return ""
}

// createApplication creates an application: 201 with its app_id. Names
// are not unique, as on Plivo. With subaccount (a main account's own
// subaccount) it is created in that subaccount. An ambiguous create (see
// Faults) is applied and then answered 500.
func (s *Server) createApplication(w http.ResponseWriter, r *http.Request, t target) {
	p, err := readParams(w, r)
	if err != nil {
		writeError(w, s.newAPIID(), http.StatusBadRequest, err.Error())
		return
	}
	var app Application
	name, _, err := p.str("app_name")
	if err != nil {
		writeError(w, s.newAPIID(), http.StatusBadRequest, err.Error())
		return
	}
	sub, _, err := p.str("subaccount")
	if err != nil {
		writeError(w, s.newAPIID(), http.StatusBadRequest, err.Error())
		return
	}
	app.AppName = name
	msg := invalidName(name)
	if msg == "" {
		msg = app.applyParams(p)
	}
	if msg == "" {
		fillDefaults(&app)
		msg = app.invalid()
	}
	if msg != "" {
		writeError(w, s.newAPIID(), http.StatusBadRequest, msg)
		return
	}

	s.mu.Lock()
	into, msg := s.subaccountOf(s.accounts[t.account], sub)
	if msg != "" {
		s.mu.Unlock()
		writeError(w, s.newAPIID(), http.StatusBadRequest, msg)
		return
	}
	id := s.addApp(into, app)
	s.counter.CountApplied()
	ambiguous := sim.Take(&s.faults.AmbiguousCreates)
	empty := s.faults.EmptyErrorBody
	apiID := s.apiID()
	s.mu.Unlock()
	if ambiguous {
		s.writeInternal(w, empty)
		return
	}
	writeJSON(w, http.StatusCreated, createdJSON{APIID: apiID, AppID: id, Message: "created"})
}

// createdJSON is the answer to an application create.
type createdJSON struct {
	APIID   string `json:"api_id"`
	AppID   string `json:"app_id"`
	Message string `json:"message"`
}

// updateApplication changes the fields sent: 202 "changed".
func (s *Server) updateApplication(w http.ResponseWriter, r *http.Request, t target) {
	p, err := readParams(w, r)
	if err != nil {
		writeError(w, s.newAPIID(), http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	app, a := s.findApp(s.accounts[t.account], t.id)
	if app == nil {
		writeError(w, s.apiID(), http.StatusNotFound, "not found")
		return
	}
	c := *app
	msg := c.applyParams(p)
	if sub, _, err := p.str("subaccount"); err != nil || sub != "" && sub != a.AuthID {
		// Moving an application between accounts is not simulated.
		msg = "subaccount must be the application's own account"
	}
	if msg == "" {
		msg = c.invalid()
	}
	if msg != "" {
		writeError(w, s.apiID(), http.StatusBadRequest, msg)
		return
	}
	if c != *app {
		*app = c
		s.counter.CountApplied()
	}
	if c.DefaultNumberApp {
		a.setDefault(app)
	}
	writeJSON(w, http.StatusAccepted, messageJSON{APIID: s.apiID(), Message: "changed"})
}
