/**
 * The browser side of ./node.ts, with the same exports: the published package's `browser` field
 * puts this file in its place, so no Node code or Node module name reaches a browser bundle.
 * Nothing here is reached in a browser except isNode/isLocalPath and the adapter hint.
 */
import { WebGPUUnavailableError } from '../engine/errors.ts';

const nodeOnly = (what: string) => new Error(`${what} needs Node; this is the browser build of hiu-webgpu`);

export const isNode = (): boolean => false;

export const isLocalPath = (_s: unknown): _s is string => false;

export const localPathOf = (_s: unknown): string | undefined => undefined;

export function nodeImport<T>(specifier: string): Promise<T> {
  return Promise.reject(nodeOnly(`import('${specifier}')`));
}

export async function loadDawn(): Promise<GPU> {
  throw new WebGPUUnavailableError('WebGPU is not available: navigator.gpu is missing (and Dawn is for Node only).');
}

export async function fileChunks(path: string, _chunkBytes: number): Promise<{ total: number; chunks: AsyncIterable<Uint8Array> }> {
  throw nodeOnly(`reading the file ${path}`);
}

export async function openFile(path: string): Promise<{ size: number; read(offset: number, length: number): Promise<Uint8Array>; close(): Promise<void> }> {
  throw nodeOnly(`opening the file ${path}`);
}

export async function findSwiftShaderIcd(): Promise<string | undefined> {
  return undefined;
}

export async function hasRenderNode(): Promise<boolean> {
  return false;
}

export async function noAdapterHint(): Promise<string> {
  return ' Start Chromium with --enable-unsafe-webgpu where WebGPU is not enabled by default.';
}
