//! Host timing of a reload of an unchanged config, in-process, without emulation:
//! (a) `config::load` alone (read, lex, parse, resolve, validate);
//! (b) the full reload path as the daemon runs it (`daemon::reload_config`, then what the
//!     reactor does with the result: global settings, drift interval, and the reconcile
//!     pass, which must find 0 operations), against a director whose believed kernel
//!     table already holds the config, as after start-up. The file alternates between the
//!     config and the config plus one comment line, so every reload sees changed bytes and
//!     takes the full path;
//! (c) the same with the file unchanged: the byte-identical short cut.
//! Prints best and median of RUNS for each, and the operation counts.
//!
//! Usage: bench-reload CONFIG RUNS (CONFIG.alt is written beside CONFIG)

use std::path::Path;
use std::time::{Duration, Instant};

use lvsmon::daemon::Reloaded;
use lvsmon::director::Director;
use lvsmon::ipvs::rule::Op;
use lvsmon::model::limits::MAX_OPS_PER_PASS;
use lvsmon::model::table::FixedTable;

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(v[0]), ms(v[v.len() / 2]))
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 3 {
        eprintln!("usage: bench-reload CONFIG RUNS");
        std::process::exit(2);
    }
    let path = Path::new(&a[1]);
    let runs: usize = a[2].parse().expect("RUNS");
    let runs = runs.max(1);

    let cfg = match lvsmon::config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench-reload: {}", e);
            std::process::exit(1);
        }
    };
    let reals: usize = cfg.services.iter().map(|v| v.reals.len()).sum();

    // (a) load + validate.
    let mut load = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t0 = Instant::now();
        let c = load_once(path);
        load.push(t0.elapsed());
        std::hint::black_box(&c);
    }

    // A director as after start-up: every operation of the first passes applied.
    let now = Instant::now();
    let mut d = Director::new(&cfg, now, 1).expect("director");
    let mut ops = FixedTable::new("kernel operations", MAX_OPS_PER_PASS);
    let mut startup_ops = 0;
    for _ in 0..8 {
        d.reconcile(&mut ops);
        if ops.is_empty() {
            break;
        }
        startup_ops += ops.len();
        d.applied(&ops, &[]);
    }

    // (b) the full reload path: the file's bytes change at every reload (a comment).
    let text = std::fs::read_to_string(path).expect("read config");
    let alt = path.with_extension("alt");
    let mut running: Option<u64> = None;
    let mut full = Vec::with_capacity(runs);
    let mut full_ops = 0;
    for run in 0..runs {
        let comment = if run % 2 == 0 { "" } else { "# edited\n" };
        std::fs::write(&alt, format!("{}{}", text, comment)).expect("write config");
        let t0 = Instant::now();
        full_ops += full_reload(&alt, &mut running, &mut d, now, &mut ops);
        full.push(t0.elapsed());
    }

    // (c) unchanged bytes: the short cut.
    let mut same = Vec::with_capacity(runs);
    let mut same_ops = 0;
    reload(&alt, &mut running, &mut d, now, &mut ops, true);
    for _ in 0..runs {
        let t0 = Instant::now();
        same_ops += unchanged_reload(&alt, &mut running, &mut d, now, &mut ops);
        same.push(t0.elapsed());
    }
    let _ = std::fs::remove_file(&alt);

    let (lb, lm) = stats(load);
    let (fb, fm) = stats(full);
    let (sb, sm) = stats(same);
    println!(
        "BENCH reload_host reals={} runs={} load_best_ms={:.2} load_median_ms={:.2} \
         full_best_ms={:.2} full_median_ms={:.2} full_ops={} \
         unchanged_best_ms={:.2} unchanged_median_ms={:.2} unchanged_ops={} startup_ops={}",
        reals, runs, lb, lm, fb, fm, full_ops, sb, sm, same_ops, startup_ops
    );
}

// The phases are separate functions, never inlined, so that callgrind can count each
// (`--toggle-collect='*full_reload*'`; bench/reload_host.sh).
#[inline(never)]
fn load_once(path: &Path) -> lvsmon::model::config::Config {
    lvsmon::config::load(path).expect("load")
}

#[inline(never)]
fn full_reload(
    path: &Path,
    running: &mut Option<u64>,
    d: &mut Director,
    now: Instant,
    ops: &mut FixedTable<Op>,
) -> usize {
    reload(path, running, d, now, ops, false)
}

#[inline(never)]
fn unchanged_reload(
    path: &Path,
    running: &mut Option<u64>,
    d: &mut Director,
    now: Instant,
    ops: &mut FixedTable<Op>,
) -> usize {
    reload(path, running, d, now, ops, false)
}

/// One reload as the reactor runs it (src/reactor.rs `reload` then `reconcile`, minus
/// probe cancelling: no probe is in flight here); returns the operations it would make.
fn reload(
    path: &Path,
    running: &mut Option<u64>,
    d: &mut Director,
    now: Instant,
    ops: &mut FixedTable<Op>,
    force: bool,
) -> usize {
    match lvsmon::daemon::reload_config(path, running, d, now, force).expect("reload") {
        Reloaded::Unchanged => {}
        Reloaded::Applied(cfg) => {
            let g = lvsmon::globals::Globals::from_config(&cfg);
            let di = lvsmon::daemon::drift_interval(&cfg);
            std::hint::black_box((&g, di));
        }
    }
    if d.needs_reconcile() {
        d.reconcile(ops);
        ops.len()
    } else {
        0
    }
}
