-- A mover's Job and its token's Secret are written into the storage's cluster the way its custom
-- resources are: a cluster that is down or answers 5xx or 429 is tried again after a growing backoff
-- (by any replica: the row is the durable record of what is to be created), never costing the attempt
-- at once nor losing it. The Job as it is to be created waits in job_manifest (it holds no credential:
-- the run token is in the Secret only, and a try that has no token gives the run a new one); both
-- objects are named for the run's job and attempt, so a retry never makes a second Job for an attempt.
ALTER TABLE mover_runs
    -- when its Job and Secret were both seen created; NULL while they are still to be written
    ADD COLUMN job_created_at    timestamptz,
    ADD COLUMN job_manifest      jsonb,
    -- failed tries so far, and the last one's error (a cluster's answer, never a credential)
    ADD COLUMN create_attempts   integer NOT NULL DEFAULT 0,
    ADD COLUMN create_error      text,
    -- when the next try is due; while a try is under way, when its claim on the row runs out
    ADD COLUMN create_not_before timestamptz;

-- runs in Jobs before this migration had theirs created with the run
UPDATE mover_runs SET job_created_at = created_at WHERE job_name IS NOT NULL;

-- the tries due, which any replica's sweep claims (FOR UPDATE SKIP LOCKED)
CREATE INDEX mover_runs_jobs_to_create ON mover_runs (create_not_before)
    WHERE state = 'Created' AND job_name IS NOT NULL AND job_created_at IS NULL;
