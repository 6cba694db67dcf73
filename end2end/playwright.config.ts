import { defineConfig } from "@playwright/test";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";

// The console binary built by `cargo leptos build --split` (see scripts/test.sh).
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/dezky/target");
const serverBin = process.env.SERVER_BIN ?? path.join(targetDir, "debug/server");
const root = path.resolve(__dirname, "..");
const port = process.env.E2E_PORT ?? "3000";
const sandboxPort = process.env.E2E_SANDBOX_PORT ?? "3901";
// The sandbox's control routes need this token; set once here, so the server (started by the
// runner) and the test workers (child processes inheriting the environment) share it.
process.env.E2E_SANDBOX_TOKEN = process.env.E2E_SANDBOX_TOKEN ?? randomBytes(16).toString("hex");
const sandboxToken = process.env.E2E_SANDBOX_TOKEN;

export default defineConfig({
  testDir: "./tests",
  // Kept per backend by scripts/test.sh, so a failure on one run is not wiped by the next.
  outputDir: process.env.E2E_OUTPUT_DIR ?? "test-results",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  workers: 1,
  // No retries: a journey that fails once is a fault to find, not to hide.
  retries: 0,
  reporter: "list",
  use: {
    // Sent with every request of the tests' `request` fixture and pages; only the sandbox's
    // control routes read it.
    extraHTTPHeaders: { "x-sandbox-token": sandboxToken },
    baseURL: `http://127.0.0.1:${port}`,
    browserName: "chromium",
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: process.env.E2E_EXTERNAL_SERVER
    ? undefined
    : {
        command: serverBin,
        cwd: root,
        url: `http://127.0.0.1:${port}/healthz`,
        reuseExistingServer: false,
        timeout: 60_000,
        stdout: process.env.E2E_SERVER_LOG ? "pipe" : "ignore",
        stderr: "pipe",
        env: {
          DATABASE_URL: process.env.E2E_DATABASE_URL ?? `sqlite://${os.tmpdir()}/dezky-e2e-${Date.now()}/console.db`,
          LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
          LEPTOS_SITE_ROOT: path.join(root, "target/site"),
          LEPTOS_OUTPUT_NAME: "dezky",
          SANDBOX_AUTHENTIK_PORT: sandboxPort,
          SANDBOX_DNS_CONTROL_PORT: process.env.E2E_DNS_CONTROL_PORT ?? "3902",
          SANDBOX_STALWART_PORT: process.env.E2E_STALWART_PORT ?? "3903",
          DEZKY_SANDBOX: "true",
          SANDBOX_CONTROL_TOKEN: sandboxToken,
          LOG_FORMAT: "json",
          // Billing against localstripe when scripts/test.sh started it (LOCALSTRIPE_URL).
          ...(process.env.LOCALSTRIPE_URL
            ? {
                STRIPE_ENABLED: "true",
                STRIPE_SECRET_KEY: "sk_test_dezky",
                STRIPE_PUBLISHABLE_KEY: "pk_test_dezky",
                STRIPE_API_BASE: process.env.LOCALSTRIPE_URL,
                STRIPE_DIALECT: "localstripe",
                // localstripe's fake Stripe.js: its card inputs live in the page, no iframe.
                STRIPE_JS_URL: `${process.env.LOCALSTRIPE_URL}/js.stripe.com/v3/`,
              }
            : {}),
        },
      },
});
