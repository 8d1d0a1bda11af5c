// Force every listen() without an explicit host onto 127.0.0.1: the atproto services
// (PLC, PDS, AppView, Ozone, bsync, dataplane) otherwise bind to all interfaces.
const net = require('net');
const orig = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const a0 = args[0];
  if (a0 && typeof a0 === 'object' && !Array.isArray(a0)) {
    if (a0.path === undefined && !a0.host) args[0] = { ...a0, host: '127.0.0.1' };
  } else if (typeof a0 === 'number' || (typeof a0 === 'string' && /^\d+$/.test(a0))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (a0 === undefined || typeof a0 === 'function') {
    args.unshift(0, '127.0.0.1');
  }
  return orig.apply(this, args);
};
