// Copies the SQL migrations and Lua scripts that drivers read at run time next to the compiled
// modules in dist/ (tsc copies only TypeScript output).
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ASSET = /\.(sql|lua)$/;
let copied = 0;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (ASSET.test(name)) {
      cpSync(path, join('dist', relative('src', path)));
      copied++;
    }
  }
}
walk('src');
console.log(`copied ${copied} SQL/Lua files to dist/`);
