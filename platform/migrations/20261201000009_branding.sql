-- Branding (issue 14): a tenant's product name, accent colour and logo, and its own versions
-- of the console's email templates. The logo is a PNG the console re-encoded from the
-- uploaded pixels (BYTEA: PostgreSQL's bytes; SQLite stores it as a BLOB).
CREATE TABLE tenant_branding (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    product_name TEXT,
    -- #rrggbb, lower case, checked for WCAG 2.x contrast before it is stored.
    accent TEXT,
    logo_png BYTEA,
    logo_width BIGINT,
    logo_height BIGINT,
    -- Changes with every new logo: the logo's URL carries it, so browsers fetch the new one.
    logo_version BIGINT,
    updated_at BIGINT NOT NULL
);

-- A workspace's own template for one of the messages the console sends (welcome,
-- suspended); without a row the console's default is used.
CREATE TABLE email_templates (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);
