/**
 * Files imported as text (`import html from '…/index.html' with { type: 'text' }`): esbuild bundles
 * their contents as strings; `scripts/text-imports.ts` does the same for tsx and vitest.
 */
declare module '*.html' {
  const text: string;
  export default text;
}
declare module '*.css' {
  const text: string;
  export default text;
}
// The dashboard's scripts are served, never run here: their text, one pattern each.
declare module '*/dashboard/api.js' {
  const text: string;
  export default text;
}
declare module '*/dashboard/app.js' {
  const text: string;
  export default text;
}
declare module '*/dashboard/chart.js' {
  const text: string;
  export default text;
}
declare module '*/dashboard/format.js' {
  const text: string;
  export default text;
}
declare module '*/dashboard/hardware.js' {
  const text: string;
  export default text;
}
declare module '*/dashboard/list.js' {
  const text: string;
  export default text;
}
declare module '*/dashboard/node.js' {
  const text: string;
  export default text;
}
declare module '*/dashboard/rules.js' {
  const text: string;
  export default text;
}
declare module '*/dashboard/shared.js' {
  const text: string;
  export default text;
}
