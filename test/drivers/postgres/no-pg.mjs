import { register } from 'node:module';

register('./no-pg-hooks.mjs', import.meta.url);
