import { test, expect, Page } from "@playwright/test";
import { signInAtIdp, SANDBOX } from "./journey";

const PARTNER = { username: "pat@northwind.example", password: "demo-partner-2026" };
const OWNER = { username: "olivia@acme.example", password: "demo-owner-2026" };
const OTHER = { username: "gina@globex.example", password: "demo-globex-2026" };

test.beforeEach(async ({ request }) => {
  await request.delete(`${SANDBOX}/_sandbox/faults`);
});

test("partner staff create a workspace and watch every step complete", async ({ page, request }) => {
  // Slow Authentik down so the steps are seen pending before they complete.
  await request.post(`${SANDBOX}/_sandbox/faults`, {
    data: { path_prefix: "/api/v3/core/groups/", count: 2, delay_ms: 700 },
  });
  await page.goto("/partner");
  await signInAtIdp(page, PARTNER);
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  const slug = `e2e-${Date.now().toString(36)}`;
  await page.locator("#tenant-name").fill("Playwright Test Co");
  await page.locator("#tenant-slug").fill(slug);
  await page.locator("#create-tenant-submit").click();
  const progress = page.locator("#provisioning-progress");
  await expect(progress.locator('li[data-upstream="authentik"]')).toHaveAttribute("data-state", "pending");
  await expect(progress).toHaveAttribute("data-settled", "true");
  await expect(progress.locator('li[data-upstream="authentik"]')).toHaveAttribute("data-state", "ok");
  await expect(progress.locator('li[data-upstream="ocis"]')).toHaveAttribute("data-state", "ok");
  await expect(progress.locator('li[data-upstream="stalwart"]')).toHaveAttribute("data-state", "ok");
  await expect(page.locator("#provisioning-status")).toHaveText("active");

  // The list below refreshes by itself once the steps have run.
  const row = page.locator(`#partner-tenants tr[data-slug="${slug}"]`);
  await expect(row).toContainText("Playwright Test Co");
  await expect(row.locator(".tenant-status")).toHaveText("active");
  await expect(row.locator(".attention")).toHaveText("0");
  await expect(page.locator('#partner-tenants tr[data-slug="acme"] [data-state="ok"]').first()).toBeVisible();
  await page.locator("#tenant-search").fill("playwright");
  await expect(page.locator("#partner-tenants tbody tr")).toHaveCount(1);
  // The search runs on the server: the pager counts what matched in all pages.
  await expect(page.locator("#tenants-count")).toHaveText("Page 1: 1 shown of 1 workspace");
  await expect(page.locator("#tenants-next")).toBeDisabled();
  await page.locator("#tenant-search").fill("");
  await page.locator("#tenant-sort").selectOption("status");
  await expect(page.locator("#partner-tenants tbody tr").first()).toHaveAttribute("data-slug", "acme");
});

test("a bad slug is refused with the rule it broke", async ({ page }) => {
  await page.goto("/partner");
  await signInAtIdp(page, PARTNER);
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await page.locator("#tenant-name").fill("X");
  await page.locator("#tenant-slug").fill("ab");
  await page.locator("#create-tenant-submit").click();
  await expect(page.locator("#create-tenant-error")).toContainText("3 to 40 characters");
  await expect(page.locator("#create-tenant-error")).toHaveAttribute("data-field", "slug");
});

test("a tenant admin sees the dashboard with real counts and reconciles", async ({ page }) => {
  await page.goto("/admin/acme");
  await signInAtIdp(page, OWNER);
  await expect(page.locator("#seats-used")).toHaveText("3");
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await page.locator("#reconcile").click();
  await expect(page.locator('#provisioning li[data-upstream="authentik"]')).toHaveAttribute("data-state", "ok");
  await expect(page.locator('#provisioning li[data-upstream="ocis"]')).toHaveAttribute("data-state", "ok");
  await page.reload();
  await expect(page.locator("#recent-audit")).toContainText("tenant.reconcile");
});

test("a member of another tenant is refused", async ({ page }) => {
  await page.goto("/");
  await signInAtIdp(page, OTHER);
  await expect(page.locator("#welcome")).toBeVisible();
  const r = await page.goto("/admin/acme");
  expect(r?.status()).toBe(403);
  await expect(page.locator("#error")).toContainText("not a member");
});
