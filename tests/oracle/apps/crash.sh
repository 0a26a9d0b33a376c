#!/bin/sh
# Test app that fails on every worker.
echo "cannot compute this" >&2
exit 3
