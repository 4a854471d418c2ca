-- A snapshot's time (its manifest's snapshot-time metadata) beside its manifest's row. Retention orders a
-- storage's snapshots by it after every backup, and asked S3 for each manifest's metadata to learn it: one
-- HEAD per snapshot the storage keeps, per backup. The time never changes (a manifest's key names its
-- backup, and a pack rewrite keeps its metadata), so it is kept here once known: from the GET that counts a
-- committed snapshot, or from the first HEAD for one written before this migration. NULL: not known yet.
ALTER TABLE backup_objects ADD COLUMN snapshot_time timestamptz;
