declare module 'wgsl-preprocessor/wgsl-preprocessor.js' {
  /** Tagged template with #if/#elif/#else/#endif driven by the substituted booleans. */
  export function wgsl(strings: TemplateStringsArray, ...values: unknown[]): string;
}
