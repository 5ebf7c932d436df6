package plivotest

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Account is a snapshot of one simulated account: what the account fetch
// reports, and the auth token that authenticates it.
type Account struct {
	AuthID       string // "MA" (main) or "SA" (subaccount) and 18 characters
	AuthToken    string
	Parent       string // a subaccount's main account; "" for a main account
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
	if err := checkAccount(authID, token); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.accounts[authID]; ok {
		a.AuthToken = token
		return nil
	}
	s.accounts[authID] = newAccount(authID, token, "")
	return nil
}

// AddSubaccount creates the subaccount authID ("SA…", its own auth token)
// of the main account parent, as Plivo's console or Subaccount API would.
// The main account's credentials reach the subaccount's numbers
// (reported with sub_account set) and, with the subaccount parameter, its
// applications; the subaccount's credentials reach only its own.
func (s *Server) AddSubaccount(parent, authID, token string) error {
	if err := checkAccount(authID, token); err != nil {
		return err
	}
	if authID[:2] != "SA" {
		return fmt.Errorf("plivotest: subaccount auth ID %q does not start with SA", authID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.accounts[parent]
	switch {
	case !ok:
		return fmt.Errorf("plivotest: no account %s", parent)
	case p.Parent != "":
		return fmt.Errorf("plivotest: %s is itself a subaccount", parent)
	case s.accounts[authID] != nil:
		return fmt.Errorf("plivotest: account %s exists", authID)
	}
	s.accounts[authID] = newAccount(authID, token, parent)
	return nil
}

func checkAccount(authID, token string) error {
	if !authIDPattern.MatchString(authID) {
		return fmt.Errorf("plivotest: auth ID %q is not MA or SA followed by 18 capitals or digits", authID)
	}
	if token == "" {
		return fmt.Errorf("plivotest: empty auth token for %s", authID)
	}
	return nil
}

func newAccount(authID, token, parent string) *account {
	return &account{
		Account: Account{
			AuthID:      authID,
			AuthToken:   token,
			Parent:      parent,
			Name:        authID,
			AccountType: "standard",
			BillingMode: "prepaid",
			CashCredits: "0.00000",
			Timezone:    "Asia/Kolkata",
		},
		numbers: map[string]*Number{},
		appByID: map[string]*Application{},
	}
}

// family is a: a main account and its subaccounts, or a subaccount alone
// (what its credentials reach); s.mu must be held. The main account comes
// first, the subaccounts in auth ID order.
func (s *Server) family(a *account) []*account {
	out := []*account{a}
	if a.Parent != "" {
		return out
	}
	var subs []*account
	for _, o := range s.accounts {
		if o.Parent == a.AuthID {
			subs = append(subs, o)
		}
	}
	slices.SortFunc(subs, func(x, y *account) int { return strings.Compare(x.AuthID, y.AuthID) })
	return append(out, subs...)
}

// subaccountOf resolves the subaccount parameter sent by a: the account a
// request acts on. Only a main account may name one, and only its own.
func (s *Server) subaccountOf(a *account, sub string) (*account, string) {
	if sub == "" {
		return a, ""
	}
	o := s.accounts[sub]
	switch {
	case a.Parent != "":
		return nil, "subaccount can be set only by the main account"
	case o == nil || o.Parent != a.AuthID:
		return nil, fmt.Sprintf("subaccount %s is not a subaccount of this account", sub)
	}
	return o, ""
}

// subaccountURI is what a number or an application of a subaccount
// reports as its sub_account (the subaccount's resource_uri); nil for a
// main account's.
func (a *account) subaccountURI() *string {
	if a.Parent == "" {
		return nil
	}
	return new(apiRoot + a.Parent + "/Subaccount/" + a.AuthID + "/")
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
	c.AuthID, c.Parent = authID, a.Parent // the key and the family cannot change
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
