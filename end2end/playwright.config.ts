import { defineConfig } from "@playwright/test";
import { launchOptions } from "./chromium";

// The suite runs twice: once with JavaScript disabled (server rendering alone must be
// usable and correct) and once hydrated, in Debian's Chromium (see chromium.ts).
const port = Number(process.env.E2E_PORT ?? 3100);
export default defineConfig({
  testDir: "./tests",
  // Two browser contexts, the live stream and an axe scan of every page visited, on two
  // cores: a minute is not always enough.
  timeout: 120_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions,
    trace: "retain-on-failure",
  },
  projects: [
    { name: "no-js", use: { javaScriptEnabled: false } },
    { name: "hydrated", use: { javaScriptEnabled: true } },
  ],
  webServer: {
    command: "bash end2end/serve.sh",
    cwd: "..",
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    env: { E2E_PORT: String(port) },
  },
});
