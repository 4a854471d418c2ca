-- Garbage collection in two phases, so that a project whose backups never all stop still gets its
-- garbage removed. Phase 1 condemns content no manifest references; phase 2, in a later collection
-- (or the same one when nothing of the project runs), deletes it once every backup and restore that
-- started before the condemnation has ended and the manifests written since were read again.
-- A backup that looks up condemned content revives it (condemned_at back to NULL) in the same
-- statement, which a phase 2 that deletes the row either precedes or finds done.
ALTER TABLE backup_contents ADD COLUMN condemned_at timestamptz;

CREATE INDEX backup_contents_condemned ON backup_contents (project) WHERE condemned_at IS NOT NULL;

-- Packs condemned as a whole: those no manifest references (their rows are condemned with them),
-- packs a rewrite emptied into a new pack, and objects left by a crash that the index never knew.
-- Phase 2 deletes a pack only if none of its rows was revived meanwhile.
CREATE TABLE backup_condemned_packs (
    project      varchar(63)   NOT NULL,
    pack_id      varchar(1024) NOT NULL,
    condemned_at timestamptz   NOT NULL,
    PRIMARY KEY (project, pack_id)
);

-- Restores hold leases too: phase 2 waits for a restore that may read what it condemned.
ALTER TABLE backup_leases
    ADD COLUMN kind varchar(8) NOT NULL DEFAULT 'backup' CHECK (kind IN ('backup', 'restore'));
