package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jwtrot/jwtrot/internal/demoserver"
	"github.com/jwtrot/jwtrot/jwtrot"
	"github.com/jwtrot/jwtrot/rotation"
)

func (e *env) serve(args []string) error {
	f := newFlags(e, "serve", `-keyring FILE [-addr HOST:PORT]

One instance of the HTTP middleware (POST /login user=NAME, GET /me, POST
/transfer) over a keyring file, read again every reload interval: an edit
of the file reaches the running instance, with no restart. Prints
"listening on http://ADDR" on stdout, logs reloads on stderr, and stops on
SIGINT or SIGTERM.

Example:
  demo serve -keyring keyring.json -addr 127.0.0.1:8080`)
	keyring := f.fs.String("keyring", "", "the keyring `FILE` (make one with 'demo keyring new')")
	addr := f.fs.String("addr", "127.0.0.1:8080", "listen on `host:port`; port 0: any free one")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if *keyring == "" {
		return errors.New("no keyring: give -keyring FILE (make one with 'demo keyring new -o FILE')")
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	d, err := rotation.NewKeyringDeriver(rotation.KeyringFile(*keyring), rotation.WithLogger(logger))
	if err != nil {
		return fmt.Errorf("-keyring: %w", err)
	}
	defer d.Close()
	a, err := jwtrot.New(d)
	if err != nil {
		return err
	}
	h, err := demoserver.New(a)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	fmt.Fprintf(e.stdout, "listening on http://%s\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
