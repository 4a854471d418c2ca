-- Projects: a team. Names are immutable DNS-1123 labels; the namespace is where its custom resources live.
CREATE TABLE projects (
    id           uuid         PRIMARY KEY,
    name         varchar(63)  COLLATE "C" NOT NULL,
    namespace    varchar(63)  NOT NULL,
    display_name varchar(256),
    labels       jsonb        NOT NULL DEFAULT '{}',
    owners       jsonb        NOT NULL DEFAULT '[]',
    members      jsonb        NOT NULL DEFAULT '[]',
    created_at   timestamptz  NOT NULL,
    updated_at   timestamptz  NOT NULL,
    version      bigint       NOT NULL,
    CONSTRAINT projects_name_key UNIQUE (name),
    CONSTRAINT projects_namespace_key UNIQUE (namespace)
);

-- One row per project, created with it. NULL limits mean "unlimited". Every storage write of a project
-- locks this row first (SELECT ... FOR UPDATE), which is what makes quota enforcement race-safe.
CREATE TABLE quotas (
    project_id     uuid        PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    capacity_bytes bigint      CHECK (capacity_bytes >= 0),
    max_storages   integer     CHECK (max_storages >= 0),
    updated_at     timestamptz NOT NULL,
    version        bigint      NOT NULL
);

CREATE TABLE storages (
    id                   uuid          PRIMARY KEY,
    project_id           uuid          NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name                 varchar(63)   COLLATE "C" NOT NULL,
    cluster              varchar(63)   NOT NULL,
    capacity_bytes       bigint        NOT NULL CHECK (capacity_bytes > 0),
    storage_class        varchar(253),
    access_mode          varchar(32)   NOT NULL,
    labels               jsonb         NOT NULL DEFAULT '{}',
    deletion_protection  boolean       NOT NULL DEFAULT false,
    -- backup policy
    backup_enabled       boolean       NOT NULL,
    backup_schedule      varchar(128)  NOT NULL,
    backup_time_zone     varchar(64)   NOT NULL,
    backup_before_delete boolean       NOT NULL,
    keep_last            integer       CHECK (keep_last >= 0),
    keep_daily           integer       CHECK (keep_daily >= 0),
    keep_weekly          integer       CHECK (keep_weekly >= 0),
    keep_monthly         integer       CHECK (keep_monthly >= 0),
    restore_from         jsonb,
    -- lifecycle in this service: Active, Deleting, Deleted (a tombstone)
    lifecycle            varchar(16)   NOT NULL,
    -- bumped on every spec change; the cluster reports the generation it has acted on
    generation           bigint        NOT NULL,
    -- status mirrored from the cluster
    phase                varchar(16)   NOT NULL,
    sync_state           varchar(16)   NOT NULL,
    observed_generation  bigint,
    used_bytes           bigint,
    pvc_name             varchar(253),
    nfs_server           varchar(253),
    nfs_path             varchar(4096),
    conditions           jsonb         NOT NULL DEFAULT '[]',
    last_error           text,
    created_at           timestamptz   NOT NULL,
    updated_at           timestamptz   NOT NULL,
    deleted_at           timestamptz,
    version              bigint        NOT NULL,
    CONSTRAINT storages_deleted_is_tombstone CHECK ((deleted_at IS NULL) = (lifecycle <> 'Deleted'))
);

-- A name is unique among a project's live storages; a tombstone frees it for reuse.
-- Names use the "C" collation so keyset paging (name > last) agrees with ORDER BY byte for byte.
-- This index also serves the keyset-paginated list (project, name > last ORDER BY name).
CREATE UNIQUE INDEX storages_live_name_key ON storages (project_id, name) WHERE deleted_at IS NULL;
