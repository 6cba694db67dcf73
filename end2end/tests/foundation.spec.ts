import { test, expect, Page, APIRequestContext } from "@playwright/test";
import { signInAtIdp, hydrated, SANDBOX } from "./journey";

const ADMIN = { username: "adam@acme.example", password: "demo-admin-2026", name: "Adam Admin" };
const MEMBER = { username: "mia@acme.example", password: "demo-member-2026" };

async function sandboxStats(request: APIRequestContext) {
  const r = await request.get(`${SANDBOX}/_sandbox/authentik/stats`);
  expect(r.ok()).toBeTruthy();
  return r.json();
}

async function accessTokenLifetime(request: APIRequestContext, seconds: number) {
  const r = await request.post(`${SANDBOX}/_sandbox/authentik/settings`, {
    data: { access_token_ttl_secs: seconds },
  });
  expect(r.status()).toBe(204);
}

test.beforeEach(async ({ page, request }) => {
  await accessTokenLifetime(request, 600);
  await request.delete(`${SANDBOX}/_sandbox/faults`);
  page.on("pageerror", (e) => console.log(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") console.log(`console error: ${m.text()}`);
  });
});

test("the demo admin signs in and sees the dashboard with their name and tenant", async ({ page }) => {
  await page.goto("/admin");
  await signInAtIdp(page, ADMIN);
  await expect(page).toHaveURL(/\/admin\/acme$/);
  await expect(page.locator("#dashboard-title")).toHaveText("Acme Corporation — Admin dashboard");
  await expect(page.locator("#dashboard-viewer")).toContainText("Adam Admin (admin)");
  await expect(page.locator("#user-name")).toHaveText(ADMIN.name);
  await expect(page.locator("#seats-used")).toHaveText("3");
  await expect(page.locator("#sandbox-banner")).toBeVisible();
});

test("a button that only works after hydration opens the user menu", async ({ page }) => {
  await page.goto("/");
  await signInAtIdp(page, ADMIN);
  await expect(page.locator("#welcome")).toHaveText(`Welcome, ${ADMIN.name}`);
  await expect(page.locator("#admin-tile-acme")).toBeVisible();
  await hydrated(page);
  await expect(page.locator("#user-menu")).toBeHidden();
  await page.locator("#user-menu-button").click();
  await expect(page.locator("#user-menu")).toBeVisible();
  await page.locator("#user-menu-button").click();
  await expect(page.locator("#user-menu")).toBeHidden();
});

test("a member is refused the admin console", async ({ page }) => {
  await page.goto("/");
  await signInAtIdp(page, MEMBER);
  await expect(page.locator("#welcome")).toBeVisible();
  await expect(page.locator("#admin-tiles")).toHaveCount(0);
  const direct = await page.goto("/admin/acme");
  expect(direct?.status()).toBe(403);
  await expect(page.locator("#error")).toContainText("Only admins and owners");
  const home = await page.goto("/admin");
  expect(home?.status()).toBe(403);
  await expect(page.locator("#error")).toContainText("Access denied");
});

test("after sign-out the back button shows no private page", async ({ page }) => {
  await page.goto("/admin/acme");
  await signInAtIdp(page, ADMIN);
  await expect(page.locator("#dashboard-title")).toBeVisible();
  await hydrated(page);
  await page.locator("#user-menu-button").click();
  await page.locator("#sign-out").click();
  await expect(page).toHaveURL(/\/signed-out$/);
  await expect(page.locator("#signed-out")).toBeVisible();
  await page.goBack();
  // The private page is asked for again, and the server sends the browser to sign in.
  await expect(page.locator("#username")).toBeVisible();
  await expect(page.locator("#dashboard-title")).toHaveCount(0);
});

test("an expired access token is refreshed without a visible re-login", async ({ page, request }) => {
  // Tokens that expire within the refresh margin: every request needs a refresh.
  await accessTokenLifetime(request, 1);
  await page.goto("/admin/acme");
  await signInAtIdp(page, ADMIN);
  await expect(page.locator("#dashboard-title")).toBeVisible();
  const before = (await sandboxStats(request)).refresh_grants;
  await page.reload();
  await expect(page).toHaveURL(/\/admin\/acme$/);
  await expect(page.locator("#dashboard-title")).toBeVisible();
  await expect(page.locator("#username")).toHaveCount(0);
  const after = (await sandboxStats(request)).refresh_grants;
  expect(after).toBeGreaterThan(before);
});

test("a revoked refresh token sends the person to sign in and back to the page", async ({ page, request }) => {
  await accessTokenLifetime(request, 1);
  await page.goto("/admin/acme");
  await signInAtIdp(page, ADMIN);
  await expect(page.locator("#dashboard-title")).toBeVisible();
  const revoked = await request.post(
    `${SANDBOX}/_sandbox/authentik/users/${encodeURIComponent(ADMIN.username)}/revoke-tokens`,
  );
  expect(revoked.status()).toBe(204);
  await page.goto("/admin/acme");
  await signInAtIdp(page, ADMIN);
  await expect(page).toHaveURL(/\/admin\/acme$/);
  await expect(page.locator("#dashboard-title")).toBeVisible();
});
