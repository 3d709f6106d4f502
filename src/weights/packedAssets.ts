/**
 * Emscripten "packed file system" bundles (file_packager.py output): a `.data` file holding several
 * files back to back, and a loader `.js` whose `loadPackage({"files": [{filename, start, end}, ...],
 * "remote_package_size": N})` call lists each file's byte range. MediaPipe's npm packages ship
 * their palm detector this way. Both inputs are outside data: every range is checked.
 */
import { quoteUntrusted } from '../util/untrusted.ts';

export class PackedAssetsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackedAssetsError';
  }
}

export interface PackedFile {
  filename: string;
  start: number;
  end: number;
}

/** Reads the file list from a loader script; `what` names it in errors. */
export function parsePackedAssetsLoader(js: string, what = 'loader'): { files: PackedFile[]; size: number } {
  const at = js.indexOf('loadPackage({');
  if (at < 0) throw new PackedAssetsError(`${what}: no loadPackage({...}) call; not an Emscripten packed-assets loader`);
  // The argument is one JSON object on one line; take up to the matching '});'.
  const end = js.indexOf('});', at);
  if (end < 0) throw new PackedAssetsError(`${what}: loadPackage({ is not closed`);
  let meta: unknown;
  try {
    meta = JSON.parse(js.slice(at + 'loadPackage('.length, end + 1));
  } catch {
    throw new PackedAssetsError(`${what}: loadPackage argument is not JSON`);
  }
  const m = meta as { files?: unknown; remote_package_size?: unknown };
  if (!Array.isArray(m.files)) throw new PackedAssetsError(`${what}: loadPackage argument has no "files" array`);
  const size = m.remote_package_size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new PackedAssetsError(`${what}: remote_package_size ${quoteUntrusted(size)} is not a byte count`);
  const files = m.files.map((f, i): PackedFile => {
    const e = f as Partial<PackedFile>;
    const ok = typeof e.filename === 'string' && Number.isSafeInteger(e.start) && Number.isSafeInteger(e.end) &&
      e.start! >= 0 && e.end! >= e.start! && e.end! <= size;
    if (!ok) throw new PackedAssetsError(`${what}: files[${i}] (filename ${quoteUntrusted(e?.filename)}, start ${quoteUntrusted(e?.start)}, end ${quoteUntrusted(e?.end)}) is not {filename, start <= end <= ${size}}`);
    return { filename: e.filename!, start: e.start!, end: e.end! };
  });
  return { files, size };
}

/** The bytes of the file whose name ends with `name` (e.g. 'palm_detection_full.tflite'). */
export function extractPackedFile(data: Uint8Array, loaderJs: string, name: string, what = 'packed assets'): Uint8Array {
  const { files, size } = parsePackedAssetsLoader(loaderJs, `${what} loader`);
  if (data.length !== size) throw new PackedAssetsError(`${what}: .data is ${data.length} bytes, the loader says ${size}`);
  const f = files.find((x) => x.filename === name || x.filename.endsWith(`/${name}`));
  if (!f) {
    const has = files.slice(0, 20).map((x) => quoteUntrusted(x.filename.split('/').pop())).join(', ');
    throw new PackedAssetsError(`${what}: no file ${quoteUntrusted(name)} (has ${has}${files.length > 20 ? `, ... (${files.length} in all)` : ''})`);
  }
  return data.subarray(f.start, f.end);
}
