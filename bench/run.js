// package.json's "bench" script runs `node bench/run.js --short`; the runner is run.mjs.
import './run.mjs';
