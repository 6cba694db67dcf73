-- Tenant provisioning: one row per (tenant, upstream) with its state, a human message naming
-- the upstream and the step, the upstream object's id, and when it last ran.
CREATE TABLE provisioning_steps (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    upstream TEXT NOT NULL,
    state TEXT NOT NULL,
    message TEXT NOT NULL,
    upstream_id TEXT,
    last_run_at BIGINT,
    PRIMARY KEY (tenant_id, upstream)
);

-- Who is running a tenant's provisioning right now (several requests, several instances):
-- a lease that expires, so a crashed holder does not block for ever.
CREATE TABLE tenant_leases (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
