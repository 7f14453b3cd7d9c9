// The example app's Vite config. A real app depends on the package
// (`"@family-chores/frontend-bindings": "file:<path>/frontend-bindings"`); this one lives inside it,
// so an alias points the package name at its sources instead.

import { fileURLToPath } from "node:url";

import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [vue()],
  resolve: {
    alias: {
      "@family-chores/frontend-bindings": fileURLToPath(new URL("../src/index.ts", import.meta.url)),
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
  },
});
