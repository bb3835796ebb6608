// Vitest: unit tests, GPU tests (Dawn in Node on a software or real Vulkan driver), CLI tests.
// .wgsl files load as text, as esbuild's text loader and Vite do for the app.
import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const icds = ['/usr/share/vulkan/icd.d/lvp_icd.json', '/usr/lib/chromium/vk_swiftshader_icd.json'];
const icd = process.env['VK_ICD_FILENAMES'] ?? icds.find((f) => existsSync(f));

export default defineConfig({
  plugins: [
    {
      name: 'wgsl-text',
      transform(code: string, id: string) {
        if (id.endsWith('.wgsl')) return { code: `export default ${JSON.stringify(code)};`, map: null };
        return undefined;
      },
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    exclude: ['node_modules/**'],
    pool: 'forks',
    maxWorkers: 2,
    // Timeouts catch hangs, not slowness: on CI's clean 2-core machine lavapipe compiles every
    // pipeline cold (no Mesa shader cache), and one test's kernels alone took 80 s there
    // (softmax_attn's decode-kernel case; over 120 s with both workers compiling).
    testTimeout: 300_000,
    hookTimeout: 300_000,
    env: icd ? { VK_ICD_FILENAMES: icd } : {},
  },
});
