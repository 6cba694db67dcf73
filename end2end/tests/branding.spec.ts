import { test, expect, Page } from "@playwright/test";
import { signInAtIdp, hydrated } from "./journey";

const OWNER = { username: "olivia@acme.example", password: "demo-owner-2026" };

// A 2×2 red PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==",
  "base64",
);

const colour = (page: Page, selector: string, property: "color" | "backgroundColor") =>
  page.locator(selector).evaluate((el, p) => getComputedStyle(el)[p as "color"], property);

test.afterEach(async ({ page }) => {
  // Leave acme in the console's own colours for the other journeys.
  await page.request.put("/api/tenants/acme/branding", { data: { product_name: "", accent: "" } });
  await page.request.delete("/api/tenants/acme/branding/logo");
  await page.request.delete("/api/tenants/acme/email-templates/welcome");
});

test("an owner re-themes the console: a colour below 4.5:1 is refused with a passing neighbour, the preview follows, and after saving every page is drawn in it", async ({ page }) => {
  await page.goto("/admin/acme/branding");
  await signInAtIdp(page, OWNER);
  await hydrated(page);
  await expect(page.locator("#product-name")).toHaveText("Dezky");

  await page.locator("#accent-input").fill("#777777");
  await expect(page.locator("#contrast-page")).toContainText("4.47:1");
  await expect(page.locator("#contrast-page")).toContainText("below 4.5:1");
  await page.locator("#use-suggestion").click();
  await expect(page.locator("#accent-input")).toHaveValue("#767676");

  // Teal: white text at 5.47:1. The preview repaints before anything is saved.
  await page.locator("#accent-input").fill("#0F766E");
  await expect(page.locator("#contrast-page")).toContainText("✓");
  await expect.poll(() => colour(page, "#preview-button", "backgroundColor")).toBe("rgb(15, 118, 110)");
  await expect.poll(() => colour(page, "#preview-button", "color")).toBe("rgb(255, 255, 255)");
  await page.locator("#product-name-input").fill("Acme Cloud");
  await expect(page.locator("#preview-name")).toHaveText("Acme Cloud");
  await expect(page.locator("#product-name")).toHaveText("Dezky");

  await page.locator("#theme-save").click();
  await expect(page.locator("#product-name")).toHaveText("Acme Cloud");
  await hydrated(page);
  await expect(page).toHaveTitle("Acme Cloud console");
  expect(await colour(page, "#brand", "color")).toBe("rgb(15, 118, 110)");
  // Another page of the tenant, loaded afresh: drawn in the colour from its first byte.
  await page.goto("/admin/acme/members");
  expect(await colour(page, "#brand", "color")).toBe("rgb(15, 118, 110)");
  // The current section is marked in the accent.
  expect(await colour(page, "#nav-members", "color")).toBe("rgb(15, 118, 110)");
  await expect(page.locator("#sidebar-plan")).toContainText("seat");
});

test("an owner uploads a logo, and an SVG is refused", async ({ page }) => {
  await page.goto("/admin/acme/branding");
  await signInAtIdp(page, OWNER);
  await hydrated(page);
  await expect(page.locator("#no-logo")).toBeVisible();

  await page.locator("#logo-file").setInputFiles({
    name: "logo.svg",
    mimeType: "image/svg+xml",
    buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
  });
  await page.locator("#logo-upload").click();
  await expect(page.locator("#logo-error")).toContainText("SVG logos are not accepted");

  await page.locator("#logo-file").setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: PNG });
  await expect(page.locator("#logo-chosen")).toBeVisible();
  await page.locator("#logo-upload").click();
  await expect(page.locator("#current-logo")).toBeVisible();
  await expect(page.locator("#logo-form figcaption")).toContainText("2×2 px");
  await expect(page.locator("#brand-logo")).toBeVisible();
  expect(await page.locator("#brand-logo").evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(2);
});

test("an admin edits the welcome message: an unknown placeholder is named with its line, the preview renders sample data, and reset brings back the default", async ({ page }) => {
  await page.goto("/admin/acme/branding");
  await signInAtIdp(page, OWNER);
  await hydrated(page);
  const editor = page.locator("#template-welcome");
  await expect(editor.locator(".template-state")).toHaveText("Console default");

  await editor.locator('input[name="subject"]').fill("Hi {{ member_name }}");
  await editor.locator('textarea[name="body"]').fill("<p>Hello</p>\n<p>{{ password }}</p>");
  await expect(editor.locator(".body-error")).toContainText("Line 2 of the body: {{ password }} is not a placeholder");

  await editor.locator('textarea[name="body"]').fill("<p>Hello {{ member_name }}, welcome to {{ workspace_name }}.</p>");
  await expect(editor.locator(".body-error")).toBeHidden();
  await expect(editor.locator(".preview-subject")).toContainText("Hi Alex Rivera");
  await expect(editor.frameLocator("iframe").locator("p")).toHaveText("Hello Alex Rivera, welcome to Acme Corporation.");
  await editor.locator(".template-save").click();
  await expect(editor.locator(".template-state")).toHaveText("This workspace's own");

  await page.reload();
  await hydrated(page);
  await expect(editor.locator('input[name="subject"]')).toHaveValue("Hi {{ member_name }}");
  await editor.locator(".template-reset").click();
  await expect(editor.locator(".template-state")).toHaveText("Console default");
  await expect(editor.locator('input[name="subject"]')).toHaveValue("Welcome to {{ workspace_name }} on {{ product_name }}");
});
