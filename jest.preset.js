/**
 * The workspace's one jest setup: ESM TypeScript through ts-jest, tests in each package's test/.
 * Packages call it with what differs (one worker for heavy suites, setup files, timeouts).
 */
import { fileURLToPath } from "node:url";

export function jestConfig({ typeCheck = true, ownTmpdir = false, ...overrides } = {}) {
  return {
    // ownTmpdir: TMPDIR is a directory of the run's own, removed at its end (jest.tmpdir.js).
    ...(ownTmpdir
      ? {
          globalSetup: fileURLToPath(new URL("./jest.tmpdir-setup.js", import.meta.url)),
          globalTeardown: fileURLToPath(new URL("./jest.tmpdir-teardown.js", import.meta.url)),
        }
      : {}),
    testEnvironment: "node",
    extensionsToTreatAsEsm: [".ts"],
    moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
    transform: {
      "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json", diagnostics: typeCheck }],
    },
    testMatch: ["<rootDir>/test/**/*.test.ts"],
    testTimeout: 30000,
    ...overrides,
  };
}
