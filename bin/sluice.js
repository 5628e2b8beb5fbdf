#!/usr/bin/env node
// The `sluice` command: runs the compiled server.
import '../dist/src/main.js';
