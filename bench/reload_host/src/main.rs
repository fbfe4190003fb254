//! Host timing of a reload of an unchanged config, in-process, without emulation:
//! (a) `config::load` alone (read, lex, parse, resolve, validate);
//! (b) the full reload path as the daemon runs it (`reload::reload_config`, then what the
//!     reactor does with the result: global settings, drift interval, and the reconcile
//!     pass, which must find 0 operations), against a director whose believed kernel
//!     table already holds the config, as after start-up. The file alternates between the
//!     config and the config plus one comment line, so every reload sees changed bytes and
//!     takes the full path;
//! (c) the same with the file unchanged: the byte-identical short cut.
//! Prints best and median of RUNS for each, and the operation counts.
//!
//! Usage: bench-reload CONFIG RUNS [PHASE]
//! CONFIG.a and CONFIG.b are written beside CONFIG. With PHASE (setup, load, full or
//! unchanged) only the set-up and RUNS of that phase run and nothing is printed: for
//! instruction counts (callgrind of `PHASE 1` minus callgrind of `setup 1`; see
//! bench/reload_host.sh).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lvsmon::reload::Reloaded;
use lvsmon::director::Director;
use lvsmon::ipvs::rule::Op;
use lvsmon::model::limits::MAX_OPS_PER_PASS;
use lvsmon::model::table::FixedTable;

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(v[0]), ms(v[v.len() / 2]))
}

struct Bench {
    path: PathBuf,
    /// The config, and the config plus a comment: different bytes, the same config.
    a: PathBuf,
    b: PathBuf,
    d: Director,
    ops: FixedTable<Op>,
    running: Option<u64>,
    now: Instant,
    startup_ops: usize,
    reals: usize,
}

impl Bench {
    /// A director as after start-up (every operation of the first passes applied), then
    /// one reload of CONFIG.a so that the running fingerprint is CONFIG.a's.
    fn setup(path: &Path) -> Bench {
        let cfg = match lvsmon::config::load(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("bench-reload: {}", e);
                std::process::exit(1);
            }
        };
        let reals = cfg.services.iter().map(|v| v.reals.len()).sum();
        let now = Instant::now();
        let d = Director::new(&cfg, now, 1).expect("director");
        let text = std::fs::read_to_string(path).expect("read config");
        let a = path.with_extension("a");
        let b = path.with_extension("b");
        std::fs::write(&a, &text).expect("write config");
        std::fs::write(&b, format!("{}# edited\n", text)).expect("write config");
        let mut s = Bench {
            path: path.to_path_buf(),
            a,
            b,
            d,
            ops: FixedTable::new("kernel operations", MAX_OPS_PER_PASS),
            running: None,
            now,
            startup_ops: 0,
            reals,
        };
        for _ in 0..8 {
            s.d.reconcile(&mut s.ops);
            if s.ops.is_empty() {
                break;
            }
            s.startup_ops += s.ops.len();
            s.d.applied(&s.ops, &[]);
        }
        let a = s.a.clone();
        s.reload(&a);
        s
    }

    /// One reload as the reactor runs it (src/reactor.rs `reload`, then `reconcile`; no
    /// probe is in flight to cancel); returns the operations it would make.
    fn reload(&mut self, path: &Path) -> usize {
        let r = lvsmon::reload::reload_config(path, &mut self.running, &mut self.d, self.now, false);
        match r.expect("reload") {
            Reloaded::Unchanged => {}
            Reloaded::Applied(cfg) => {
                let g = lvsmon::globals::Globals::from_config(&cfg);
                let di = lvsmon::reload::drift_interval(&cfg);
                std::hint::black_box((&g, di));
            }
        }
        if self.d.needs_reconcile() {
            self.d.reconcile(&mut self.ops);
            self.ops.len()
        } else {
            0
        }
    }

    fn load(&mut self) {
        let c = lvsmon::config::load(&self.path).expect("load");
        std::hint::black_box(&c);
    }

    /// A full reload: the file's bytes differ from the running config's (a comment).
    fn full(&mut self, run: usize) -> usize {
        let p = if run % 2 == 0 {
            self.b.clone()
        } else {
            self.a.clone()
        };
        self.reload(&p)
    }

    /// The byte-identical short cut (the running config is CONFIG.a).
    fn unchanged(&mut self) -> usize {
        let p = self.a.clone();
        self.reload(&p)
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.a);
        let _ = std::fs::remove_file(&self.b);
    }
}

fn timed(runs: usize, mut f: impl FnMut(usize) -> usize) -> (Vec<Duration>, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut ops = 0;
    for run in 0..runs {
        let t0 = Instant::now();
        ops += f(run);
        times.push(t0.elapsed());
    }
    (times, ops)
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 3 && a.len() != 4 {
        eprintln!("usage: bench-reload CONFIG RUNS [setup|load|full|unchanged]");
        std::process::exit(2);
    }
    let path = Path::new(&a[1]);
    let runs: usize = a[2].parse().expect("RUNS");
    let mut s = Bench::setup(path);
    if let Some(phase) = a.get(3) {
        for run in 0..runs {
            match phase.as_str() {
                "setup" => {}
                "load" => s.load(),
                "full" => {
                    s.full(run);
                }
                "unchanged" => {
                    s.unchanged();
                }
                _ => {
                    eprintln!("bench-reload: unknown phase {}", phase);
                    std::process::exit(2);
                }
            }
        }
        return;
    }
    let runs = runs.max(1);
    let (load, _) = timed(runs, |_| {
        s.load();
        0
    });
    let (full, full_ops) = timed(runs, |run| s.full(run));
    // Back to CONFIG.a as the running config.
    if runs % 2 == 1 {
        s.full(1);
    }
    let (same, same_ops) = timed(runs, |_| s.unchanged());
    let (lb, lm) = stats(load);
    let (fb, fm) = stats(full);
    let (sb, sm) = stats(same);
    println!(
        "BENCH reload_host reals={} runs={} load_best_ms={:.2} load_median_ms={:.2} \
         full_best_ms={:.2} full_median_ms={:.2} full_ops={} \
         unchanged_best_ms={:.2} unchanged_median_ms={:.2} unchanged_ops={} startup_ops={}",
        s.reals, runs, lb, lm, fb, fm, full_ops, sb, sm, same_ops, s.startup_ops
    );
}
