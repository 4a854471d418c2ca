-- A project's content index: every distinct content (by sha256) stored in the backup bucket and where
-- it lives, so a backup knows what is already stored without listing the bucket. A row is written
-- only after its object is complete in S3, so the index never promises content that a crash lost.
-- used_at is touched by every backup that references the content; garbage collection only removes
-- content unused for longer than its grace period, which protects backups still running.
CREATE TABLE backup_contents (
    project     varchar(63)  NOT NULL,
    sha256      varchar(64)  NOT NULL,
    size        bigint       NOT NULL,
    -- null for a large file stored as its own blob object; else the pack it sits in
    pack_id     varchar(64),
    pack_offset bigint,
    used_at     timestamptz  NOT NULL,
    PRIMARY KEY (project, sha256),
    CHECK ((pack_id IS NULL) = (pack_offset IS NULL))
);

CREATE INDEX backup_contents_pack ON backup_contents (project, pack_id) WHERE pack_id IS NOT NULL;
