// Adds to package-lock.json the platform-specific optional packages that `npm install` left out
// because the registry it used does not serve them (a mirror holding only this machine's
// platforms). `npm ci` refuses a lockfile that lacks them, even though it would skip them here.
// Each added entry names its platform, so npm skips it on every other machine without fetching.
// On the public registry npm records these entries itself and this script changes nothing.
// Run after `npm install` changes dependencies: `npm run lockfile:complete`.
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const lockPath = path.resolve(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const platform =
  /-(darwin|linux|win32|android|freebsd|openharmony)-(x64|arm64|arm|ia32|ppc64le|ppc64|s390x|riscv64|loong64)(?:-(gnu|musl|gnueabihf|musleabihf|eabi|msvc))?$/;

let added = 0;
for (const [location, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[`node_modules/${name}`] || !/^\d+\.\d+\.\d+/.test(version)) {
      continue;
    }
    const match = platform.exec(name);
    const wasm = name.endsWith('-wasm32-wasi');
    if (!match && !wasm) {
      continue;
    }
    const target = wasm
      ? { cpu: ['wasm32'] }
      : {
          os: [match[1]],
          // Node calls little-endian POWER "ppc64" (process.arch); some packages name it ppc64le.
          cpu: [match[2] === 'ppc64le' ? 'ppc64' : match[2]],
          ...(match[3] && /gnu|musl/.test(match[3]) ? { libc: [match[3].startsWith('musl') ? 'musl' : 'glibc'] } : {}),
        };
    // npm writes an entry's keys as version first, then alphabetically; so does this.
    const fields = { ...(entry.dev ? { dev: true } : {}), optional: true, ...target };
    lock.packages[`node_modules/${name}`] = {
      version,
      ...Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))),
    };
    added += 1;
  }
}

lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform packages added`);
