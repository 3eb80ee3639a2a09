package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// ControlSocketName is the control socket's file in the data directory.
//
// The control socket lets `hotline agent …` manage the agents' accounts
// while a server holds the embedded store (bbolt admits one process per
// file): the command finds the file locked and sends its operation to the
// server over <data>/control.sock instead (accounts.Service.ControlHandler).
// It is a unix socket with file mode 0600, so only the user the server runs
// as (and root) may connect; the handler trusts whoever does. With Redis
// there is no file lock and no socket: the command uses Redis directly.
const ControlSocketName = "control.sock"

// ListenControl serves h on the control socket in dataDir until stop is
// called; stop waits for requests in flight (up to 5 s) and removes the
// socket file. Call it after opening the store: the store's file lock makes
// this process the only server of dataDir. A socket file left by a server
// that died is replaced; one that a live process answers on is an error.
func ListenControl(dataDir string, h http.Handler, log *slog.Logger) (stop func() error, err error) {
	path := filepath.Join(dataDir, ControlSocketName)
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	ln, err := listenPrivate(path)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Debug("control socket listening", "path", path)
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(ctx)
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return err
	}, nil
}

// ControlClient returns an HTTP client whose every request goes to the
// control socket in dataDir, whatever the URL's host (use
// "http://hotline").
func ControlClient(dataDir string) *http.Client {
	path := filepath.Join(dataDir, ControlSocketName)
	return &http.Client{
		Timeout: 30 * time.Second, // a bcrypt hash takes a fraction of it
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", path)
			},
		},
	}
}

// removeStaleSocket removes the socket file at path unless a process
// answers on it. Anything else at path is left alone and reported.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control socket: %s exists and is not a socket", path)
	}
	if conn, err := net.DialTimeout("unix", path, time.Second); err == nil {
		conn.Close()
		return fmt.Errorf("control socket: another process serves %s", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("control socket: remove the stale %s: %w", path, err)
	}
	return nil
}

// listenPrivate listens on a unix socket at path that only this user may
// open. The socket is made in a private directory, restricted, and then
// moved into place, so that it is never reachable with wider permissions.
func listenPrivate(path string) (net.Listener, error) {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".control-")
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// The file is moved away: ListenControl's stop removes it, not Close.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return ln, nil
}
