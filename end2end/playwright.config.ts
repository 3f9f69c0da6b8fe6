// Playwright drives Debian's Chromium (/usr/bin/chromium): browsers cannot be downloaded here.
// The server under test is the binary cargo-leptos built, on its own port and a fresh SQLite file.
import { defineConfig, devices } from "@playwright/test";
import * as os from "node:os";
import * as path from "node:path";

const port = Number(process.env.WHEELHOUSE_E2E_PORT ?? 3107);
const binary = process.env.WHEELHOUSE_BIN ?? path.resolve(__dirname, "../target/debug/wheelhouse");
const siteRoot = process.env.WHEELHOUSE_SITE_ROOT ?? path.resolve(__dirname, "../target/site");
// Computed once in the main process and inherited by the workers (which re-read this file):
// the API contract tests create API keys in the same database with the CLI.
process.env.WHEELHOUSE_E2E_DATABASE_URL ??= `sqlite://${path.join(os.tmpdir(), `wheelhouse-e2e-${process.pid}-${Date.now()}.db`)}`;
process.env.WHEELHOUSE_BIN = binary;
const databaseUrl = process.env.WHEELHOUSE_E2E_DATABASE_URL;

const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};

export default defineConfig({
  testDir: "./tests",
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: chromium,
  },
  // One browser; phone.spec.ts sets a 360 px viewport itself, console.spec.ts runs at desktop size.
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 800 } } }],
  webServer: {
    // A fast sandbox (a node boots in 0.1 s) so API journeys finish in seconds.
    command: `${binary} serve --addr 127.0.0.1:${port} --database-url ${databaseUrl} --site-root ${siteRoot} --time-scale 1200 --reconcile-interval-ms 25`,
    url: `http://127.0.0.1:${port}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
  },
});
