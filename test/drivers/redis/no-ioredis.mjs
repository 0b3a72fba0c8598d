import { register } from 'node:module';

register('./no-ioredis-hooks.mjs', import.meta.url);
