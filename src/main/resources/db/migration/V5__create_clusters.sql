-- Kubernetes clusters the service writes into. Registered through the API (source 'api') or
-- declared in configuration (source 'configuration', upserted at start and read-only over the API).
-- credentials holds only a reference (a kubeconfig path, a secret's coordinates, or in-cluster):
-- never a token or a key.
CREATE TABLE clusters (
    name                   varchar(63)   COLLATE "C" PRIMARY KEY,
    api_server_url         varchar(2048),
    credentials            jsonb         NOT NULL,
    default_storage_class  varchar(253),
    default_backup_target  varchar(2048),
    labels                 jsonb         NOT NULL DEFAULT '{}',
    source                 varchar(16)   NOT NULL CHECK (source IN ('api', 'configuration')),
    created_at             timestamptz   NOT NULL,
    updated_at             timestamptz   NOT NULL,
    version                bigint        NOT NULL
);

CREATE INDEX storages_live_by_cluster ON storages (cluster) WHERE deleted_at IS NULL;
