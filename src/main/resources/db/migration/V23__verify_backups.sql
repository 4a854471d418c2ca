-- Verification of a snapshot: a job of its own, claimed like backups and restores (FOR UPDATE SKIP
-- LOCKED, a lease its worker renews, attempt counts the claims). It reads only the bucket, so it
-- runs in the service's worker whatever the cluster's executor, and needs no Ready storage.
CREATE TABLE verifications (
    id               uuid          PRIMARY KEY,
    project_id       uuid          NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    storage_id       uuid          NOT NULL REFERENCES storages (id) ON DELETE CASCADE,
    backup_id        uuid          NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
    trigger          varchar(16)   NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
    data_fraction    double precision NOT NULL CHECK (data_fraction > 0 AND data_fraction <= 1),
    -- where in the storage's ring of content this run starts reading, and where it stopped: the next
    -- run of the storage starts there, so successive runs read different content (kept on the row, so
    -- a retried attempt reads the same content as the first)
    cursor_start     bigint        NOT NULL,
    cursor_end       bigint,
    state            varchar(16)   NOT NULL
        CHECK (state IN ('Queued', 'Running', 'Succeeded', 'Failed', 'Cancelled')),
    outcome          varchar(16)   CHECK (outcome IN ('ok', 'damaged', 'error', 'cancelled')),
    created_at       timestamptz   NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    files            bigint,
    files_total      bigint,
    bytes            bigint,
    bytes_total      bigint,
    problems         jsonb         NOT NULL DEFAULT '[]',
    problem_count    bigint        NOT NULL DEFAULT 0,
    error            text,
    cancel_requested boolean       NOT NULL DEFAULT false,
    lease_owner      varchar(128),
    lease_until      timestamptz,
    attempt          integer       NOT NULL DEFAULT 0,
    version          bigint        NOT NULL DEFAULT 0,
    CHECK ((state = 'Running') = (lease_owner IS NOT NULL))
);

-- At most one verification of a backup waits or runs: a repeated request gets the active one.
CREATE UNIQUE INDEX verifications_one_active_per_backup ON verifications (backup_id)
    WHERE state IN ('Queued', 'Running');
CREATE INDEX verifications_claimable ON verifications (created_at) WHERE state IN ('Queued', 'Running');
-- newest first, per backup, for the keyset-paginated list; per storage, for the next run's cursor
CREATE INDEX verifications_by_backup ON verifications (backup_id, created_at DESC, id DESC);
CREATE INDEX verifications_by_storage ON verifications (storage_id, finished_at DESC)
    WHERE state IN ('Succeeded', 'Failed');

-- The verification policy of a storage, beside its backup policy, and when it is next due
-- (NULL: not planned yet; the scheduler plans it from now).
ALTER TABLE storages
    ADD COLUMN verify_enabled       boolean          NOT NULL DEFAULT true,
    ADD COLUMN verify_schedule      varchar(128)     NOT NULL DEFAULT '0 3 * * 0',
    ADD COLUMN verify_time_zone     varchar(64)      NOT NULL DEFAULT 'UTC',
    ADD COLUMN verify_data_fraction double precision NOT NULL DEFAULT 0.05,
    ADD COLUMN next_verify_at       timestamptz,
    -- the BackupVerified condition: the last verification that found damage, or the newest that found none
    ADD COLUMN verified_backup_id   uuid,
    ADD COLUMN verified_status      varchar(8),
    ADD COLUMN verified_reason      varchar(32),
    ADD COLUMN verified_message     text,
    ADD COLUMN verified_at          timestamptz;

CREATE INDEX storages_verify_due ON storages (next_verify_at) WHERE deleted_at IS NULL AND verify_enabled;
