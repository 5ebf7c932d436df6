package plivotest

import (
	"fmt"
	"net/http"
	"regexp"
)

// Account is a snapshot of one simulated account: what the account fetch
// reports, and the auth token that authenticates it.
type Account struct {
	AuthID       string // "MA" (main) or "SA" (subaccount) and 18 characters
	AuthToken    string
	Name         string
	AccountType  string // "standard", or "developer" on a free trial
	BillingMode  string // "prepaid" or "postpaid"
	CashCredits  string // "4.88860"
	AutoRecharge bool
	Address      string
	City         string
	State        string
	Timezone     string
}

// account is an Account with its numbers and applications.
type account struct {
	Account
	numbers map[string]*Number      // by digits
	apps    []*Application          // in creation order
	appByID map[string]*Application // by app_id
}

var authIDPattern = regexp.MustCompile(`^[MS]A[A-Z0-9]{18}$`)

// AddAccount creates an account with an auth token, or replaces the token
// of an existing one.
func (s *Server) AddAccount(authID, token string) error {
	if !authIDPattern.MatchString(authID) {
		return fmt.Errorf("plivotest: auth ID %q is not MA or SA followed by 18 capitals or digits", authID)
	}
	if token == "" {
		return fmt.Errorf("plivotest: empty auth token for %s", authID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.accounts[authID]; ok {
		a.AuthToken = token
		return nil
	}
	s.accounts[authID] = &account{
		Account: Account{
			AuthID:      authID,
			AuthToken:   token,
			Name:        authID,
			AccountType: "standard",
			BillingMode: "prepaid",
			CashCredits: "0.00000",
			Timezone:    "Asia/Kolkata",
		},
		numbers: map[string]*Number{},
		appByID: map[string]*Application{},
	}
	return nil
}

// Account returns a snapshot of an account.
func (s *Server) Account(authID string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[authID]
	if !ok {
		return Account{}, false
	}
	return a.Account, true
}

// UpdateAccount changes an account in place, as someone working in
// Plivo's console would (name, credits, token).
func (s *Server) UpdateAccount(authID string, change func(*Account)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[authID]
	if !ok {
		return fmt.Errorf("plivotest: no account %s", authID)
	}
	c := a.Account
	change(&c)
	c.AuthID = authID // the key cannot change
	a.Account = c
	return nil
}

// accountJSON is the account resource, every field of Plivo's recorded
// response (fixtures/accountGetResponse.json) included. It never holds the
// auth token.
type accountJSON struct {
	AccountType  string `json:"account_type"`
	Address      string `json:"address"`
	APIID        string `json:"api_id"`
	AuthID       string `json:"auth_id"`
	AutoRecharge bool   `json:"auto_recharge"`
	BillingMode  string `json:"billing_mode"`
	CashCredits  string `json:"cash_credits"`
	City         string `json:"city"`
	Name         string `json:"name"`
	ResourceURI  string `json:"resource_uri"`
	State        string `json:"state"`
	Timezone     string `json:"timezone"`
}

func (a *Account) wire(apiID string) accountJSON {
	return accountJSON{
		AccountType:  a.AccountType,
		Address:      a.Address,
		APIID:        apiID,
		AuthID:       a.AuthID,
		AutoRecharge: a.AutoRecharge,
		BillingMode:  a.BillingMode,
		CashCredits:  a.CashCredits,
		City:         a.City,
		Name:         a.Name,
		ResourceURI:  accountURI(a.AuthID),
		State:        a.State,
		Timezone:     a.Timezone,
	}
}

func accountURI(authID string) string { return apiRoot + authID + "/" }

func (s *Server) getAccount(w http.ResponseWriter, t target) {
	s.mu.Lock()
	body := s.accounts[t.account].wire(s.apiID())
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}
