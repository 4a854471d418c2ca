-- When each storage's scheduled backup is next due, from its cron and time zone. Computed in the
-- service (cron is not SQL) whenever the policy changes and whenever the scheduler queues a run;
-- NULL for a storage whose policy has not been planned yet (the scheduler plans those).
ALTER TABLE storages ADD COLUMN next_backup_at timestamptz;

CREATE INDEX storages_backup_due ON storages (next_backup_at)
    WHERE deleted_at IS NULL AND backup_enabled;

-- A deletion waiting for the storage's final backup (backup-before-delete), and why the last one
-- was refused: a final backup that failed leaves the storage in place, saying so.
ALTER TABLE storages
    ADD COLUMN final_backup_id  uuid,
    ADD COLUMN deletion_blocked text;

-- Backups and restores are jobs: queued by the API or the scheduler, claimed by a worker with
-- FOR UPDATE SKIP LOCKED and a lease it renews while it runs. A worker that dies stops renewing;
-- once the lease has run out another worker claims the job again (attempt counts the claims).
CREATE TABLE backups (
    id               uuid         PRIMARY KEY,
    project_id       uuid         NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    storage_id       uuid         NOT NULL REFERENCES storages (id) ON DELETE CASCADE,
    cluster          varchar(63)  NOT NULL,
    trigger          varchar(16)  NOT NULL CHECK (trigger IN ('scheduled', 'manual', 'beforeDelete')),
    state            varchar(16)  NOT NULL
        CHECK (state IN ('Queued', 'Running', 'Succeeded', 'Failed', 'Cancelled', 'Expired')),
    created_at       timestamptz  NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    files            bigint,
    files_total      bigint,
    bytes            bigint,
    bytes_total      bigint,
    bytes_uploaded   bigint,
    eta_seconds      bigint,
    error            text,
    cancel_requested boolean      NOT NULL DEFAULT false,
    lease_owner      varchar(128),
    lease_until      timestamptz,
    attempt          integer      NOT NULL DEFAULT 0,
    version          bigint       NOT NULL DEFAULT 0,
    CHECK ((state = 'Running') = (lease_owner IS NOT NULL))
);

-- At most one backup of a storage waits or runs: the scheduler and an on-demand request racing
-- each other (on any number of replicas) cannot both queue one. The final backup before a deletion
-- is queued beside a running one (which is cancelled), and runs after it.
CREATE UNIQUE INDEX backups_one_active_per_storage ON backups (storage_id)
    WHERE state IN ('Queued', 'Running') AND trigger <> 'beforeDelete';
CREATE UNIQUE INDEX backups_one_final_per_storage ON backups (storage_id)
    WHERE state IN ('Queued', 'Running') AND trigger = 'beforeDelete';
CREATE INDEX backups_claimable ON backups (created_at) WHERE state IN ('Queued', 'Running');
-- newest first, per storage, for the keyset-paginated list
CREATE INDEX backups_by_storage ON backups (storage_id, created_at DESC, id DESC);

CREATE TABLE restores (
    id                uuid         PRIMARY KEY,
    project_id        uuid         NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- the storage written into, and the backup (with its storage) read from
    storage_id        uuid         NOT NULL REFERENCES storages (id) ON DELETE CASCADE,
    backup_id         uuid         NOT NULL,
    source_storage_id uuid         NOT NULL,
    cluster           varchar(63)  NOT NULL,
    mode              varchar(8)   NOT NULL CHECK (mode IN ('merge', 'replace')),
    paths             jsonb        NOT NULL DEFAULT '[]',
    -- a restore that fills a storage created with restoreFrom
    into_new          boolean      NOT NULL DEFAULT false,
    state             varchar(16)  NOT NULL
        CHECK (state IN ('Queued', 'Running', 'Succeeded', 'Failed', 'Cancelled')),
    created_at        timestamptz  NOT NULL,
    started_at        timestamptz,
    finished_at       timestamptz,
    files             bigint,
    files_total       bigint,
    bytes             bigint,
    bytes_total       bigint,
    eta_seconds       bigint,
    error             text,
    cancel_requested  boolean      NOT NULL DEFAULT false,
    lease_owner       varchar(128),
    lease_until       timestamptz,
    attempt           integer      NOT NULL DEFAULT 0,
    version           bigint       NOT NULL DEFAULT 0,
    CHECK ((state = 'Running') = (lease_owner IS NOT NULL))
);

CREATE UNIQUE INDEX restores_one_active_per_storage ON restores (storage_id) WHERE state IN ('Queued', 'Running');
CREATE INDEX restores_claimable ON restores (created_at) WHERE state IN ('Queued', 'Running');
CREATE INDEX restores_by_storage ON restores (storage_id, created_at DESC, id DESC);

-- Housekeeping that one replica at a time runs on a schedule (garbage collection): the replica
-- holding the lease runs it; last_finished_at says when it is next due.
CREATE TABLE worker_tasks (
    name             varchar(32)  PRIMARY KEY,
    lease_owner      varchar(128),
    lease_until      timestamptz,
    last_finished_at timestamptz
);

INSERT INTO worker_tasks (name) VALUES ('gc');
