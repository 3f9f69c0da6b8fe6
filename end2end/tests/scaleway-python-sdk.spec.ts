// Contract test: Scaleway's official Python SDK (`scaleway` from PyPI, pinned in
// python/requirements.txt, unmodified) drives a cluster's whole life against Wheelhouse, with
// the request objects' own defaults. The script is end2end/python/sdk_lifecycle.py.
import { expect, test } from "@playwright/test";
import { execFile, execFileSync } from "node:child_process";
import * as path from "node:path";

type Key = { access_key: string; secret_key: string; project_id: string };

function apiKey(project: string): Key {
  const databaseUrl = test.info().project.metadata.databaseUrl as string;
  const output = execFileSync(
    process.env.WHEELHOUSE_BIN!,
    ["api-key", "create", "--project", project, "--database-url", databaseUrl],
    { encoding: "utf8" },
  );
  return JSON.parse(output) as Key;
}

test("the official Python SDK drives a cluster's whole life", async ({ baseURL }) => {
  test.setTimeout(240_000);
  const key = apiKey("python-sdk-journey");
  const python = path.resolve(__dirname, "../python/.venv/bin/python");
  const script = path.resolve(__dirname, "../python/sdk_lifecycle.py");
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      python,
      [script],
      {
        env: {
          ...process.env,
          WHEELHOUSE_URL: baseURL!,
          SCW_ACCESS_KEY: key.access_key,
          SCW_SECRET_KEY: key.secret_key,
          SCW_DEFAULT_PROJECT_ID: key.project_id,
        },
        timeout: 230_000,
        maxBuffer: 4 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: stdout + stderr }),
    );
  });
  console.log(output);
  expect(code, output).toBe(0);
});
