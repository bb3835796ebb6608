// The browser suite's entry (bundled by chromium.test.ts): runs CASES, publishes the result.

import { CASES } from './cases.js';
import { publish, runSuite } from './harness.js';

runSuite(CASES).then(publish, (e: unknown) => publish({ ok: false, error: String(e), cases: [] }));
