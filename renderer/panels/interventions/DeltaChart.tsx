// Per-token lines of the baseline's tokens: Δ log p (intervened − baseline) and KL(p_baseline ‖
// p_intervened), on one nats axis with zero drawn; hover previews a token everywhere, click locks it.

import { useMemo, type JSX } from 'react';
import { focusToken, useStore } from '../../state/store.js';
import { seriesChart } from '../../viz/compare.js';
import { TokenSeriesChart } from '../../ui/TokenSeriesChart.js';
import type { LogprobDeltas } from './logic.js';

export const DELTA_COLOR = '#e69f00';
export const KL_COLOR = '#cc79a7';

export function DeltaChart({ d, width, promptLength }: { d: LogprobDeltas; width: number; promptLength: number }): JSX.Element {
  const focus = useStore(focusToken);
  const chart = useMemo(() => seriesChart([d.delta, d.kl], { lo: 0, hi: d.T }, width, 170, [0]), [d, width]);
  return (
    <TokenSeriesChart
      chart={chart}
      colors={[DELTA_COLOR, KL_COLOR]}
      dashes={[undefined, '4 2']}
      focus={focus !== null && focus < d.T ? focus : null}
      yLabel="nats"
      testId="int-delta-chart"
      shadeFrom={null}
      promptLength={promptLength}
      zeroLine
      label="Δ log p and KL per token"
    />
  );
}
