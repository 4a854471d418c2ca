-- A project's usage is counted as its storages change instead of summed on every quota check: with
-- tens of thousands of storages in one project, the sum made each create scan all of them. A
-- trigger keeps the count exact whichever statement changes a storage. numeric cannot overflow,
-- however many large storages a project has.
ALTER TABLE quotas
    ADD COLUMN used_bytes    numeric(30, 0) NOT NULL DEFAULT 0,
    ADD COLUMN used_storages integer        NOT NULL DEFAULT 0;

UPDATE quotas q
SET used_bytes = u.bytes, used_storages = u.storages
FROM (SELECT project_id, sum(capacity_bytes) AS bytes, count(*) AS storages
      FROM storages
      WHERE deleted_at IS NULL
      GROUP BY project_id) u
WHERE q.project_id = u.project_id;

CREATE FUNCTION count_storage_usage() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
        UPDATE quotas
        SET used_bytes = used_bytes - OLD.capacity_bytes, used_storages = used_storages - 1
        WHERE project_id = OLD.project_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
        UPDATE quotas
        SET used_bytes = used_bytes + NEW.capacity_bytes, used_storages = used_storages + 1
        WHERE project_id = NEW.project_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER storages_count_usage_on_insert_delete
    AFTER INSERT OR DELETE ON storages
    FOR EACH ROW EXECUTE FUNCTION count_storage_usage();

CREATE TRIGGER storages_count_usage_on_update
    AFTER UPDATE ON storages
    FOR EACH ROW
    WHEN (OLD.capacity_bytes IS DISTINCT FROM NEW.capacity_bytes
        OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
        OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION count_storage_usage();
