// Playwright drives Debian's Chromium (/usr/bin/chromium): browsers cannot be downloaded here.
// Two servers run the binary `cargo test` built: one on a fresh SQLite file (every journey), one
// on a fresh PostgreSQL schema (the API contract tests run against both).
import { defineConfig, devices } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";

const binary = process.env.WHEELHOUSE_BIN ?? path.resolve(__dirname, "../target/debug/wheelhouse");
const siteRoot = process.env.WHEELHOUSE_SITE_ROOT ?? path.resolve(__dirname, "../target/site");
const postgresUrl = process.env.WHEELHOUSE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const sqlitePort = 3107;
const postgresPort = 3108;

// Computed once in the main process; the workers (which re-read this file) inherit them.
if (!process.env.WHEELHOUSE_E2E_SQLITE_URL) {
  const run = `${process.pid}_${Date.now()}`;
  process.env.WHEELHOUSE_E2E_SQLITE_URL = `sqlite://${path.join(os.tmpdir(), `wheelhouse-e2e-${run}.db`)}`;
  const schema = `wh_e2e_${run}`;
  // A schema of its own; earlier runs' schemas are dropped first.
  execFileSync("psql", [postgresUrl, "-q", "-v", "ON_ERROR_STOP=1", "-c",
    `DO $$ DECLARE s text; BEGIN FOR s IN SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'wh_e2e_%' LOOP EXECUTE 'DROP SCHEMA ' || quote_ident(s) || ' CASCADE'; END LOOP; END $$; CREATE SCHEMA ${schema};`]);
  const separator = postgresUrl.includes("?") ? "&" : "?";
  process.env.WHEELHOUSE_E2E_POSTGRES_URL = `${postgresUrl}${separator}options=-c%20search_path%3D${schema}`;
}
process.env.WHEELHOUSE_BIN = binary;
// One audit signing key for the servers and the commands the journeys run, outside the
// repository (the default would be beside a SQLite file, or in ./data for PostgreSQL).
process.env.WHEELHOUSE_AUDIT_KEY_FILE ??= path.join(os.tmpdir(), `wheelhouse-e2e-${process.pid}-audit-key.pem`);

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

// A fast sandbox (a node boots in 0.1 s) so API journeys finish in seconds.
const server = (port: number, databaseUrl: string) => ({
  command: `"${binary}" serve --addr 127.0.0.1:${port} --kube-api-addr 127.0.0.1:0 --database-url "${databaseUrl}" --site-root "${siteRoot}" --time-scale 1200 --reconcile-interval-ms 25`,
  url: `http://127.0.0.1:${port}/readyz`,
  reuseExistingServer: false,
  timeout: 60_000,
  stdout: "ignore" as const,
  stderr: "pipe" as const,
});

export default defineConfig({
  testDir: "./tests",
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    trace: "retain-on-failure",
    launchOptions: chromium,
  },
  projects: [
    // Every journey on SQLite; phone.spec.ts sets a 360 px viewport itself.
    {
      name: "sqlite",
      use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 800 }, baseURL: `http://127.0.0.1:${sqlitePort}` },
      metadata: { databaseUrl: process.env.WHEELHOUSE_E2E_SQLITE_URL },
    },
    // The API contract tests again on PostgreSQL.
    {
      name: "postgres",
      testMatch: /scaleway-(python-)?sdk\.spec\.ts/,
      use: { baseURL: `http://127.0.0.1:${postgresPort}` },
      metadata: { databaseUrl: process.env.WHEELHOUSE_E2E_POSTGRES_URL },
    },
  ],
  webServer: [
    server(sqlitePort, process.env.WHEELHOUSE_E2E_SQLITE_URL!),
    server(postgresPort, process.env.WHEELHOUSE_E2E_POSTGRES_URL!),
  ],
});
