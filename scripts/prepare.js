#!/usr/bin/env node
// npm's `prepare` hook builds dist/: after `npm ci` in a clone, and when npm installs pgrant from git
// (it builds git dependencies with this hook only). `npm pack` and `npm publish` run `prepack` just
// before it, which already built dist/ for the tarball: building twice would only cost time.
import { execFileSync } from 'node:child_process';

if (process.env.npm_command === 'pack' || process.env.npm_command === 'publish') process.exit(0);
execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
