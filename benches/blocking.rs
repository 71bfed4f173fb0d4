//! `spawn_blocking` benchmarks: spindle and tokio side by side, in the same run, each with 2
//! worker threads and its default blocking pool (512 threads at most, 10 s keep-alive).
//!
//! - `blocking_round_trip`: one task awaits 1,000 `spawn_blocking(|| ..)` one after another
//!   (submit, a pool thread wakes and runs it, the JoinHandle wakes the task). Measures the
//!   latency of one round trip through an idle pool; criterion reports time per element.
//! - `blocking_burst_8_submitters`: 8 plain threads each submit 1,000 `spawn_blocking` at
//!   once and then wait for all of them (tokio#8470: many submitters contending on the pool's
//!   queue). Time per element, 8,000 per iteration.
//!
//! `cargo bench --bench blocking -- --test` runs every benchmark once.

// The async-executor pool in `common` is not used here.
#[allow(dead_code)]
#[path = "common/mod.rs"]
mod common;
use common::{filter, watchdog};
use criterion::{Criterion, Throughput};
use std::time::Duration;

const ROUND_TRIPS: u64 = 1_000;
const SUBMITTERS: usize = 8;
const PER_SUBMITTER: u64 = 1_000;

fn spindle_rt() -> spindle::Runtime {
    spindle::Builder::new().worker_threads(2).build().unwrap()
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

fn round_trip(c: &mut Criterion) {
    let mut g = c.benchmark_group("blocking_round_trip");
    g.throughput(Throughput::Elements(ROUND_TRIPS));
    if filter::selected("blocking_round_trip/spindle") {
        let rt = spindle_rt();
        g.bench_function("spindle", |b| {
            b.iter(|| {
                watchdog::beat();
                rt.block_on(async {
                    let mut sum = 0;
                    for i in 0..ROUND_TRIPS {
                        sum += spindle::spawn_blocking(move || i).await.unwrap();
                    }
                    sum
                })
            })
        });
    }
    if filter::selected("blocking_round_trip/tokio") {
        let rt = tokio_rt();
        g.bench_function("tokio", |b| {
            b.iter(|| {
                watchdog::beat();
                rt.block_on(async {
                    let mut sum = 0;
                    for i in 0..ROUND_TRIPS {
                        sum += tokio::task::spawn_blocking(move || i).await.unwrap();
                    }
                    sum
                })
            })
        });
    }
    g.finish();
}

fn burst(c: &mut Criterion) {
    let mut g = c.benchmark_group("blocking_burst_8_submitters");
    g.throughput(Throughput::Elements(SUBMITTERS as u64 * PER_SUBMITTER));
    g.sample_size(20);
    if filter::selected("blocking_burst_8_submitters/spindle") {
        let rt = spindle_rt();
        let h = rt.handle().clone();
        g.bench_function("spindle", |b| {
            b.iter(|| {
                watchdog::beat();
                std::thread::scope(|s| {
                    for _ in 0..SUBMITTERS {
                        let h = h.clone();
                        s.spawn(move || {
                            let hs: Vec<_> = (0..PER_SUBMITTER)
                                .map(|i| h.spawn_blocking(move || i))
                                .collect();
                            futures::executor::block_on(async {
                                for j in hs {
                                    j.await.unwrap();
                                }
                            })
                        });
                    }
                })
            })
        });
    }
    if filter::selected("blocking_burst_8_submitters/tokio") {
        let rt = tokio_rt();
        let h = rt.handle().clone();
        g.bench_function("tokio", |b| {
            b.iter(|| {
                watchdog::beat();
                std::thread::scope(|s| {
                    for _ in 0..SUBMITTERS {
                        let h = h.clone();
                        s.spawn(move || {
                            let hs: Vec<_> = (0..PER_SUBMITTER)
                                .map(|i| h.spawn_blocking(move || i))
                                .collect();
                            futures::executor::block_on(async {
                                for j in hs {
                                    j.await.unwrap();
                                }
                            })
                        });
                    }
                })
            })
        });
    }
    g.finish();
}

fn main() {
    watchdog::start();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    watchdog::set("blocking_round_trip");
    round_trip(&mut c);
    watchdog::set("blocking_burst_8_submitters");
    burst(&mut c);
    c.final_summary();
}
