-- Backups running now, and those finished lately. A running backup may rely on any content of its
-- project's index (it reuses what is stored), so garbage collection removes nothing of a project while
-- one of its backups holds a live lease, nor while one finished since the collection read the
-- manifests. A live backup renews expires_at; one whose process died stops renewing, and its lease
-- expires. Times are the database's, so that replicas with skewed clocks agree.
CREATE TABLE backup_leases (
    id          uuid         PRIMARY KEY,
    project     varchar(63)  NOT NULL,
    storage     varchar(63)  NOT NULL,
    started_at  timestamptz  NOT NULL DEFAULT now(),
    expires_at  timestamptz  NOT NULL,
    finished_at timestamptz
);

CREATE INDEX backup_leases_project ON backup_leases (project);

-- Backups no longer touch the content they reuse (the leases protect it): used_at is now when the
-- content was last recorded, which keeps a collection's grace period over content just stored.
COMMENT ON COLUMN backup_contents.used_at IS 'when the content was last recorded as stored';
