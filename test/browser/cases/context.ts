// Browser cases for the GpuContext itself: its live-tensor counter (what every test's leak
// check relies on) and an upload → read round trip.

import { assert, assertClose } from '../compare.js';
import type { Case } from '../harness.js';

export const leakCounterCase: Case = {
  name: 'GpuContext counts live tensors',
  async run(ctx) {
    const start = ctx.memory.liveTensors;
    const a = ctx.tensor([3, 5], 'f32', 'a');
    const b = ctx.upload(new Float32Array(100), [10, 10], 'b');
    const v = b.view([100], 'b.flat');
    assert(ctx.memory.liveTensors === start + 2, `after 2 allocations (and a view): ${ctx.memory.liveTensors - start} live`);
    v.dispose(); // a view disposes its parent
    assert(ctx.memory.liveTensors === start + 1, `after disposing a view: ${ctx.memory.liveTensors - start} live`);
    b.dispose(); // twice is a no-op
    a.dispose();
    await ctx.sync();
    assert(ctx.memory.liveTensors === start, `after disposing everything: ${ctx.memory.liveTensors - start} live`);
  },
};

export const roundTripCase: Case = {
  name: 'upload → read round trip',
  async run(ctx) {
    const data = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e3);
    const t = ctx.upload(data, [1000], 'round-trip');
    try {
      return assertClose(await ctx.readF32(t), data, { rtol: 0, atol: 0, label: 'round trip' });
    } finally {
      t.dispose();
    }
  },
};
