-- Audit search (issue 11): keyset paging newest first per tenant, filters by action (exact or
-- prefix range), outcome and actor, each served by an index that starts with the tenant.
-- `action_family` is the action's first segment (`member` of `member.create`; filled for
-- older rows at start, see repo::audit::backfill_families): prefix filters use it with an
-- equality, which no collation can upset. `search` is the lower-cased text the free-text filter matches (actor, action, target,
-- details, IP), written once at insert so both backends match it with one LIKE.
ALTER TABLE audit_events ADD COLUMN search TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN action_family TEXT NOT NULL DEFAULT '';
-- The actor filter matches addresses case-insensitively: they are kept lower-case.
UPDATE audit_events SET actor_email = LOWER(actor_email) WHERE actor_email IS NOT NULL;
UPDATE audit_events SET search = LOWER(COALESCE(actor_email, '') || ' ' || action || ' ' || target
    || ' ' || details || ' ' || COALESCE(ip, ''));
DROP INDEX audit_events_tenant_time;
CREATE INDEX audit_events_tenant_time ON audit_events (tenant_id, created_at, id);
CREATE INDEX audit_events_tenant_action ON audit_events (tenant_id, action, created_at, id);
CREATE INDEX audit_events_tenant_family ON audit_events (tenant_id, action_family, created_at, id);
CREATE INDEX audit_events_tenant_outcome ON audit_events (tenant_id, outcome, created_at, id);
CREATE INDEX audit_events_tenant_actor ON audit_events (tenant_id, actor_email, created_at, id);
CREATE INDEX audit_events_time ON audit_events (created_at);

-- A tenant's security policy; no row means the defaults (MFA optional, no session limits of
-- its own, no network rules). Lists are stored one item per line, already validated.
CREATE TABLE security_policies (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    mfa_mode TEXT NOT NULL,
    idle_timeout_minutes BIGINT,
    absolute_lifetime_minutes BIGINT,
    allowed_countries TEXT NOT NULL,
    ip_allowlist TEXT NOT NULL,
    network_enforcement TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT
);

-- The last request of each console session to a tenant's console (ms since the epoch; 0: none
-- since sign-in), for the tenants' idle timeouts.
ALTER TABLE auth_tokens ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
