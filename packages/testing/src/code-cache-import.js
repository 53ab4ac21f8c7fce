'use strict';
// Plain JavaScript that calls import(): code-cache.test.ts checks it reaches jest's dynamic import on every
// load, also once a previous run could have cached it (Node 20 drops the callback of a script made from
// cached data, so the runtime never caches such a module on disk).
module.exports.load = () => import('node:path');
