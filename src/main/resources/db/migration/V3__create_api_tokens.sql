-- Project-scoped API tokens for CI. Only a SHA-256 of the secret is kept: the secret is shown once,
-- at creation, and cannot be recovered from the database.
CREATE TABLE api_tokens (
    id          uuid         PRIMARY KEY,
    project_id  uuid         NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        varchar(63)  COLLATE "C" NOT NULL,
    role        varchar(16)  NOT NULL CHECK (role IN ('owner', 'member')),
    secret_hash varchar(64)  NOT NULL,
    created_by  varchar(256) NOT NULL,
    created_at  timestamptz  NOT NULL,
    expires_at  timestamptz  NOT NULL,
    revoked_at  timestamptz,
    last_used_at timestamptz,
    version     bigint       NOT NULL
);

CREATE UNIQUE INDEX api_tokens_project_name_key ON api_tokens (project_id, name);
