// Provider bindings are heavy: deep imports only, one worker; `tsc --noEmit` in lint type-checks.
import { jestConfig } from "../../jest.preset.js";

export default jestConfig({
  typeCheck: false,
  ownTmpdir: true,
  setupFilesAfterEnv: ["<rootDir>/test/setup.ts"],
  maxWorkers: 1,
  testTimeout: 60000,
});
