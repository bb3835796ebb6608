// Small helpers shared by ops: 2-D workgroup grids for more than 65,535 workgroups.

/** Splits n workgroups into [x, y] with x ≤ 65535; kernels use id = wid.x + wid.y * 65535. */
export function grid(n: number): [number, number] {
  if (n <= 65535) return [n, 1];
  return [65535, Math.ceil(n / 65535)];
}

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
