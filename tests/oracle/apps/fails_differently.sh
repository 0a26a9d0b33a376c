#!/bin/sh
# Test app that fails on every worker, each time with its own message (random bytes, as a
# traceback naming each worker's own paths would differ), so that no two results agree.
echo "failed in run $(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' ')" >&2
exit 1
