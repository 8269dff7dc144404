// fs reads of host files from Node: /etc/shadow, root's home, the canaries, the checkout.
// Contained: none readable.
'use strict';
const fs = require('fs');
const ctx = JSON.parse(process.argv[2]);
const shown = [...ctx.canaries, ctx.checkout + '/pyproject.toml', '/work/main/pyproject.toml'];
const hidden = ['/etc/shadow', '/root/.bash_history', '/root/.ssh/id_rsa'];
for (const path of [...shown, ...hidden]) {
  try {
    const data = fs.readFileSync(path);
    const detail = shown.includes(path) ? data.toString('latin1').slice(0, 4096) : data.length;
    console.log(JSON.stringify({ probe: 'read:' + path, ok: true, detail }));
  } catch (e) {
    console.log(JSON.stringify({ probe: 'read:' + path, ok: false, detail: e.code }));
  }
}
for (const dir of ['/root', ctx.checkout, '/proc/1/root']) {
  try {
    console.log(JSON.stringify({ probe: 'list:' + dir, ok: true, detail: fs.readdirSync(dir).slice(0, 100) }));
  } catch (e) {
    console.log(JSON.stringify({ probe: 'list:' + dir, ok: false, detail: e.code }));
  }
}
