/**
 * loadWeights: engine safetensors from a URL (fetch), File/Blob, ArrayBuffer/Uint8Array, or (Node)
 * a file path, streamed chunk by chunk into per-tensor Float32Arrays (f16 expanded as each tensor
 * completes), so memory peaks at about the f32 weights, not weights + file. The header is
 * validated against the configuration before any data is read. No top-level Node imports: this
 * module bundles for the browser; paths are read by ../platform/node.ts.
 */
import { detectArchitecture, expectedShapes, inferDetectorConfig, inferHiuConfig, validateShapes, type ModelConfig } from './config.ts';
import { FORMAT_NAME, FORMAT_VERSION, headerLength, parseHeader, ST_SIZE, type StHeader } from './safetensors.ts';
import { f16ToF32 } from './dtype.ts';
import { fileChunks, localPathOf } from '../platform/node.ts';
import { readerChunks } from './source.ts';

export interface LoadedTensor {
  shape: number[];
  data: Float32Array;
  /** Storage dtype in the file (data is always f32). */
  dtype: 'f32' | 'f16';
}

export interface LoadedWeights {
  architecture: ModelConfig['architecture'];
  config: ModelConfig;
  metadata: Record<string, string>;
  tensors: Map<string, LoadedTensor>;
}

export interface LoadProgress {
  loaded: number;
  /** Total bytes when known (Content-Length, file or blob size). */
  total?: number;
}

export type WeightsSource = string | URL | Blob | ArrayBuffer | Uint8Array;

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  /** Expected architecture; a file of the other one is an error. */
  architecture?: ModelConfig['architecture'];
  signal?: AbortSignal;
}

/** The source as a stream of chunks, with its total size when known (Content-Length for URLs). */
async function openChunks(source: WeightsSource, signal?: AbortSignal): Promise<{ total?: number; chunks: AsyncIterable<Uint8Array> }> {
  if (source instanceof ArrayBuffer) return { total: source.byteLength, chunks: once(new Uint8Array(source)) };
  if (source instanceof Uint8Array) return { total: source.byteLength, chunks: once(source) };
  if (typeof Blob !== 'undefined' && source instanceof Blob) return { total: source.size, chunks: readerChunks(source.stream().getReader()) };
  const path = localPathOf(source);
  if (path !== undefined) return fileChunks(path, 4 << 20);
  const url = String(source);
  const res = await fetch(url, { signal });
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  const len = Number(res.headers.get('content-length'));
  // A compressed response's Content-Length counts encoded bytes: only trust it for identity encoding.
  const total = Number.isFinite(len) && len > 0 && !res.headers.get('content-encoding') ? len : undefined;
  return { total, chunks: readerChunks(res.body.getReader()) };
}

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  yield b;
}

function sourceName(source: WeightsSource): string {
  if (typeof source === 'string' || source instanceof URL) return String(source);
  if (typeof File !== 'undefined' && source instanceof File) return source.name;
  return source instanceof Blob ? '<blob>' : '<buffer>';
}

/** The config a file declares (or, for a plain safetensors file, infers), checked against its header. */
export function configFromHeader(header: StHeader, name: string, want?: ModelConfig['architecture']): ModelConfig {
  const md = header.metadata;
  if (md.format !== undefined && md.format !== FORMAT_NAME) throw new Error(`${name}: metadata format '${md.format}' is not '${FORMAT_NAME}'`);
  if (md.format_version !== undefined && md.format_version !== FORMAT_VERSION) {
    throw new Error(`${name}: weight format version ${md.format_version} is not supported (this build reads ${FORMAT_VERSION}); re-run hiu convert`);
  }
  const shapes = new Map(header.tensors.map((t) => [t.name, t.shape]));
  let config: ModelConfig;
  if (md.config) {
    try {
      config = JSON.parse(md.config) as ModelConfig;
    } catch {
      throw new Error(`${name}: metadata config is not valid JSON`);
    }
  } else {
    const arch = detectArchitecture(shapes.keys(), name);
    config = arch === 'hiu-dmtl' ? inferHiuConfig(shapes, { what: name }) : inferDetectorConfig(shapes, { what: name });
  }
  if (md.architecture && md.architecture !== config.architecture) throw new Error(`${name}: metadata architecture '${md.architecture}' disagrees with its config`);
  if (want && config.architecture !== want) throw new Error(`${name}: holds ${config.architecture} weights, expected ${want}`);
  validateShapes(shapes, expectedShapes(config, 'engine'), name);
  return config;
}

export async function loadWeights(source: WeightsSource, opts: LoadOptions = {}): Promise<LoadedWeights> {
  const name = sourceName(source);
  const { total, chunks } = await openChunks(source, opts.signal);
  const tensors = new Map<string, LoadedTensor>();
  let head = new Uint8Array(0); // bytes until the header is complete
  let header: StHeader | null = null;
  let config: ModelConfig | null = null;
  let pos = 0; // absolute bytes consumed
  let ti = 0; // current tensor index
  let raw: Uint8Array | null = null; // destination bytes of the current tensor
  let loaded = 0;

  const startTensor = () => {
    const t = header!.tensors[ti];
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (t.dtype === 'F32') {
      const data = new Float32Array(numel);
      tensors.set(t.name, { shape: t.shape, data, dtype: 'f32' });
      raw = new Uint8Array(data.buffer);
    } else {
      raw = new Uint8Array(numel * ST_SIZE.F16);
    }
  };
  const finishTensor = () => {
    const t = header!.tensors[ti];
    if (t.dtype === 'F16') tensors.set(t.name, { shape: t.shape, data: f16ToF32(new Uint16Array(raw!.buffer)), dtype: 'f16' });
    raw = null;
    ti++;
  };

  for await (let chunk of chunks) {
    loaded += chunk.length;
    while (chunk.length) {
      if (!header) {
        const merged = new Uint8Array(head.length + chunk.length);
        merged.set(head);
        merged.set(chunk, head.length);
        head = merged;
        chunk = new Uint8Array(0);
        if (head.length < 8) break;
        const n = headerLength(head, name, total);
        if (head.length < 8 + n) break;
        header = parseHeader(head.subarray(8, 8 + n), name);
        config = configFromHeader(header, name, opts.architecture);
        pos = 8 + n;
        chunk = head.subarray(pos);
        head = new Uint8Array(0);
        continue;
      }
      if (ti >= header.tensors.length) throw new Error(`${name}: trailing bytes after the last tensor`);
      const t = header.tensors[ti];
      if (!raw) startTensor();
      const start = header.dataStart + t.begin;
      const take = Math.min(chunk.length, header.dataStart + t.end - pos);
      raw!.set(chunk.subarray(0, take), pos - start);
      pos += take;
      chunk = chunk.subarray(take);
      if (pos === header.dataStart + t.end) finishTensor();
    }
    opts.onProgress?.({ loaded, total });
  }
  if (!header || !config) throw new Error(`${name}: truncated safetensors file (header incomplete after ${loaded} bytes)`);
  // Zero-size tensors never receive bytes; finish them (and detect a short file).
  while (ti < header.tensors.length && header.tensors[ti].begin === header.tensors[ti].end && pos === header.dataStart + header.tensors[ti].end) {
    if (!raw) startTensor();
    finishTensor();
  }
  if (ti < header.tensors.length) {
    throw new Error(`${name}: truncated safetensors file: tensor '${header.tensors[ti].name}' incomplete (${loaded} bytes read)`);
  }
  return { architecture: config.architecture, config, metadata: header.metadata, tensors };
}
