// What the journeys share: the sandbox's addresses, the demo people, the IdP's sign-in form
// and the hydration marker.
import { expect, Page } from "@playwright/test";

export const SANDBOX = `http://127.0.0.1:${process.env.E2E_SANDBOX_PORT ?? "3901"}`;

export type Person = { username: string; password: string };

/** Fills the sandbox IdP's sign-in form (the browser is on it) and submits it. */
export async function signInAtIdp(page: Page, who: Person) {
  await expect(page.locator("#username")).toBeVisible();
  await page.locator("#username").fill(who.username);
  await page.locator("#password").fill(who.password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** Waits until the page has hydrated (buttons that need the wasm work). */
export async function hydrated(page: Page) {
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
}
