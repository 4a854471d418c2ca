-- The newest snapshot of each storage, written once its manifest is stored: the next backup compares
-- against it without listing the storage's manifests in S3 and asking each for its exact time. S3
-- stays the truth: a manifest deleted by hand, or written before this table, is found by listing.
CREATE TABLE newest_snapshots (
    project       varchar(63) NOT NULL,
    storage       varchar(63) NOT NULL,
    backup        varchar(63) NOT NULL,
    snapshot_time timestamptz NOT NULL,
    PRIMARY KEY (project, storage)
);
