-- One attempt of a backup or restore handed to a mover (a process of its own, SPEC §5 "Where backups
-- run"). The mover holds only the run's id and a one-time token, stored here as its sha256: the token
-- is valid while the run has not ended and its job's lease is the run's (lease_owner = 'run:<id>').
-- Its heartbeats renew that lease and the run's backup lease (lease_id), through any replica.
CREATE TABLE mover_runs (
    id          uuid         PRIMARY KEY,
    kind        varchar(16)  NOT NULL CHECK (kind IN ('backup', 'restore')),
    job_id      uuid         NOT NULL,
    attempt     integer      NOT NULL,
    token_hash  bytea        NOT NULL UNIQUE,
    executor    varchar(16)  NOT NULL,
    state       varchar(16)  NOT NULL DEFAULT 'Created'
        CHECK (state IN ('Created', 'Running', 'Committed', 'Failed')),
    lease_id    uuid,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    claimed_at  timestamptz,
    ended_at    timestamptz,
    reason      text,
    UNIQUE (kind, job_id, attempt)
);

-- the runs of a job, newest attempt first, for the API's attempt history and cleanup
CREATE INDEX mover_runs_by_job ON mover_runs (job_id, attempt DESC);
