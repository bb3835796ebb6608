// The ring drawn around what the store's `highlight` points at (set by the tour's "Open in …"): it
// finds the element by its selector once the panel has drawn it, scrolls it into view, follows it
// for a few seconds, then clears the highlight. Rendered once by the app, above the panels, so no
// panel has to know about it.

import { useEffect, useState, type JSX } from 'react';
import { useStore } from '../../state/store.js';

/** How long the ring stays, and how long to wait for the element to appear. */
const SHOW_MS = 3500;
const FIND_MS = 8000;

export function HighlightRing(): JSX.Element | null {
  const h = useStore((s) => s.highlight);
  const [rect, setRect] = useState<DOMRect | null>(null);
  useEffect(() => {
    setRect(null);
    if (!h) return;
    let raf = 0;
    let found: Element | null = null;
    let shownAt = 0;
    const t0 = performance.now();
    const tick = (now: number): void => {
      if (!found) {
        found = document.querySelector(h.selector);
        if (found) {
          found.scrollIntoView({ block: 'nearest' });
          shownAt = now;
        } else if (now - t0 > FIND_MS) {
          useStore.getState().setHighlight(null);
          return;
        }
      }
      if (found) {
        if (now - shownAt > SHOW_MS) {
          useStore.getState().setHighlight(null);
          return;
        }
        const r = found.getBoundingClientRect();
        setRect((old) => (old && old.x === r.x && old.y === r.y && old.width === r.width && old.height === r.height ? old : r));
      }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
  }, [h]);
  if (!h || !rect) return null;
  return (
    <div className="highlight-ring" data-testid="highlight-ring" data-selector={h.selector} style={{ left: rect.left - 4, top: rect.top - 4, width: rect.width + 8, height: rect.height + 8 }}>
      <span className="highlight-label">{h.label}</span>
    </div>
  );
}
