/** Fixture bytes, read with fs in Node and fetched from the Vite server in the browser. */
let reader: ((path: string) => Promise<Uint8Array>) | null = null;

export function setFixtureReader(fn: (path: string) => Promise<Uint8Array>): void {
  reader = fn;
}

/** `path` is relative to test/fixtures; `models/...` is the repository's models/ (MediaPipe's files, git-ignored). */
export function readFixture(path: string): Promise<Uint8Array> {
  if (!reader) throw new Error('no fixture reader set (the test runner sets one)');
  return reader(path);
}

/** Where a fixture path lives, relative to the repository root. */
export const fixturePath = (path: string): string => (path.startsWith('models/') ? path : `test/fixtures/${path}`);

export const fetchFixture = async (path: string): Promise<Uint8Array> => {
  const r = await fetch(`/${fixturePath(path)}`);
  if (!r.ok) throw new Error(`fixture ${path}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};
