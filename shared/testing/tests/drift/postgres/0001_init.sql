CREATE TABLE visits (
    id TEXT PRIMARY KEY,
    branch_id TEXT NOT NULL,
    request_id TEXT NOT NULL UNIQUE,
    starts_at BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX visits_by_branch ON visits (branch_id, starts_at);
