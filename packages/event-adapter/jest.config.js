// Pure functions, no I/O.
import { jestConfig } from "../../jest.preset.js";

export default jestConfig();
