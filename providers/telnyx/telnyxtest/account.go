package telnyxtest

import (
	"fmt"
	"net/http"
	"strings"
)

// Account is a snapshot of one simulated account, known by its API key.
// (Telnyx accounts can have several keys; the simulator gives each its own
// account, which is all an adapter can tell apart.)
type Account struct {
	APIKey string
	// BalanceCents and CreditLimitCents are in hundredths of Currency.
	BalanceCents     int64
	CreditLimitCents int64
	Currency         string // ISO 4217
	// ReadOnly keys are answered 403 (code 10010) on every write.
	ReadOnly bool
	// NoBalance keys are answered 403 (code 10010) on GET /v2/balance:
	// the key's role may not read billing, yet it authenticates and may
	// manage numbers.
	NoBalance bool
}

// account is an Account with its numbers and connections, in creation
// order (the order lists return numbers in).
type account struct {
	Account
	numbers     []*Number
	numbersByID map[string]*Number
	byE164      map[string]*Number
	conns       []*Connection
	connsByID   map[string]*Connection
}

// AddAccount creates an account for apiKey, with a balance of 300.00 USD
// and a credit limit of 100.00. Keys must be printable ASCII without
// spaces, as they travel in an Authorization header.
func (s *Server) AddAccount(apiKey string) error {
	if apiKey == "" || strings.ContainsFunc(apiKey, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return fmt.Errorf("telnyxtest: API key %q must be non-empty printable ASCII without spaces", apiKey)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[apiKey]; ok {
		return fmt.Errorf("telnyxtest: an account with API key %s exists", apiKey)
	}
	s.accounts[apiKey] = &account{
		Account:     Account{APIKey: apiKey, BalanceCents: 30000, CreditLimitCents: 10000, Currency: "USD"},
		numbersByID: map[string]*Number{},
		byE164:      map[string]*Number{},
		connsByID:   map[string]*Connection{},
	}
	return nil
}

// Account returns a snapshot of an account.
func (s *Server) Account(apiKey string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return Account{}, false
	}
	return a.Account, true
}

// UpdateAccount changes an account in place (balance, read-only key); the
// API key cannot change.
func (s *Server) UpdateAccount(apiKey string, change func(*Account)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return fmt.Errorf("telnyxtest: no account with API key %s", apiKey)
	}
	c := a.Account
	change(&c)
	c.APIKey = apiKey
	a.Account = c
	return nil
}

// balanceJSON is Telnyx's balance resource. Amounts are decimal strings.
type balanceJSON struct {
	RecordType      string `json:"record_type"`
	Balance         string `json:"balance"`
	CreditLimit     string `json:"credit_limit"`
	AvailableCredit string `json:"available_credit"`
	Currency        string `json:"currency"`
}

func (a *Account) wire() balanceJSON {
	return balanceJSON{
		RecordType:      "balance",
		Balance:         money(a.BalanceCents),
		CreditLimit:     money(a.CreditLimitCents),
		AvailableCredit: money(a.BalanceCents + a.CreditLimitCents),
		Currency:        a.Currency,
	}
}

// money formats cents as "300.00".
func money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

func (s *Server) getBalance(w http.ResponseWriter, key string) {
	s.mu.Lock()
	a := s.accounts[key]
	body, denied := a.wire(), a.NoBalance
	s.mu.Unlock()
	if denied {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Data balanceJSON `json:"data"`
	}{body})
}
