-- A tenant's mail domains: the claim (one tenant per name), the ownership token, the DMARC
-- choice, the Stalwart object it points to, and the last verification.
CREATE TABLE mail_domains (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL UNIQUE,
    unicode_name TEXT NOT NULL,
    ownership_token TEXT NOT NULL,
    status TEXT NOT NULL,
    dmarc_policy TEXT NOT NULL,
    dmarc_rua TEXT,
    is_primary BIGINT NOT NULL DEFAULT 0,
    stalwart_id TEXT,
    stalwart_state TEXT NOT NULL,
    stalwart_message TEXT NOT NULL,
    checks TEXT NOT NULL,
    last_checked_at BIGINT,
    created_at BIGINT NOT NULL,
    -- The background recheck's lease: one instance checks a domain at a time.
    lease_holder TEXT,
    lease_until BIGINT
);
CREATE INDEX mail_domains_tenant ON mail_domains (tenant_id);
