#!/usr/bin/env node
// The `lattice` executable: installs the decorator metadata polyfill once, runs the CLI, exits with its code.
import "reflect-metadata";
import { runCli } from "../cli/program.js";
import { flushStdio } from "../cli/stdio-flush.js";

const code = await runCli(process.argv.slice(2));
// What was printed reaches a slow reader first (a pipe): exiting drops what is still queued.
await flushStdio();
// Exit explicitly: a backend client still retrying in the background must not keep a finished command alive.
process.exit(code);
