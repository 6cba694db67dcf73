-- Members: a person's place in one tenant, replacing `memberships`. A member row exists
-- before anything is created upstream (so no upstream object is ever without a record that
-- points to it); `user_id` is filled once the SSO identity exists. `status` is the state the
-- member should be in (creating, active, suspended, removing); `member_steps` records, per
-- upstream, whether that upstream matches it.
CREATE TABLE members (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    suspended_at BIGINT,
    suspended_by TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT
);
CREATE UNIQUE INDEX members_tenant_address ON members (tenant_id, address);
CREATE UNIQUE INDEX members_tenant_user ON members (tenant_id, user_id);
CREATE INDEX members_user ON members (user_id);
CREATE INDEX members_address ON members (address);

INSERT INTO members (id, tenant_id, user_id, address, first_name, last_name, role, status,
                     created_at)
SELECT m.tenant_id || '.' || m.user_id, m.tenant_id, m.user_id, u.email, u.name, '', m.role,
       'active', m.created_at
  FROM memberships m JOIN users u ON u.id = m.user_id;

DROP TABLE memberships;

CREATE TABLE member_steps (
    member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    upstream TEXT NOT NULL,
    state TEXT NOT NULL,
    message TEXT NOT NULL,
    upstream_id TEXT,
    last_run_at BIGINT,
    PRIMARY KEY (member_id, upstream)
);
