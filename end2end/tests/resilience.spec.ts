// No lost input: a session that ends or a network that drops while a dialog is filled, and
// dialogs that do not close by accident (issue 16).
import { test, expect, Page } from "@playwright/test";
import { signInAtIdp, hydrated, primaryDomain } from "./journey";

// Globex's admin: the members made here do not change acme's counts other journeys read.
const ADMIN = { username: "gina@globex.example", password: "demo-globex-2026" };

async function fillNewMember(page: Page, local: string) {
  await page.locator("#add-member").click();
  await expect(page.locator("#create-member")).toBeVisible();
  await page.locator("#member-first-name").fill("Kept");
  await page.locator("#member-last-name").fill("Input");
  await page.locator("#member-local-part").fill(local);
}

async function adminOnMembers(page: Page, request: Parameters<typeof primaryDomain>[1], prefix: string) {
  const domain = `${prefix}-${Date.now().toString(36)}.example`;
  await page.goto("/admin/globex/members");
  await signInAtIdp(page, ADMIN);
  await hydrated(page);
  await primaryDomain(page, request, domain, "globex");
  await page.reload();
  await hydrated(page);
  return domain;
}

test("the session ends while the create-member dialog is filled: sign-in in a window, then the member is created as typed", async ({ page, request }) => {
  const domain = await adminOnMembers(page, request, "resume");
  const local = `kept-${Date.now().toString(36)}`;
  await fillNewMember(page, local);

  // The console session ends on the server (this browser's only: sign-out of its session).
  expect((await page.request.post("/logout")).status()).toBeLessThan(400);

  const popup = page.waitForEvent("popup");
  await page.locator("#create-member-submit").click();
  const signIn = await popup;
  await expect(page.locator("#session-banner")).toHaveAttribute("data-waiting", "sign-in");
  // What was typed is still there while the sign-in happens.
  await expect(page.locator("#member-local-part")).toHaveValue(local);
  await signInAtIdp(signIn, ADMIN);
  await signIn.waitForEvent("close");

  // The call went again, once, by itself: the member exists with what was typed.
  await expect(page.locator("#otp-reveal")).toBeVisible();
  await expect(page.locator("#otp-reveal")).toContainText(`${local}@${domain}`);
  await expect(page.locator("#session-banner")).toHaveAttribute("data-waiting", "nothing");
  await expect(page.locator("#session-banner")).toBeHidden();
});

test("offline: the call waits with Try again and keeps the input; dialogs close only on purpose and give focus back", async ({ page, context, request }) => {
  const domain = await adminOnMembers(page, request, "offline");
  const local = `net-${Date.now().toString(36)}`;
  await fillNewMember(page, local);

  // Selecting text inside and releasing on the backdrop does not close the dialog.
  const field = await page.locator("#member-first-name").boundingBox();
  await page.mouse.move(field!.x + 5, field!.y + field!.height / 2);
  await page.mouse.down();
  await page.mouse.move(5, 5, { steps: 5 });
  await page.mouse.up();
  await expect(page.locator("#create-member")).toBeVisible();
  await expect(page.locator("#member-first-name")).toHaveValue("Kept");

  // Tab stays inside the dialog, both ways.
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => !!document.activeElement?.closest("#create-member"))).toBe(true);
  }
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Shift+Tab");
    expect(await page.evaluate(() => !!document.activeElement?.closest("#create-member"))).toBe(true);
  }

  // Escape closes it and focus returns to the button that opened it.
  await page.keyboard.press("Escape");
  await expect(page.locator("#create-member")).toHaveCount(0);
  await expect(page.locator("#add-member")).toBeFocused();
  // A click that starts and ends on the backdrop closes it.
  await page.locator("#add-member").click();
  await expect(page.locator("#create-member")).toBeVisible();
  await page.mouse.click(5, 5);
  await expect(page.locator("#create-member")).toHaveCount(0);

  // The network drops while submitting: the banner offers Try again, the input is kept.
  await fillNewMember(page, local);
  await context.setOffline(true);
  await page.locator("#create-member-submit").click();
  await expect(page.locator("#session-banner")).toHaveAttribute("data-waiting", "unreachable");
  await expect(page.locator("#member-local-part")).toHaveValue(local);
  await context.setOffline(false);
  await page.locator("#session-try-again").click();
  await expect(page.locator("#otp-reveal")).toContainText(`${local}@${domain}`);
  await expect(page.locator("#session-banner")).toBeHidden();
});

test("pop-ups blocked: the banner offers sign-in in a new tab, and a read carries on after it", async ({ page, context }) => {
  // The browser refuses every window a script opens.
  await page.addInitScript(() => {
    window.open = () => null;
  });
  await page.goto("/admin/globex/members");
  await signInAtIdp(page, ADMIN);
  await hydrated(page);
  await expect(page.locator("#members")).toBeVisible();

  expect((await page.request.post("/logout")).status()).toBeLessThan(400);
  // A read: the search asks the server for the matching page.
  await page.locator("#member-search").fill("gina");
  await expect(page.locator("#session-banner")).toHaveAttribute("data-waiting", "sign-in");
  await expect(page.locator("#session-reopen")).toHaveCount(0);
  const tab = context.waitForEvent("page");
  await page.locator("#session-sign-in").click();
  const signIn = await tab;
  await signInAtIdp(signIn, ADMIN);

  await expect(page.locator("#session-banner")).toBeHidden();
  await expect(page.locator("#member-search")).toHaveValue("gina");
  await expect(page.locator('#members tr[data-address="gina@globex.example"]')).toBeVisible();
  await expect(page.locator("#members tbody tr")).toHaveCount(1);
});
