// Network from Node: TCP to Redis (sets a key), PostgreSQL and the test's listeners, UDP to the
// test's sockets, a DNS lookup, a public address. Contained: nothing connects or resolves.
'use strict';
const net = require('net');
const dgram = require('dgram');
const dns = require('dns');
const ctx = JSON.parse(process.argv[2]);

function tcp(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    const done = (ok, detail) => {
      console.log(JSON.stringify({ probe: `tcp:${host}:${port}`, ok, detail }));
      socket.destroy();
      resolve();
    };
    socket.on('connect', () => {
      if (port === 6379) {
        const key = ctx.marker;
        socket.write(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$7\r\nescaped\r\n`);
      } else {
        socket.write(ctx.marker + '\n');
      }
      setTimeout(() => done(true, ''), 300);
    });
    socket.on('timeout', () => done(false, 'timeout'));
    socket.on('error', (e) => done(false, e.code));
  });
}

function udp(host, port) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.send(ctx.marker, port, host, (e) => {
      console.log(JSON.stringify({ probe: `udp:${host}:${port}`, ok: !e, detail: e ? e.code : '' }));
      socket.close();
      resolve();
    });
  });
}

function lookup(name) {
  return new Promise((resolve) => {
    dns.lookup(name, (e, address) => {
      console.log(JSON.stringify({ probe: `resolve:${name}`, ok: !e, detail: e ? e.code : address }));
      resolve();
    });
  });
}

(async () => {
  const targets = [...ctx.tcp, ['127.0.0.1', 6379], ['127.0.0.1', 5432], ['1.1.1.1', 443]];
  for (const [host, port] of targets) await tcp(host, port);
  for (const [host, port] of ctx.udp) await udp(host, port);
  await lookup('example.com');
  process.exit(0);
})();
