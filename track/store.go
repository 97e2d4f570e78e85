package track

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SchemaVersion is the store schema this code writes and the newest it
// reads (PRAGMA user_version).
const SchemaVersion = 1

// applicationID marks the SQLite file as a dwm store (PRAGMA application_id):
// the bytes "dwm1".
const applicationID = 0x64776d31

// DefaultBusyTimeout is how long a write waits for another process's write
// to finish before retrying (Options.BusyTimeout zero). Writes are short, so
// this is generous: it only matters when dozens of processes write at once.
const DefaultBusyTimeout = 30 * time.Second

// ErrNotFound is returned (wrapped) when a run does not exist.
var ErrNotFound = errors.New("not found")

// ErrRunExists is returned (wrapped) by CreateRun when a run of that name
// already exists.
var ErrRunExists = errors.New("run already exists")

// Options configures Open. The zero value gives the defaults.
type Options struct {
	// BusyTimeout is how long a statement waits on another connection's lock
	// before giving up (SQLite's busy_timeout). Zero means DefaultBusyTimeout.
	BusyTimeout time.Duration
	// JournalMode is SQLite's journal mode. Empty means "WAL" (concurrent
	// readers with one writer, processes on one machine); "DELETE" suits a
	// store on a network file system shared by several machines.
	JournalMode string
}

// Validate reports an option a user could set wrongly.
func (o Options) Validate() error {
	if o.BusyTimeout < 0 {
		return fmt.Errorf("track: Options.BusyTimeout %v is negative", o.BusyTimeout)
	}
	switch strings.ToUpper(o.JournalMode) {
	case "", "WAL", "DELETE", "TRUNCATE", "PERSIST":
	default:
		return fmt.Errorf("track: Options.JournalMode %q: want WAL, DELETE, TRUNCATE or PERSIST", o.JournalMode)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.BusyTimeout == 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.JournalMode == "" {
		o.JournalMode = "WAL"
	}
	o.JournalMode = strings.ToUpper(o.JournalMode)
	return o
}

// Store is an open run store. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	opts Options
}

// Path returns the store's file path.
func (s *Store) Path() string { return s.path }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// sqliteMagic starts every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// checkFile reports a non-empty file at path that is not an SQLite database.
func checkFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	n, err := io.ReadFull(f, head)
	if n == 0 && (err == io.EOF) {
		return nil // empty file: a new store
	}
	if n < len(head) || !bytes.Equal(head, sqliteMagic) {
		return fmt.Errorf("not an SQLite database (starts with %q)", head[:n])
	}
	return nil
}

// Open opens the store at path, creating it if needed; see OpenWith.
func Open(path string) (*Store, error) { return OpenWith(path, Options{}) }

// OpenWith opens the store at path with opts, creating the file and schema
// if needed. It returns an error naming the file if it is not an SQLite
// database, belongs to another application, or holds a newer schema.
func OpenWith(path string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if path == "" {
		return nil, errors.New("track: open store: empty path")
	}
	if err := checkFile(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(opts.BusyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, path: path, opts: opts}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, diskError(err))
	}
	return s, nil
}

const schema = `
CREATE TABLE runs (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT NOT NULL UNIQUE,
	algo       TEXT NOT NULL,
	env        TEXT NOT NULL,
	seed       INTEGER NOT NULL,
	status     TEXT NOT NULL,
	config     TEXT NOT NULL CHECK (json_valid(config)),
	provenance TEXT NOT NULL CHECK (json_valid(provenance)),
	dir        TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX runs_algo_env_seed ON runs(algo, env, seed);
CREATE TABLE metrics (
	run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	name   TEXT NOT NULL,
	step   INTEGER NOT NULL,
	phase  TEXT NOT NULL,
	value  REAL,
	PRIMARY KEY (run_id, name, step, phase)
) WITHOUT ROWID;
CREATE TABLE artifacts (
	id         INTEGER PRIMARY KEY,
	run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	kind       TEXT NOT NULL,
	path       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	UNIQUE (run_id, kind, path)
);
`

// init checks the file's identity and schema version and creates the schema
// in a new database, all inside one IMMEDIATE transaction so that processes
// opening a new store at once create it exactly once; then sets the journal
// mode.
func (s *Store) init() error {
	ctx := context.Background()
	err := s.retry(ctx, func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return notDatabase(err)
		}
		defer tx.Rollback()
		var appID, version int64
		if err := tx.QueryRow("PRAGMA application_id").Scan(&appID); err != nil {
			return notDatabase(err)
		}
		if err := tx.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
			return notDatabase(err)
		}
		if appID != applicationID && appID != 0 {
			return fmt.Errorf("SQLite database of another application (application_id %#x), not a dwm run store", appID)
		}
		if version > SchemaVersion {
			return fmt.Errorf("store schema version %d is newer than this dwm supports (%d); upgrade dwm", version, SchemaVersion)
		}
		if version == SchemaVersion {
			if appID != applicationID {
				return fmt.Errorf("SQLite database with user_version %d but no dwm application_id, not a dwm run store", version)
			}
			return nil
		}
		if version != 0 {
			return fmt.Errorf("store schema version %d is unknown", version)
		}
		var tables int
		if err := tx.QueryRow("SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
			return notDatabase(err)
		}
		if tables > 0 || appID != 0 {
			return fmt.Errorf("SQLite database with %d other schema objects and no dwm schema version, not a dwm run store", tables)
		}
		if _, err := tx.Exec(schema); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		if _, err := tx.Exec(fmt.Sprintf("PRAGMA application_id = %d; PRAGMA user_version = %d", applicationID, SchemaVersion)); err != nil {
			return fmt.Errorf("set schema version: %w", err)
		}
		return tx.Commit()
	})
	if err != nil {
		return err
	}
	return s.retry(ctx, func() error {
		var mode string
		if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
			return err
		}
		if strings.EqualFold(mode, s.opts.JournalMode) {
			return nil
		}
		if err := s.db.QueryRow("PRAGMA journal_mode = " + s.opts.JournalMode).Scan(&mode); err != nil {
			return fmt.Errorf("set journal mode %s: %w", s.opts.JournalMode, err)
		}
		if !strings.EqualFold(mode, s.opts.JournalMode) {
			return fmt.Errorf("set journal mode %s: still %s", s.opts.JournalMode, mode)
		}
		return nil
	})
}

// notDatabase turns SQLite's "file is not a database" into a clear message.
func notDatabase(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_NOTADB {
		return fmt.Errorf("not an SQLite database: %w", err)
	}
	return err
}

// diskError adds a hint to SQLite's I/O and disk-full errors, whose own
// messages (such as "disk I/O error (4874)" when a full disk leaves no room
// for the WAL index) do not say that the usual cause is a full disk.
func diskError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
			return fmt.Errorf("%w (out of disk space or over a file size limit? or a failing disk)", err)
		}
	}
	return err
}

func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// retry runs f again while it fails because the database is busy (another
// process held a lock past the busy timeout), for up to twice the timeout.
func (s *Store) retry(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(2 * s.opts.BusyTimeout)
	wait := 5 * time.Millisecond
	for {
		err := f()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// write runs f in one IMMEDIATE transaction, retried while busy.
func (s *Store) write(f func(tx *sql.Tx) error) error {
	ctx := context.Background()
	return diskError(s.retry(ctx, func() error {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := f(tx); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			// A COMMIT that fails busy leaves SQLite's transaction open on
			// the connection; end it before the connection is reused.
			conn.ExecContext(ctx, "ROLLBACK")
			return err
		}
		return nil
	}))
}

// timeFormat is fixed-width so stored times sort as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}
