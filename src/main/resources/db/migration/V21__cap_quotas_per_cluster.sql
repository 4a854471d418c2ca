-- A quota's per-cluster caps (SPEC §2, issue 18): one row per capped cluster of a project, NULL limits
-- mean none in that dimension. No foreign key to clusters: a cap may name a cluster that is removed
-- later (it stays, dormant, until the cluster is registered again or the cap is removed).
-- What the project uses in a capped cluster is counted here as its storages change, the way V2
-- counts the totals in quotas: a row starts with the cluster's usage summed while the project's and
-- the quota's rows are locked, and the storages' trigger keeps it exact from then on. A cluster without a
-- cap has no row and is not counted.
CREATE TABLE quota_clusters (
    project_id     uuid           NOT NULL REFERENCES quotas (project_id) ON DELETE CASCADE,
    cluster        varchar(63)    COLLATE "C" NOT NULL,
    capacity_bytes bigint         CHECK (capacity_bytes >= 0),
    max_storages   integer        CHECK (max_storages >= 0),
    used_bytes     numeric(30, 0) NOT NULL DEFAULT 0,
    used_storages  integer        NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, cluster)
);

-- V2's counting function counts in the storage's capped cluster too, after the totals: every writer
-- locks the quotas row before a quota_clusters row, the order in which a quota change locks them
-- (no deadlock with a storage tombstoned meanwhile, which takes no project lock).
CREATE OR REPLACE FUNCTION count_storage_usage() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
        UPDATE quotas
        SET used_bytes = used_bytes - OLD.capacity_bytes, used_storages = used_storages - 1
        WHERE project_id = OLD.project_id;
        UPDATE quota_clusters
        SET used_bytes = used_bytes - OLD.capacity_bytes, used_storages = used_storages - 1
        WHERE project_id = OLD.project_id AND cluster = OLD.cluster;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
        UPDATE quotas
        SET used_bytes = used_bytes + NEW.capacity_bytes, used_storages = used_storages + 1
        WHERE project_id = NEW.project_id;
        UPDATE quota_clusters
        SET used_bytes = used_bytes + NEW.capacity_bytes, used_storages = used_storages + 1
        WHERE project_id = NEW.project_id AND cluster = NEW.cluster;
    END IF;
    RETURN NULL;
END
$$;

-- a storage does not move between clusters today; if one ever does, it is counted where it went
DROP TRIGGER storages_count_usage_on_update ON storages;

CREATE TRIGGER storages_count_usage_on_update
    AFTER UPDATE ON storages
    FOR EACH ROW
    WHEN (OLD.capacity_bytes IS DISTINCT FROM NEW.capacity_bytes
        OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
        OR OLD.project_id IS DISTINCT FROM NEW.project_id
        OR OLD.cluster IS DISTINCT FROM NEW.cluster)
    EXECUTE FUNCTION count_storage_usage();
