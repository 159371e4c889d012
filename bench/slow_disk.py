"""gunicorn config for the benchmarks: a disk whose fsync takes BENCH_FSYNC_MS longer.

Today's disk fsyncs in a fraction of a millisecond, so one fsync per commit is no limit here and
group commit cannot show what it buys. With `--fsync-ms` the benchmarks start gunicorn with this
file: every os.fsync in the workers (the group commit's WAL fsync included) sleeps that long
after the real fsync, as a slow or network disk would. Benchmarks only; never the app's config.
"""

import os
import time


def post_fork(_server, _worker):
    delay = float(os.environ.get("BENCH_FSYNC_MS", "0")) / 1000
    if delay <= 0:
        return
    real_fsync = os.fsync

    def slow_fsync(fd):
        real_fsync(fd)
        time.sleep(delay)

    os.fsync = slow_fsync
