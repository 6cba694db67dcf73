-- When each actor (user id, or "ip:<address>" when anonymous) was last audited as denied in
-- each tenant ('' for none): denials are audited at most once per actor, tenant and minute,
-- decided by one atomic upsert (several requests or instances at once record one event).
CREATE TABLE audit_denial_marks (
    actor TEXT NOT NULL,
    tenant TEXT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (actor, tenant)
);

-- Which instance runs a background job right now (session and token clean-up): a lease
-- that expires, so a crashed holder does not block the job for ever.
CREATE TABLE job_leases (
    job TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Whether the person's email is known to be theirs: asserted by the IdP (`email_verified`),
-- or the address Dezky itself gave the identity (members it provisioned, the seeded demo).
-- Unverified addresses are shown as such and not used to attribute audit events.
ALTER TABLE users ADD COLUMN email_verified BIGINT NOT NULL DEFAULT 0;
