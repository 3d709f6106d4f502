// `vite demo`: serves demo/ (public/defaults holds the generated defaults) and lets the pages
// import the library from ../src.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  server: { host: '127.0.0.1', fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  build: { target: 'es2022' },
});
