-- Desired state on its way to a cluster. An API transaction inserts a row with the object as it
-- should be; a reconciler of that cluster claims it (FOR UPDATE SKIP LOCKED, then a lease, so the
-- Kubernetes call happens outside any transaction), applies it and deletes it. Rows of one object
-- are applied oldest first; a crash between claim and delete only lets the lease run out.
CREATE TABLE cluster_outbox (
    id            bigserial     PRIMARY KEY,
    cluster       varchar(63)   NOT NULL,
    kind          varchar(32)   NOT NULL CHECK (kind IN ('ProjectStorage', 'StorageQuota')),
    namespace     varchar(63)   NOT NULL,
    name          varchar(253)  NOT NULL,
    -- the storage whose sync state this row drives (ProjectStorage rows)
    storage_id    uuid,
    action        varchar(8)    NOT NULL CHECK (action IN ('apply', 'delete')),
    -- the object as it should be: metadata.labels, metadata.annotations and spec
    body          jsonb,
    attempts      integer       NOT NULL DEFAULT 0,
    not_before    timestamptz   NOT NULL,
    claimed_by    varchar(128),
    claimed_until timestamptz,
    last_error    text,
    created_at    timestamptz   NOT NULL
);

CREATE INDEX cluster_outbox_by_cluster ON cluster_outbox (cluster, id);
CREATE INDEX cluster_outbox_by_object ON cluster_outbox (cluster, kind, namespace, name, id);

-- The newest outbox row of a storage: a reconciler marks the storage Synced only if the row it
-- applied is still the newest, so a change queued meanwhile is never reported as applied.
ALTER TABLE storages ADD COLUMN sync_seq bigint;
-- metadata.generation of the custom resource when it last carried our spec
ALTER TABLE storages ADD COLUMN cluster_generation bigint;
