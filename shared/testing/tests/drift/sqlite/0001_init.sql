CREATE TABLE visits (
    id TEXT PRIMARY KEY,
    branch_id TEXT NOT NULL,
    request_id TEXT NOT NULL UNIQUE,
    starts_at INTEGER NOT NULL
);
CREATE INDEX visits_by_branch ON visits (starts_at, branch_id);
