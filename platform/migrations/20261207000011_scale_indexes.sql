-- Reads that stay bounded as workspaces grow (issue 16):
-- the seat count (members of a tenant not being removed) is answered from the index alone;
CREATE INDEX members_tenant_status ON members (tenant_id, status);
-- the partner view's pages in name and status order read tenants in that order.
CREATE INDEX tenants_name ON tenants (name, slug);
CREATE INDEX tenants_status ON tenants (status, name, slug);
