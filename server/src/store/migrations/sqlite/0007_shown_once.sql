-- A secret shown once, to the session that made it (a new API key's secret key): the form's
-- redirect names the row, the page takes it (deleting it), so the secret never travels in a
-- URL and a reload or another person shows nothing.
CREATE TABLE shown_once (
    id           TEXT PRIMARY KEY,
    session_hash TEXT NOT NULL,
    content      TEXT NOT NULL,
    expires_at   BIGINT NOT NULL
);
