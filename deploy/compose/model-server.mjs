// A stand-in model server for the docker compose closed loop: plain Node.js, no dependencies.
// It serves synthetic traffic and exports the metrics deploy/prometheus/rules.yml alerts on. Faults are switched
// on by hand and cleared by salve's `webhook` action:
//
//   POST /break?fault=errors|latency|drift|accuracy   start a fault (default errors: 30% of requests fail)
//   POST /heal   (Idempotency-Key required)            what salve calls: clear every fault; 409 for a key seen
//   POST /fix                                          clear every fault by hand
//   GET  /metrics  /state  /healthz
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const labels = {
  namespace: process.env.MODEL_NAMESPACE ?? 'ml-prod',
  deployment: process.env.MODEL_DEPLOYMENT ?? 'fraud-scorer',
  model: process.env.MODEL_NAME ?? 'fraud-scorer',
};
const buckets = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const faults = { errors: false, latency: false, drift: false, accuracy: false };
const seenKeys = new Map();
const state = {
  ok: 0,
  failed: 0,
  durationSum: 0,
  bucketCounts: buckets.map(() => 0),
};

// 20 requests every 100 ms: 200 requests/s of synthetic traffic.
function serveTraffic() {
  for (let i = 0; i < 20; i++) {
    const failed = faults.errors && Math.random() < 0.3;
    const seconds = (faults.latency ? 0.6 : 0.02) + Math.random() * (faults.latency ? 0.8 : 0.03);
    if (failed) state.failed += 1;
    else state.ok += 1;
    state.durationSum += seconds;
    buckets.forEach((le, b) => {
      if (seconds <= le) state.bucketCounts[b] += 1;
    });
  }
}
setInterval(serveTraffic, 100).unref();

const labelText = (extra = {}) =>
  Object.entries({ ...labels, ...extra })
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');

function metrics() {
  const total = state.ok + state.failed;
  const lines = [
    '# HELP model_serving_requests_total Prediction requests served, by HTTP status code.',
    '# TYPE model_serving_requests_total counter',
    `model_serving_requests_total{${labelText({ code: '200' })}} ${state.ok}`,
    `model_serving_requests_total{${labelText({ code: '500' })}} ${state.failed}`,
    '# HELP model_serving_request_duration_seconds Time to answer a prediction request.',
    '# TYPE model_serving_request_duration_seconds histogram',
    ...buckets.map(
      (le, b) =>
        `model_serving_request_duration_seconds_bucket{${labelText({ le: String(le) })}} ${state.bucketCounts[b]}`,
    ),
    `model_serving_request_duration_seconds_bucket{${labelText({ le: '+Inf' })}} ${total}`,
    `model_serving_request_duration_seconds_sum{${labelText()}} ${state.durationSum.toFixed(3)}`,
    `model_serving_request_duration_seconds_count{${labelText()}} ${total}`,
    '# HELP model_prediction_psi Population stability index of the prediction distribution against training.',
    '# TYPE model_prediction_psi gauge',
    `model_prediction_psi{${labelText()}} ${faults.drift ? 0.31 : 0.04}`,
    '# HELP model_holdout_accuracy Accuracy on the labelled holdout set, last evaluation.',
    '# TYPE model_holdout_accuracy gauge',
    `model_holdout_accuracy{${labelText()}} ${faults.accuracy ? 0.81 : 0.95}`,
    '# HELP model_server_fault Faults switched on by POST /break (1 = on).',
    '# TYPE model_server_fault gauge',
    ...Object.entries(faults).map(
      ([fault, on]) => `model_server_fault{${labelText({ fault })}} ${on ? 1 : 0}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function reply(res, status, body, type = 'application/json') {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type });
  res.end(text);
}

function log(event, fields) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://model-server');
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    if (req.method === 'GET' && url.pathname === '/metrics')
      return reply(res, 200, metrics(), 'text/plain; version=0.0.4');
    if (req.method === 'GET' && url.pathname === '/healthz') return reply(res, 200, { status: 'ok' });
    if (req.method === 'GET' && url.pathname === '/state')
      return reply(res, 200, { labels, faults, healedBy: [...seenKeys.keys()] });
    if (req.method === 'POST' && url.pathname === '/break') {
      const fault = url.searchParams.get('fault') ?? 'errors';
      if (!(fault in faults))
        return reply(res, 400, { error: `unknown fault ${fault}; known: ${Object.keys(faults).join(', ')}` });
      faults[fault] = true;
      log('fault.on', { fault });
      return reply(res, 200, { faults });
    }
    if (req.method === 'POST' && (url.pathname === '/heal' || url.pathname === '/fix')) {
      const key = req.headers['idempotency-key'];
      if (url.pathname === '/heal') {
        if (typeof key !== 'string' || key === '')
          return reply(res, 400, { error: 'Idempotency-Key header required' });
        if (seenKeys.has(key))
          return reply(res, 409, { error: 'already healed with this key', at: seenKeys.get(key) });
        seenKeys.set(key, new Date().toISOString());
      }
      for (const fault of Object.keys(faults)) faults[fault] = false;
      log('healed', { by: url.pathname, idempotencyKey: key ?? null, request: body.slice(0, 500) });
      return reply(res, 200, { faults });
    }
    return reply(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  });
});

server.listen(port, process.env.HOST ?? '0.0.0.0', () =>
  log('listening', { port: server.address().port, labels }),
);
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => server.close(() => process.exit(0)));
