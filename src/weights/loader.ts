/**
 * loadWeights: engine safetensors from a URL (fetch), File/Blob, ArrayBuffer/Uint8Array, or (Node)
 * a file path, streamed chunk by chunk into per-tensor Float32Arrays (f16 expanded as each tensor
 * completes), so memory peaks at about the f32 weights, not weights + file. The header is
 * validated (byte ranges against the file size, the declared configuration against the tensors
 * present) before any data is read, and a tensor's memory is only allocated once its bytes have
 * arrived. NaN or infinite weights are an error naming the tensor. No top-level Node imports: this
 * module bundles for the browser; paths are read by ../platform/node.ts.
 */
import { checkDeclaredConfig, detectArchitecture, expectedShapes, inferDetectorConfig, inferHiuConfig, validateShapes, type ModelConfig } from './config.ts';
import { FORMAT_NAME, FORMAT_VERSION, headerLength, parseHeader, type StHeader, type StTensorInfo } from './safetensors.ts';
import { quoteUntrusted } from '../util/untrusted.ts';
import { f16ToF32 } from './dtype.ts';
import { firstNonFinite } from '../util/finite.ts';
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
  /** Wall ms waiting for bytes (fetch, file or blob reads) and decoding them; the two interleave as the file streams in. */
  timings: { readMs: number; parseMs: number };
}

/** How a loaded file stores its weights: 'f16' when its metadata or any tensor says so. */
export const storedDtype = (w: LoadedWeights): 'f32' | 'f16' =>
  w.metadata.dtype === 'f16' || [...w.tensors.values()].some((t) => t.dtype === 'f16') ? 'f16' : 'f32';

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
  if (md.format !== undefined && md.format !== FORMAT_NAME) throw new Error(`${name}: metadata format ${quoteUntrusted(md.format)} is not '${FORMAT_NAME}'`);
  if (md.format_version !== undefined && md.format_version !== FORMAT_VERSION) {
    throw new Error(`${name}: weight format version ${quoteUntrusted(md.format_version)} is not supported (this build reads ${FORMAT_VERSION}); re-run hiu convert`);
  }
  const shapes = new Map(header.tensors.map((t) => [t.name, t.shape]));
  let config: ModelConfig;
  if (md.config !== undefined) {
    // Checked against the tensors present before any layout is built from it.
    config = checkDeclaredConfig(md.config, shapes, name);
  } else {
    const arch = detectArchitecture(shapes.keys(), name);
    config = arch === 'hiu-dmtl' ? inferHiuConfig(shapes, { what: name }) : inferDetectorConfig(shapes, { what: name });
    validateShapes(shapes, expectedShapes(config, 'engine'), name);
  }
  if (md.architecture !== undefined && md.architecture !== config.architecture) {
    throw new Error(`${name}: metadata architecture ${quoteUntrusted(md.architecture)} disagrees with its config`);
  }
  if (want && config.architecture !== want) throw new Error(`${name}: holds ${config.architecture} weights, expected ${want}`);
  return config;
}

/** Collects the bytes of one tensor as they stream in; memory is allocated as data arrives, never from the header alone. */
class TensorBytes {
  private readonly parts: Uint8Array[] = [];
  received = 0;
  constructor(readonly info: StTensorInfo) {}
  get size(): number {
    return this.info.end - this.info.begin;
  }
  add(b: Uint8Array): void {
    this.parts.push(b);
    this.received += b.length;
  }
  /** The tensor as f32 (f16 expanded), checked finite. */
  finish(name: string): LoadedTensor {
    const raw = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) raw.set(p, at), (at += p.length);
    const t = this.info;
    const data = t.dtype === 'F16' ? f16ToF32(new Uint16Array(raw.buffer)) : new Float32Array(raw.buffer);
    const bad = firstNonFinite(data);
    if (bad >= 0) throw new Error(`${name}: tensor ${quoteUntrusted(t.name)} holds ${data[bad]} at element ${bad}; weights must be finite`);
    return { shape: t.shape, data, dtype: t.dtype === 'F16' ? 'f16' : 'f32' };
  }
}

export async function loadWeights(source: WeightsSource, opts: LoadOptions = {}): Promise<LoadedWeights> {
  const name = sourceName(source);
  const { total, chunks } = await openChunks(source, opts.signal);
  const tensors = new Map<string, LoadedTensor>();
  let head = new Uint8Array(0); // bytes until the header is complete
  let header: StHeader | null = null;
  let config: ModelConfig | null = null;
  let ti = 0; // current tensor index
  let current: TensorBytes | null = null;
  let loaded = 0;
  const start = performance.now();
  let parseMs = 0;

  // Zero-size tensors never receive bytes: finish them as soon as they are current.
  const finishEmpty = () => {
    while (header && ti < header.tensors.length && header.tensors[ti].begin === header.tensors[ti].end) {
      tensors.set(header.tensors[ti].name, new TensorBytes(header.tensors[ti]).finish(name));
      ti++;
    }
  };

  for await (let chunk of chunks) {
    const chunkStart = performance.now();
    opts.signal?.throwIfAborted();
    loaded += chunk.length;
    while (chunk.length) {
      if (!header) {
        // Bounded: headerLength refuses a header over MAX_HEADER_BYTES once 8 bytes are here.
        const merged = new Uint8Array(head.length + chunk.length);
        merged.set(head);
        merged.set(chunk, head.length);
        head = merged;
        chunk = new Uint8Array(0);
        if (head.length < 8) break;
        const n = headerLength(head, name, total);
        if (head.length < 8 + n) break;
        header = parseHeader(head.subarray(8, 8 + n), name, undefined, total);
        config = configFromHeader(header, name, opts.architecture);
        chunk = head.subarray(8 + n);
        head = new Uint8Array(0);
        finishEmpty();
        continue;
      }
      if (ti >= header.tensors.length) throw new Error(`${name}: trailing bytes after the last tensor (data ends at offset ${header.dataStart + header.dataSize})`);
      current ??= new TensorBytes(header.tensors[ti]);
      const take = Math.min(chunk.length, current.size - current.received);
      current.add(chunk.subarray(0, take));
      chunk = chunk.subarray(take);
      if (current.received === current.size) {
        tensors.set(current.info.name, current.finish(name));
        current = null;
        ti++;
        finishEmpty();
      }
    }
    opts.onProgress?.({ loaded, total });
    parseMs += performance.now() - chunkStart;
  }
  if (!header || !config) throw new Error(`${name}: truncated safetensors file (header incomplete after ${loaded} bytes)`);
  if (ti < header.tensors.length) {
    throw new Error(`${name}: truncated safetensors file: tensor ${quoteUntrusted(header.tensors[ti].name)} incomplete (${loaded} bytes read)`);
  }
  return { architecture: config.architecture, config, metadata: header.metadata, tensors, timings: { readMs: performance.now() - start - parseMs, parseMs } };
}
