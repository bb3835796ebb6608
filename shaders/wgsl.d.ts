// .wgsl files are imported as text (Vite/Vitest plugin and esbuild's text loader).
declare module '*.wgsl' {
  const source: string;
  export default source;
}
