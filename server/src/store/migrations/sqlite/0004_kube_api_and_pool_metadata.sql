-- The certificate authority of the sandbox clusters' Kubernetes API servers: made once per
-- installation (the first process to start inserts it; others read it), so every kubeconfig
-- ever downloaded keeps trusting whichever replica answers.
CREATE TABLE certificate_authorities (
    name       TEXT PRIMARY KEY,               -- "kube-api"
    cert_pem   TEXT NOT NULL,
    key_pem    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Kubernetes node metadata a pool applies to its nodes (Scaleway's set-taints,
-- set-startup-taints and set-labels) and the user data given at the pool's creation
-- ({key: content}), stored as JSON text.
ALTER TABLE pools ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
ALTER TABLE pools ADD COLUMN taints TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pools ADD COLUMN startup_taints TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pools ADD COLUMN user_data TEXT NOT NULL DEFAULT '{}';

-- Kosmos external nodes: a machine outside the provider gets a node secret for a pool of
-- type "external" (external-nodes/auth), then registers with it (node-metadata) and becomes
-- a node of that pool. Only the secret's hash is kept.
CREATE TABLE external_node_credentials (
    secret_hash TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    node_id     TEXT,                          -- set when the machine registers
    created_at  BIGINT NOT NULL
);
