-- Members are listed a page at a time in name order (issue 16): the keyset
-- (first_name, last_name, address) > (…) of one tenant reads from this index.
CREATE INDEX members_tenant_name ON members (tenant_id, first_name, last_name, address);
