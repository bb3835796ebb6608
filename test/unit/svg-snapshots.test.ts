// Normalized SVG snapshots of the d3-backed drawings (Observable Plot's practice): the React
// components render to static markup in Node, numbers are rounded to 2 decimals (so a float's last
// digit does not churn the snapshot), and the markup is compared with the committed file. A change
// to a chart's geometry, ticks or labels shows up as a readable diff; update with `vitest -u` after
// looking at it.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Legend } from '../../renderer/ui/Legend.js';
import { TokenLines } from '../../renderer/ui/TokenLines.js';
import { valueScale } from '../../renderer/viz/scales.js';

/** Rounds every decimal number in the markup to 2 places and puts one tag per line. */
function normalize(svg: string): string {
  return svg.replace(/-?\d+\.\d+(e[-+]?\d+)?/g, (m) => String(Math.round(Number(m) * 100) / 100)).replace(/></g, '>\n<');
}

describe('SVG snapshots', () => {
  it('legend, linear scale', async () => {
    const svg = renderToStaticMarkup(createElement(Legend, { scale: valueScale([0, 1]), label: 'α = F (linear)', width: 200 }));
    await expect(normalize(svg)).toMatchFileSnapshot('__snapshots__/legend-linear.svg');
  });

  it('legend, logit scale over saturated gates', async () => {
    const svg = renderToStaticMarkup(createElement(Legend, { scale: valueScale([0.001, 0.9999], { mapping: 'logit', map: 'cividis' }), label: 'g (logit)', width: 240 }));
    await expect(normalize(svg)).toMatchFileSnapshot('__snapshots__/legend-logit.svg');
  });

  it('token lines: two series, a rule and the cursor at the focused token', async () => {
    const svg = renderToStaticMarkup(
      createElement(TokenLines, {
        series: [
          { key: 'a', label: '‖S_t‖ head 0', values: [1, 2, 4, 3, 5, 4.5, 6, 7], color: '#0072b2' },
          { key: 'b', label: '‖S_t‖ head 1', values: [0.5, 1, NaN, 2, 2.5, 2, 3, 2.75], color: '#e69f00', dash: '3,2' },
        ],
        x0: 10,
        n: 8,
        width: 320,
        height: 140,
        yLabel: '‖S_t‖',
        rules: [{ value: 6, label: 'bound' }],
        focus: 13,
      }),
    );
    await expect(normalize(svg)).toMatchFileSnapshot('__snapshots__/token-lines.svg');
  });
});
