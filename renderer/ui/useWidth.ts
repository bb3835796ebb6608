// The content width of an element, kept current with a ResizeObserver, so charts size to their
// panel instead of a fixed pixel width.

import { useEffect, useState, type RefObject } from 'react';

export function useWidth(ref: RefObject<HTMLElement | null>, fallback = 800): number {
  const [w, setW] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setW(Math.floor(el.clientWidth) || fallback);
    const ro = new ResizeObserver((entries) => {
      const e = entries[0];
      if (e) setW(Math.floor(e.contentRect.width) || fallback);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref, fallback]);
  return w;
}
