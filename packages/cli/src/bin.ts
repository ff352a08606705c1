#!/usr/bin/env node
import { runCli } from './cli.js';

// A closed pipe (`gradcam … | head`) is not an error of the run: the files are still written.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

process.exitCode = await runCli(process.argv.slice(2));
