-- Which version of a ProjectStorage's status the storage row holds, so that a replica whose informer
-- lags cannot write an older status over a newer one (StatusMirror writes only when the incoming
-- object is not older). resourceVersion is compared as a number: Kubernetes guarantees since 1.35
-- (KEP-5504) that resource versions of one resource are positive integers that order its writes,
-- across objects of the same resource too; one that is not such an integer is stored as NULL and the
-- object's uid, generation and observedGeneration decide instead.
ALTER TABLE storages ADD COLUMN status_uid varchar(64);
ALTER TABLE storages ADD COLUMN status_generation bigint;
ALTER TABLE storages ADD COLUMN status_observed_generation bigint;
ALTER TABLE storages ADD COLUMN status_resource_version numeric(40);

-- A storage's class is resolved once, when it is created: the one it names, else its cluster's
-- default at that moment. Storages that named none so far took the default each time they were
-- written; they keep the one their cluster has now, which is the one their objects carry. Their
-- representation changes, so does their version (and ETag).
UPDATE storages s SET storage_class = c.default_storage_class, version = s.version + 1
FROM clusters c
WHERE c.name = s.cluster AND s.storage_class IS NULL AND c.default_storage_class IS NOT NULL AND s.deleted_at IS NULL;

-- What the service last knew of reaching each cluster, shared by every replica (the API shows it):
-- reachable is NULL until a call was tried.
ALTER TABLE clusters ADD COLUMN reachable boolean;
ALTER TABLE clusters ADD COLUMN last_contact_at timestamptz;
ALTER TABLE clusters ADD COLUMN last_error text;

-- The object was missing when the change was queued (a new storage, or one the resync listed as
-- missing): the reconciler creates it straight away and looks only if the cluster answers 409.
ALTER TABLE cluster_outbox ADD COLUMN create_first boolean NOT NULL DEFAULT false;
