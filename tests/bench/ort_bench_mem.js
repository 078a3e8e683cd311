#!/usr/bin/env node
'use strict';
// ONNX Runtime's latency and memory on one model, for bench_eval --compare: the oracle's
// bench.js measures latency only, so this does the same runs (same inputs, same options) and also
// reports the process's resident memory before the session is created and its peak (VmHWM) after
// the runs. Development aid only: it needs ../shared/oracle (ONNX Runtime from npm).
//
//   node ort_bench_mem.js ORACLE_DIR MODEL.onnx [bench.js options: --runs --threads --level --int ...]
const fs = require('fs');
const path = require('path');

const oracle = process.argv[2];
if (!oracle || !process.argv[3]) {
  console.error('usage: node ort_bench_mem.js ORACLE_DIR MODEL.onnx [--runs N] [--threads T] [--level L] [--int ...]');
  process.exit(2);
}
const L = require(path.resolve(oracle, 'lib.js'));

function rssMiB(field) {
  const m = fs.readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) / 1024 : 0;
}

(async () => {
  const a = L.parseArgs(process.argv.slice(3), {
    runs: 'number', warmup: 'number', threads: 'number', level: 'string', seed: 'number', dim: 'list',
    shape: 'list', int: 'list', json: 'bool',
  }, 'see bench.js');
  const model = a._[0];
  const runs = a.runs ?? 10, warmup = a.warmup ?? 5, threads = a.threads ?? 1, level = a.level || 'disabled';
  const before = rssMiB('VmRSS');
  const session = await L.createSession(model, { level, threads });
  const { feeds } = L.buildFeeds([session], { ...a, seed: a.seed ?? 0 });
  for (let i = 0; i < warmup; i++) await session.run(feeds[0]);
  const t = [];
  const cpu0 = process.cpuUsage(), load0 = require('os').loadavg()[0];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    await session.run(feeds[0]);
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  const cpu = process.cpuUsage(cpu0);
  const load = (load0 + require('os').loadavg()[0]) / 2;
  const sorted = [...t].sort((x, y) => x - y);
  console.log(JSON.stringify({
    model, level, threads, runs, median_ms: L.pct(sorted, 50), p90_ms: L.pct(sorted, 90),
    // CPU time of all threads per run (ONNX Runtime's pool spins while it waits, which counts here).
    cpu_ms_per_run: (cpu.user + cpu.system) / 1000 / runs, load_average: load,
    peak_rss_before_session_mib: before, peak_rss_mib: rssMiB('VmHWM'),
  }, null, 1));
})().catch((e) => { console.error(`ort_bench_mem: ${e.message}`); process.exit(1); });
