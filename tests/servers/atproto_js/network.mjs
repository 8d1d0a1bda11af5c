// An empty @atproto/dev-env TestNetwork (PLC, PDS, AppView, Ozone, bsync) on the ports in
// the environment, plus a tiny control endpoint on 127.0.0.1:CONTROL_PORT for tests:
//   POST /process           flush the AppView's indexing of what the PDS wrote (processAll)
//   POST /label {did, val, neg?}  a moderation label from the network's Ozone on an account
//   POST /trust-verifier {did}    the AppView trusts this account's verifications (as
//                                 bsky.app's are trusted on the real network)
// Run with `node --require ./loopback.cjs network.mjs` so every service binds 127.0.0.1.
import http from 'node:http';
import { TestNetwork } from '@atproto/dev-env';

const t0 = Date.now();
const env = (name) => Number(process.env[name]);
// schema names may only contain [A-Za-z_]; a fresh random one per run keeps runs apart
const letters = 'abcdefghijklmnopqrstuvwxyz';
const schema = 't_' + Array.from({ length: 10 }, () => letters[Math.floor(Math.random() * 26)]).join('');
const appviewPort = env('APPVIEW_PORT');
const network = await TestNetwork.create({
  dbPostgresSchema: schema,
  plc: { port: env('PLC_PORT') },
  pds: { port: env('PDS_PORT'), hostname: 'localhost' },
  bsky: { port: appviewPort, publicUrl: `http://localhost:${appviewPort}` },
  ozone: { port: env('OZONE_PORT') },
});
const labeler = network.ozone.ctx.cfg.service.did;

const read = (req) => new Promise((resolve, reject) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => { try { resolve(body ? JSON.parse(body) : {}); } catch (e) { reject(e); } });
});
const control = http.createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/process') {
      await network.processAll();
    } else if (req.method === 'POST' && req.url === '/label') {
      const { did, val, neg = false } = await read(req);
      await network.bsky.db.db.insertInto('label')
        .values({ src: labeler, uri: did, cid: '', val, neg, cts: new Date().toISOString() })
        .onConflict((oc) => oc.doNothing()).execute();
    } else if (req.method === 'POST' && req.url === '/trust-verifier') {
      const { did } = await read(req);
      await network.bsky.db.db.updateTable('actor').set({ trustedVerifier: true })
        .where('did', '=', did).execute();
    } else if (req.method !== 'GET' || req.url !== '/health') {
      res.writeHead(404).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
  } catch (err) {
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err) }));
  }
});
control.listen(env('CONTROL_PORT'), '127.0.0.1', () => {
  const info = { ms: Date.now() - t0, schema, labeler, plc: network.plc.url, pds: network.pds.url, appview: network.bsky.url, ozone: network.ozone.url };
  console.log('READY ' + JSON.stringify(info));
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  try { control.close(); await network.close(); } finally { process.exit(0); }
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
