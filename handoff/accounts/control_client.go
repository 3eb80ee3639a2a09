package accounts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// ControlClient manages accounts through a running server's ControlHandler
// (the control socket), with the same methods and errors as a Service.
type ControlClient struct {
	hc   *http.Client
	base string
}

// NewControlClient returns a client of the ControlHandler at base (for a
// unix socket, any http:// URL with an http.Client that dials the socket).
func NewControlClient(hc *http.Client, base string) *ControlClient {
	return &ControlClient{hc: hc, base: base}
}

// Add creates an account as Service.Add does.
func (c *ControlClient) Add(ctx context.Context, a Agent, password string) (Agent, error) {
	var out Agent
	err := c.do(ctx, http.MethodPost, "/agents", addRequest{Agent: a, Password: password}, &out)
	return out, err
}

// Get returns an account (without its password hash).
func (c *ControlClient) Get(ctx context.Context, username string) (Agent, error) {
	var out Agent
	err := c.do(ctx, http.MethodGet, "/agents/"+url.PathEscape(username), nil, &out)
	return out, err
}

// List returns every account (without password hashes), by username.
func (c *ControlClient) List(ctx context.Context) ([]Agent, error) {
	var out struct{ Agents []Agent }
	err := c.do(ctx, http.MethodGet, "/agents", nil, &out)
	return out.Agents, err
}

// SetPassword replaces the password as Service.SetPassword does.
func (c *ControlClient) SetPassword(ctx context.Context, username, password string) error {
	return c.do(ctx, http.MethodPost, "/agents/"+url.PathEscape(username)+"/password", passwordRequest{Password: password}, nil)
}

// SetDisabled disables or enables the account as Service.SetDisabled does.
func (c *ControlClient) SetDisabled(ctx context.Context, username string, disabled bool) error {
	op := "/enable"
	if disabled {
		op = "/disable"
	}
	return c.do(ctx, http.MethodPost, "/agents/"+url.PathEscape(username)+op, nil, nil)
}

func (c *ControlClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("accounts: control socket: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var f controlFailure
		if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&f); err != nil || f.Error.Code == "" {
			return fmt.Errorf("accounts: control socket: %s", resp.Status)
		}
		return &remoteError{message: f.Error.Message, code: f.Error.Code}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("accounts: control socket: %w", err)
	}
	return nil
}

// remoteError is an error the server answered with: its message, and the
// sentinel its code stands for, so that errors.Is works as with a Service.
type remoteError struct {
	message, code string
}

func (e *remoteError) Error() string { return e.message }

func (e *remoteError) Unwrap() error {
	for _, c := range controlCodes {
		if c.code == e.code {
			return c.err
		}
	}
	return nil
}
