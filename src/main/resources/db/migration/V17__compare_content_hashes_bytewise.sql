-- Content hashes and pack ids are hex and UUID text that is only ever compared for equality. Under the
-- database's linguistic collation every lookup and insert in the content index went through the C
-- library's strcoll; with "C" they are byte comparisons: about a sixth less of PostgreSQL's CPU per file
-- of a full backup (bench/RESULTS.md), and the indexes no longer depend on the C library's collation
-- rules, whose changes across OS upgrades leave text indexes silently out of order.
-- The type stays the same, so the tables are not rewritten; the indexes on these columns are rebuilt, under
-- an ACCESS EXCLUSIVE lock of each table for that time.
ALTER TABLE backup_contents
    ALTER COLUMN sha256 TYPE varchar(64) COLLATE "C",
    ALTER COLUMN pack_id TYPE varchar(64) COLLATE "C";

ALTER TABLE backup_condemned_packs
    ALTER COLUMN pack_id TYPE varchar(1024) COLLATE "C";
