/** Page side of the browser benchmarks (bench/handsPage.ts, bench/peersPage.ts): the adapter a results file names. */

/** 'vendor architecture description (fallback)' of navigator.gpu's default adapter, or 'none'. */
export async function describeWebGPUAdapter(): Promise<string> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return 'none';
  const i = adapter.info;
  return [i.vendor, i.architecture, i.description, (i as { isFallbackAdapter?: boolean }).isFallbackAdapter ? '(fallback)' : ''].filter(Boolean).join(' ');
}
