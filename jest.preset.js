/**
 * The workspace's one jest setup: ESM TypeScript through ts-jest, tests in each package's test/.
 * Packages call it with what differs (one worker for heavy suites, setup files, timeouts).
 */
export function jestConfig({ typeCheck = true, ...overrides } = {}) {
  return {
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
