// Tests drive real Jupyter servers and kernels, so they run one file at a time.
import { jestConfig } from "../../jest.preset.js";

export default jestConfig({
  maxWorkers: 1,
  testTimeout: 60000,
  setupFiles: ["<rootDir>/test/support/quiet-console.ts"],
});
