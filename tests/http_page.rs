//! The status page (`GET /` of `lvsmon run --http`) in a real browser: Debian's
//! headless Chromium loads it from a dry-run daemon. The rendered DOM lists every real
//! server; a real server killed while the page is open shows DOWN without a reload (the
//! page's own "changes seen" list records the transition it watched); a daemon that
//! stops answering is shown as such. A screenshot is taken the way the README's was
//! (set LVSMON_SCREENSHOT=doc/status-page.png to write the README's).
//!
//! Chromium runs with a virtual time budget: the page's one-second timer is fast-forwarded
//! while each fetch of /status.json takes real time, so the page polls every few real
//! milliseconds. The test watches the daemon's count of /status.json requests to know
//! the page is polling before and after it changes anything.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{scratch, Daemon, RealServer};

fn http_addr(d: &Daemon) -> SocketAddr {
    let mut found = None;
    d.wait_for("the http listener", Duration::from_secs(10), |d| {
        found = d.log_text().lines().find_map(|l| {
            let rest = l.split_once("status page on http://")?.1;
            rest.trim_end_matches('/').parse().ok()
        });
        found.is_some()
    });
    found.unwrap()
}

fn get(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(format!("GET {} HTTP/1.1\r\n\r\n", path).as_bytes())
        .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// /status.json requests the daemon has answered.
fn page_polls(addr: SocketAddr) -> u64 {
    get(addr, "/metrics")
        .lines()
        .find_map(|l| l.strip_prefix("lvsmon_http_requests_total{path=\"/status.json\"} "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn chromium(profile: &Path, extra: &[&str], url: &str) -> Command {
    let mut c = Command::new("chromium");
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(url)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    c
}

fn spawn(mut c: Command) -> Child {
    c.spawn()
        .expect("chromium is not installed: apt-get install chromium (Debian)")
}

/// Waits (bounded) for the browser and returns what it printed.
fn finish(mut child: Child, limit: Duration) -> String {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if child.try_wait().unwrap().is_some() {
            let mut out = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            return out;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("chromium did not finish within {:?}", limit);
}

/// Polls `cond` every 20 ms for at most `limit`.
fn wait(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {}", what);
}

/// The `<tr>` of real server `addr` in the dumped DOM.
fn row<'a>(dom: &'a str, addr: &SocketAddr) -> &'a str {
    let start = dom
        .find(&format!("<tr data-rs=\"{}\"", addr))
        .unwrap_or_else(|| panic!("no row for {} in the DOM:\n{}", addr, dom));
    let len = dom[start..].find("</tr>").unwrap();
    &dom[start..start + len]
}

#[test]
fn the_page_lists_every_real_server_and_follows_them_live() {
    let dir = scratch("http-page");
    let mut reals: Vec<RealServer> = (1..=3)
        .map(|i| RealServer::start(format!("127.0.4.{}:0", i).parse().unwrap()))
        .collect();
    let mut config = String::from(
        "virtual_server 192.0.2.10 80 {\n protocol TCP\n delay_loop 0.2\n lb_algo wrr\n lb_kind NAT\n sorry_server 192.0.2.99 80\n",
    );
    for (i, r) in reals.iter().enumerate() {
        config.push_str(&format!(
            " real_server {} {} {{\n  weight {}\n  TCP_CHECK {{\n   connect_timeout 1\n   retry 0\n  }}\n }}\n",
            r.addr.ip(),
            r.addr.port(),
            i + 1
        ));
    }
    config.push_str("}\n");
    let d = Daemon::start_with(&dir, &config, &["--http", "127.0.0.1:0"]);
    let addr = http_addr(&d);
    let url = format!("http://{}/", addr);
    d.wait_for("every real server checked", Duration::from_secs(10), |d| {
        reals.iter().all(|r| {
            d.real(&r.addr.to_string())
                .get("checks_ok")
                .as_i64()
                .unwrap_or(0)
                >= 2
        })
    });

    // The page is one self-contained document: no external script, style or image.
    let page = get(addr, "/");
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(page.contains("Content-Type: text/html"));
    for external in ["src=", "href=", "@import", "url("] {
        assert!(!page.contains(external), "the page refers to {}", external);
    }
    assert!(page.len() < 8 * 1024, "the page is {} bytes", page.len());

    // Open the page; once it is polling, kill a real server; it must show DOWN in the
    // same page (no reload), and list the change it saw.
    let before = page_polls(addr);
    let browser = spawn(chromium(
        &dir.join("profile"),
        &["--dump-dom", "--virtual-time-budget=1500000"],
        &url,
    ));
    wait("the page polling", Duration::from_secs(60), || {
        page_polls(addr) >= before + 5
    });
    let victim = reals[1].addr;
    reals[1].kill();
    d.wait_for("the victim down", Duration::from_secs(10), |d| {
        d.real(&victim.to_string()).get("health").as_str() == Some("down")
    });
    let at_down = page_polls(addr);
    wait(
        "the page polling after the change",
        Duration::from_secs(30),
        || page_polls(addr) >= at_down + 5,
    );
    let dom = finish(browser, Duration::from_secs(120));
    for r in &reals {
        let tr = row(&dom, &r.addr);
        let want = if r.addr == victim { "down" } else { "up" };
        assert!(
            tr.contains(&format!("data-health=\"{}\"", want)),
            "{} should be {}: {}",
            r.addr,
            want,
            tr
        );
    }
    let tr = row(&dom, &victim);
    assert!(
        tr.contains(">DOWN<") && tr.contains("connection refused"),
        "{}",
        tr
    );
    assert!(
        tr.contains("class=\"f\""),
        "the strip shows failed checks: {}",
        tr
    );
    assert!(tr.contains("<polyline"), "the sparkline is drawn: {}", tr);
    let seen = format!(
        "TCP 192.0.2.10:80 real server {} is DOWN: connection refused",
        victim
    );
    assert!(
        dom.contains(&seen),
        "the page did not see the change live ({}):\n{}",
        seen,
        dom
    );
    assert!(dom.contains("2/3 real servers up"), "{}", dom);

    // The screenshot, as the README's is made.
    let shot = dir.join("status-page.png");
    let out = spawn(chromium(
        &dir.join("profile-shot"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,420",
            "--hide-scrollbars",
            "--virtual-time-budget=3000",
        ],
        &url,
    ));
    finish(out, Duration::from_secs(60));
    let png = std::fs::read(&shot).expect("chromium wrote no screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5000);
    if let Ok(to) = std::env::var("LVSMON_SCREENSHOT") {
        std::fs::copy(&shot, &to).unwrap();
    }

    // The daemon stops answering: the page says so.
    let browser = spawn(chromium(
        &dir.join("profile-stop"),
        &["--dump-dom", "--virtual-time-budget=600000"],
        &url,
    ));
    let before = page_polls(addr);
    wait("the page polling again", Duration::from_secs(60), || {
        page_polls(addr) >= before + 5
    });
    assert_eq!(d.stop(), 0);
    let dom = finish(browser, Duration::from_secs(120));
    assert!(dom.contains("class=\"stale\""), "{}", dom);
    assert!(dom.contains("NOT ANSWERING"), "{}", dom);
}
