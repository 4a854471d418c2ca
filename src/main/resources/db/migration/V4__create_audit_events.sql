-- Who did what, when: one row per successful mutating call, written in the transaction of the
-- change, so a change and its audit row commit or roll back together. Keyed for "newest first"
-- paging, overall and per project.
CREATE TABLE audit_events (
    id         uuid         PRIMARY KEY,
    at         timestamptz  NOT NULL,
    actor      varchar(300) NOT NULL,
    via        varchar(8)   NOT NULL CHECK (via IN ('user', 'token')),
    project    varchar(63)  COLLATE "C",
    action     varchar(64)  NOT NULL,
    target     varchar(512) NOT NULL,
    result     varchar(16)  NOT NULL,
    request_id varchar(128),
    summary    jsonb        NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_events_newest ON audit_events (at DESC, id DESC);
CREATE INDEX audit_events_project_newest ON audit_events (project, at DESC, id DESC);
