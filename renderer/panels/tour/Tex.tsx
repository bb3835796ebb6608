// One equation typeset by KaTeX. katex.render builds DOM nodes and sets their styles through the
// CSSOM, which the page's CSP (style-src 'self') allows; renderToString's inline style="" would not.

import katex from 'katex';
import { useLayoutEffect, useRef, type JSX } from 'react';

export function Tex({ tex, display = true }: { tex: string; display?: boolean }): JSX.Element {
  const el = useRef<HTMLSpanElement>(null);
  useLayoutEffect(() => {
    if (el.current) katex.render(tex, el.current, { displayMode: display, throwOnError: false, output: 'html' });
  }, [tex, display]);
  return <span ref={el} className={display ? 'tour-tex display' : 'tour-tex'} data-tex={tex} />;
}
