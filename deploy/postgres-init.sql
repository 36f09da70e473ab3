-- Local stack only (deploy/compose.yaml): the postgres image creates the `scheduling`
-- database from POSTGRES_DB; every other service gets its own database here. Runs once,
-- when the data volume is empty (after `docker compose down -v`).
CREATE DATABASE complaints;
CREATE DATABASE contact;
