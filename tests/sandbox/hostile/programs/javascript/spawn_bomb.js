// child_process fork bomb: detached busy shells carrying the run's marker, as fast as Node
// can spawn them, then stays alive. Contained: spawns are refused past the process limit, the
// run ends on a limit, none survives.
'use strict';
const { spawn, execFileSync } = require('child_process');
const ctx = JSON.parse(process.argv[2]);
let started = 0;
let refused = 0;
for (let i = 0; i < 400; i++) {
  try {
    const child = spawn('/bin/sh', ['-c', 'while :; do :; done', ctx.marker],
      { detached: true, stdio: 'ignore' });
    child.on('error', () => { refused++; });
    child.unref();
    started++;
  } catch (e) {
    refused++;
  }
}
let shadow = null;
try {
  shadow = execFileSync('/bin/cat', ['/etc/shadow'], { stdio: ['ignore', 'pipe', 'ignore'] }).length;
} catch (e) {
  shadow = null;
}
setTimeout(() => {
  console.log(JSON.stringify({ probe: 'spawned', ok: refused === 0, detail: { started, refused } }));
  console.log(JSON.stringify({ probe: 'cat_shadow', ok: shadow !== null, detail: shadow }));
  setInterval(() => {}, 1000);
}, 300);
