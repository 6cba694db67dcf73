-- Tenant SSO apps (issue 12): one row per OpenID Connect application a tenant admin registers
-- on Authentik. The row exists before anything upstream does, and each upstream object's id
-- is written the moment the object exists, so nothing Dezky makes in Authentik is ever without
-- a row pointing to it. The client secret is never stored.
CREATE TABLE sso_apps (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    -- Authentik's application slug, `<tenant>_<name as slug>`; the provider is named
    -- `dezky-<slug>`. Unique: two apps of one tenant cannot share an issuer.
    slug TEXT NOT NULL UNIQUE,
    -- JSON: [{"matching_mode": "strict" | "regex", "url": "…"}]
    redirect_uris TEXT NOT NULL,
    launch_url TEXT,
    client_id TEXT,
    provider_pk BIGINT,
    application_pk TEXT,
    binding_pk TEXT,
    -- creating | active | failed | deleting (wire::sso_apps::SsoAppState)
    state TEXT NOT NULL,
    message TEXT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sso_apps_tenant ON sso_apps (tenant_id, created_at);
