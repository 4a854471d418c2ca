-- A deletion refused because its final backup did not succeed: which backup, when, and whether it
-- failed or was cancelled, so the storage can show it as a condition beside the cluster's own.
ALTER TABLE storages
    ADD COLUMN deletion_blocked_backup_id uuid,
    ADD COLUMN deletion_blocked_reason    varchar(32),
    ADD COLUMN deletion_blocked_at        timestamptz;

-- The worker looks for deletions whose final backup has ended (every poll, on every instance): a
-- final backup ended without its worker (abandoned after its last attempt, cancelled while queued)
-- must still let the deletion go on or block it. Few rows are ever in this index.
CREATE INDEX storages_awaiting_final_backup ON storages (final_backup_id) WHERE final_backup_id IS NOT NULL;
