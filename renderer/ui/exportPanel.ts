// Export the visible panel as one picture: every <canvas> and <svg> inside the panel, placed where
// they are on screen — as PNG (canvases drawn, SVGs rasterized) or as SVG (SVGs inlined, canvases
// embedded as PNG images). Axes, legends and heatmaps therefore all come along.

interface Piece {
  el: HTMLCanvasElement | SVGSVGElement;
  x: number;
  y: number;
  w: number;
  h: number;
}

function pieces(root: HTMLElement): { items: Piece[]; width: number; height: number } {
  const box = root.getBoundingClientRect();
  const items: Piece[] = [];
  let width = 1;
  let height = 1;
  for (const el of root.querySelectorAll<HTMLCanvasElement | SVGSVGElement>('canvas, svg')) {
    if (el instanceof SVGSVGElement && el.ownerSVGElement) continue; // nested svg: part of its parent
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const p = { el, x: r.left - box.left + root.scrollLeft, y: r.top - box.top + root.scrollTop, w: r.width, h: r.height };
    items.push(p);
    width = Math.max(width, p.x + p.w);
    height = Math.max(height, p.y + p.h);
  }
  return { items, width: Math.ceil(width), height: Math.ceil(height) };
}

/** An SVG element as standalone markup, with the computed text colour inlined so it reads off-page. */
function svgMarkup(svg: SVGSVGElement, w: number, h: number): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(w));
  clone.setAttribute('height', String(h));
  const style = document.createElementNS('http://www.w3.org/2000/svg', 'style');
  style.textContent = 'text{font:10px monospace;fill:#8b93a3} .legend-label{fill:#d8dee9} line,path{vector-effect:non-scaling-stroke}';
  clone.insertBefore(style, clone.firstChild);
  return new XMLSerializer().serializeToString(clone);
}

export function panelSvg(root: HTMLElement, background = '#171a21'): string {
  const { items, width, height } = pieces(root);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`, `<rect width="100%" height="100%" fill="${background}"/>`];
  for (const p of items) {
    if (p.el instanceof HTMLCanvasElement) {
      parts.push(`<image x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" preserveAspectRatio="none" href="${p.el.toDataURL('image/png')}"/>`);
    } else {
      parts.push(`<g transform="translate(${p.x},${p.y})">${svgMarkup(p.el, p.w, p.h)}</g>`);
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('could not rasterize an SVG of the panel'));
    img.src = src;
  });
}

export async function panelPng(root: HTMLElement, background = '#171a21', scale = window.devicePixelRatio || 1): Promise<Blob> {
  const { items, width, height } = pieces(root);
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(height * scale);
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no 2D canvas context');
  g.scale(scale, scale);
  g.fillStyle = background;
  g.fillRect(0, 0, width, height);
  for (const p of items) {
    if (p.el instanceof HTMLCanvasElement) {
      g.imageSmoothingEnabled = false;
      g.drawImage(p.el, p.x, p.y, p.w, p.h);
    } else {
      const url = URL.createObjectURL(new Blob([svgMarkup(p.el, p.w, p.h)], { type: 'image/svg+xml' }));
      try {
        g.drawImage(await loadImage(url), p.x, p.y, p.w, p.h);
      } finally {
        URL.revokeObjectURL(url);
      }
    }
  }
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
}
