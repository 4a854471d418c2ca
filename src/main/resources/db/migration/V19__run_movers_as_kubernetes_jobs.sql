-- Where a cluster's backups and restores run (SPEC §5 "Where backups run"): NULL follows the
-- deployment's pss.worker.executor; 'kubernetes' runs each one as a Job in the storage's namespace.
-- mover: how its movers' Jobs differ from the deployment's pss.mover.* settings (service URL, image,
-- priority class, node selector, user and group); NULL where they do not.
ALTER TABLE clusters
    ADD COLUMN executor varchar(16) CHECK (executor IN ('local', 'process', 'kubernetes')),
    ADD COLUMN mover    jsonb;

-- A run executed as a Kubernetes Job: which cluster and namespace it is in and the Job's name (from
-- the job and its attempt, so two replicas starting one attempt name the same Job). The reason column
-- already says why a run ended; the Job's own verdict (Evicted, OOMKilled, …) is written there.
ALTER TABLE mover_runs
    ADD COLUMN cluster   varchar(63),
    ADD COLUMN namespace varchar(63),
    ADD COLUMN job_name  varchar(63),
    -- when its pod was seen ended (or its Job deleted): until then (within a bound) an ended run's Job
    -- still holds its cluster's slot, so no more movers run than the limits allow, even while one exits
    ADD COLUMN job_finished_at timestamptz;

-- the sweep of runs still waiting for their pod or running, per executor
CREATE INDEX mover_runs_active ON mover_runs (executor) WHERE state IN ('Created', 'Running');

-- the ended runs whose Jobs may still run, counted by every claim
CREATE INDEX mover_runs_unfinished_jobs ON mover_runs (cluster)
    WHERE executor = 'kubernetes' AND job_finished_at IS NULL AND state IN ('Committed', 'Failed');
