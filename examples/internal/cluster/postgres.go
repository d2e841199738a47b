package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// postgres is a PostgreSQL server of the cluster's own: a data directory in
// the cluster's directory, listening on 127.0.0.1 only, run as the
// postgres user when the cluster runs as root (PostgreSQL refuses root).
// The postmaster is a child Process, so it dies with the program that
// started it, and starts again when it dies by itself.
type postgres struct {
	bin  string // the directory of initdb, postgres and psql
	dir  string // holds data/, the socket and the log
	port int
	// cred runs commands as the postgres user: nil when the current user
	// is not root.
	cred *syscall.Credential
	proc *Process
}

// pgBinDir finds the newest PostgreSQL server installation: Debian keeps
// each major version in /usr/lib/postgresql/N/bin; elsewhere initdb is on
// the PATH.
func pgBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL is not installed: no initdb in /usr/lib/postgresql/*/bin or on the PATH " +
		"(on Debian: apt-get install postgresql)")
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func newPostgres(dir string, port int) (*postgres, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	pg := &postgres{bin: bin, dir: dir, port: port}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL refuses to run as root, and there is no postgres user to run it: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		// The postgres user must be able to reach the directory.
		for d := filepath.Dir(dir); d != "/" && d != "."; d = filepath.Dir(d) {
			if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o001 == 0 {
				return nil, fmt.Errorf("the postgres user cannot reach %s: %s is not searchable by others", dir, d)
			}
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return pg, nil
}

// command is a PostgreSQL program run as the user that runs the server.
func (pg *postgres) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(pg.bin, name), args...)
	cmd.Dir = pg.dir
	setCredential(cmd, pg.cred)
	return cmd
}

func (pg *postgres) run(ctx context.Context, name string, args ...string) error {
	out, err := pg.command(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func (pg *postgres) data() string { return filepath.Join(pg.dir, "data") }

// init creates the database cluster and the temporal role.
func (pg *postgres) init(ctx context.Context) error {
	if err := pg.run(ctx, "initdb", "-D", pg.data(), "-U", "postgres", "--auth-local=trust",
		"--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		return err
	}
	conf := fmt.Sprintf(`
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
max_connections = 300
shared_buffers = 128MB
logging_collector = off
`, pg.port, pg.dir)
	f, err := os.OpenFile(filepath.Join(pg.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(conf); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := pg.start(ctx); err != nil {
		return err
	}
	return pg.run(ctx, "psql", "-h", pg.dir, "-p", strconv.Itoa(pg.port), "-U", "postgres", "-v", "ON_ERROR_STOP=1",
		"-q", "-c", "CREATE ROLE temporal LOGIN CREATEDB PASSWORD 'temporal'")
}

// start starts the postmaster and waits until it takes connections.
func (pg *postgres) start(ctx context.Context) error {
	if pg.proc == nil {
		pg.proc = NewProcess("postgres", func() (*exec.Cmd, error) {
			logf, err := os.OpenFile(filepath.Join(pg.dir, "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err != nil {
				return nil, err
			}
			cmd := pg.command(context.Background(), "postgres", "-D", pg.data())
			cmd.Stdout, cmd.Stderr = logf, logf
			return cmd, nil
		})
		// SIGINT is PostgreSQL's fast shutdown: sessions are rolled back
		// and it checkpoints and exits.
		pg.proc.stopSignal = syscall.SIGINT
	}
	if err := pg.proc.Start(); err != nil {
		return err
	}
	return pg.ready(ctx)
}

// ready waits until the server takes connections.
func (pg *postgres) ready(ctx context.Context) error {
	for {
		err := pg.command(ctx, "pg_isready", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.port), "-t", "1").Run()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("PostgreSQL does not take connections (log: %s): %w", filepath.Join(pg.dir, "postgres.log"), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// crash stops the server as a crash does: SIGQUIT is PostgreSQL's
// immediate shutdown, with no checkpoint; the next start recovers from the
// write-ahead log. It stays down until start.
func (pg *postgres) crash() { pg.proc.signal(syscall.SIGQUIT, 30*time.Second) }

// stop stops the server for good.
func (pg *postgres) stop() {
	if pg.proc != nil {
		pg.proc.Stop(30 * time.Second)
	}
}

// pid is the postmaster's process ID, 0 when it is not running.
func (pg *postgres) pid() int {
	if pg.proc == nil {
		return 0
	}
	return pg.proc.PID()
}

// query runs one SQL statement in database db and returns its output
// without alignment.
func (pg *postgres) query(ctx context.Context, db, sql string) (string, error) {
	out, err := pg.command(ctx, "psql", "-h", pg.dir, "-p", strconv.Itoa(pg.port), "-U", "postgres", "-d", db,
		"-Atc", sql).Output()
	return strings.TrimSpace(string(out)), err
}

// waitFor polls query until it prints want, or ctx ends.
func (pg *postgres) waitFor(ctx context.Context, db, sql, want string) error {
	for {
		if out, err := pg.query(ctx, db, sql); err == nil && out == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Writes is what PostgreSQL has written so far, for all databases:
// committed transactions, rows inserted, updated or deleted, and bytes of
// write-ahead log. The differences between two readings are the database's
// work over the interval, which, unlike CPU time, a busy machine does not
// inflate.
type Writes struct {
	Transactions int64
	Rows         int64
	WAL          int64
}

// writes reads the statistics behind Writes. PostgreSQL reports a
// backend's statistics when its transaction ends, at most once a second, so
// read a second after the work.
func (pg *postgres) writes(ctx context.Context) (Writes, error) {
	out, err := pg.query(ctx, "postgres", "SELECT sum(xact_commit), sum(tup_inserted+tup_updated+tup_deleted), "+
		"pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint FROM pg_stat_database")
	if err != nil {
		return Writes{}, fmt.Errorf("read PostgreSQL's statistics: %w", err)
	}
	var w Writes
	if _, err := fmt.Sscanf(out, "%d|%d|%d", &w.Transactions, &w.Rows, &w.WAL); err != nil {
		return Writes{}, fmt.Errorf("read PostgreSQL's statistics %q: %w", out, err)
	}
	return w, nil
}
