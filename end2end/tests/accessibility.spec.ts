// Every page, as each kind of person sees it, passes axe-core's automated checks with no
// serious or critical violation (issue 16); the dialogs are checked open, and the console's
// main actions are reached by keyboard alone.
import { test, expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { signInAtIdp, hydrated, primaryDomain } from "./journey";

const OWNER = { username: "olivia@acme.example", password: "demo-owner-2026" };
const PARTNER = { username: "pat@northwind.example", password: "demo-partner-2026" };
const MEMBER = { username: "mia@acme.example", password: "demo-member-2026" };

/** axe-core over the whole page (WCAG 2.1 A and AA rules and best practices); fails with the
 * rule, its impact and the first offending elements when a serious or critical one is found. */
async function accessible(page: Page, what: string) {
  // Legacy mode: axe runs in the page itself instead of opening a blank page to merge frame
  // results, which Chromium here refused now and then ("Failed to find browser context").
  const { violations } = await new AxeBuilder({ page })
    .setLegacyMode()
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"])
    .analyze();
  const grave = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("\n    ")}`);
  expect(grave, `${what}:\n${grave.join("\n")}`).toEqual([]);
}

async function visit(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
  await accessible(page, path);
}

test("every admin page and its dialogs", async ({ page, request }) => {
  await page.goto("/admin/acme");
  await signInAtIdp(page, OWNER);
  await hydrated(page);
  await accessible(page, "/admin/acme");
  for (const area of ["members", "domains", "apps", "security", "mfa", "audit", "storage", "billing", "branding"]) {
    await visit(page, `/admin/acme/${area}`);
  }
  await visit(page, "/admin");
  await visit(page, "/profile");

  // The create-member dialog (offered once the workspace has a primary domain), opened by
  // keyboard: focus moves in, Escape closes it and focus returns to the button.
  await primaryDomain(page, request, `a11y-${Date.now().toString(36)}.example`);
  await page.goto("/admin/acme/members");
  await hydrated(page);
  await page.locator("#add-member").focus();
  await page.keyboard.press("Enter");
  await expect(page.locator("#create-member")).toBeVisible();
  await accessible(page, "the create-member dialog");
  await expect(page.locator("#create-member")).toHaveAttribute("role", "dialog");
  await expect(page.locator("#create-member")).toHaveAttribute("aria-modal", "true");
  await page.keyboard.press("Escape");
  await expect(page.locator("#create-member")).toBeHidden();
  await expect(page.locator("#add-member")).toBeFocused();
});

test("the partner view and an end user's own page", async ({ browser }) => {
  // One browser context each (own cookies); axe-core needs pages of a context.
  for (const [who, path, what] of [
    [PARTNER, "/partner", "/partner"],
    [MEMBER, "/", "/ (an end user's tiles)"],
  ] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(path);
    await signInAtIdp(page, who);
    await hydrated(page);
    await accessible(page, what);
    await context.close();
  }
});

test("the pages anyone sees", async ({ page }) => {
  await page.goto("/signed-out");
  await accessible(page, "/signed-out");
  await page.goto("/no-such-page");
  await accessible(page, "the not-found page");
});
