-- Backup space in the quota (SPEC §2, issue 18): what a project keeps in the backup bucket, counted in
-- PostgreSQL as backups, retention and garbage collection change it instead of by listing the bucket.
--
-- One row per object of a project's prefix: a pack or blob written in the transaction that records its
-- content (after the object is complete in S3), a manifest once its snapshot is committed. A row goes
-- once its object is deleted (after the DELETE succeeded); a garbage collection, which lists the prefix
-- anyway, adds the rows of objects recorded nowhere (a crash between PUT and record, backups written
-- before this migration) and removes those of objects gone, so a crash leaves the figure wrong for one
-- collection interval at most. A pack counts its full size until it is deleted: that is what the bucket
-- holds. Multipart uploads not completed are no objects (a listing does not show them) and do not count.
CREATE TABLE backup_objects (
    project     varchar(63)   NOT NULL,
    key         varchar(1024) COLLATE "C" NOT NULL,
    -- 'other': anything else under the prefix (written by hand, or by a later version): the bucket holds it
    kind        varchar(8)    NOT NULL CHECK (kind IN ('pack', 'blob', 'manifest', 'other')),
    -- the storage (id) a manifest belongs to; null for content
    storage     varchar(63),
    size        bigint        NOT NULL CHECK (size >= 0),
    recorded_at timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (project, key),
    CHECK ((kind = 'manifest') = (storage IS NOT NULL))
);

CREATE INDEX backup_objects_manifests ON backup_objects (project, storage) WHERE storage IS NOT NULL;

-- The sum of a project's object sizes, kept by a trigger whichever statement changes an object, so the
-- quota reads one row however many objects a project has. Concurrent backups of one project update the
-- row in turn (each in its own short transaction); numeric cannot overflow.
CREATE TABLE backup_space (
    project    varchar(63)    PRIMARY KEY,
    used_bytes numeric(30, 0) NOT NULL DEFAULT 0
);

CREATE FUNCTION count_backup_space() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    delta      numeric(30, 0);
    of_project varchar(63);
BEGIN
    IF TG_OP = 'INSERT' THEN
        delta := NEW.size;
        of_project := NEW.project;
    ELSIF TG_OP = 'DELETE' THEN
        delta := -OLD.size;
        of_project := OLD.project;
    ELSE
        delta := NEW.size - OLD.size;
        of_project := NEW.project;
    END IF;
    INSERT INTO backup_space AS s (project, used_bytes) VALUES (of_project, delta)
    ON CONFLICT (project) DO UPDATE SET used_bytes = s.used_bytes + EXCLUDED.used_bytes;
    RETURN NULL;
END
$$;

CREATE TRIGGER backup_objects_count_space
    AFTER INSERT OR DELETE ON backup_objects
    FOR EACH ROW EXECUTE FUNCTION count_backup_space();

CREATE TRIGGER backup_objects_count_space_on_resize
    AFTER UPDATE ON backup_objects
    FOR EACH ROW WHEN (OLD.size IS DISTINCT FROM NEW.size)
    EXECUTE FUNCTION count_backup_space();

-- Per storage: how many of its snapshots reference each content, and the size of that content, so that
-- what only its snapshots reference (and what it shares with other storages) is one indexed query, never
-- a read of every manifest. A snapshot is counted once (counted_snapshots), when its manifest is
-- committed or, for one that never was (written before this migration), by a garbage collection that
-- reads it anyway; it is uncounted, in one transaction with its row, before its manifest is deleted. The
-- row stays, uncounted, so that a collection that read the manifest before its deletion never counts it
-- again; a collection that no longer lists the manifest removes the row.
CREATE TABLE counted_snapshots (
    project varchar(63) NOT NULL,
    storage varchar(63) NOT NULL,
    backup  varchar(63) NOT NULL,
    counted boolean     NOT NULL,
    PRIMARY KEY (project, storage, backup)
);

CREATE TABLE storage_contents (
    project   varchar(63) NOT NULL,
    storage   varchar(63) NOT NULL,
    sha256    varchar(64) COLLATE "C" NOT NULL,
    size      bigint      NOT NULL,
    snapshots integer     NOT NULL CHECK (snapshots > 0),
    PRIMARY KEY (project, storage, sha256)
);

-- whether another storage of the project references a content
CREATE INDEX storage_contents_by_content ON storage_contents (project, sha256);

-- An optional limit on the backup space (NULL: none). A backup that would start while the project is at
-- or over it fails at once; the storage says so until a later backup of it is allowed.
ALTER TABLE quotas ADD COLUMN backup_capacity_bytes bigint CHECK (backup_capacity_bytes >= 0);

ALTER TABLE storages
    ADD COLUMN backup_refused    text,
    ADD COLUMN backup_refused_at timestamptz;
