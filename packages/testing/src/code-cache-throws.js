'use strict'; module.exports.onFirstLine = () => { throw new Error('first line'); };
// Plain JavaScript, which jest does not transform (no source map moves a position): code-cache.test.ts
// checks that errors thrown here report these lines and columns.
module.exports.onFifthLine = function onFifthLine() {
  return void [][0].x; // throws: reading x of undefined
};
