//! `responder floor CONFIG SECONDS`: about the least CPU an HTTP_GET checker can spend on the
//! same work as lvsmon and keepalived, to put their CPU per check in proportion.
//!
//! It reads the real servers, `delay_loop`, `connect_timeout` and `path` of a bench config
//! (bench/genconf.sh output) and checks every real server once per `delay_loop`, spread
//! evenly, with nothing a real checker needs beyond the connection itself: no state
//! machine, no retries, no logging, no kernel table; one non-blocking socket per check,
//! registered once (edge-triggered), the same request bytes lvsmon sends, the status line
//! read and judged, closed. What this spends per check is, all but a few hundred
//! instructions, the kernel's TCP work for one check, which every checker pays; a checker
//! can only go below it by waking less often. Prints `FLOOR checks=N ok=N failed=N
//! timeouts=N` at the end.

use std::time::{Duration, Instant};

/// lvsmon's cap on probes in flight (src/model/limits.rs), so both overload alike.
const MAX_IN_FLIGHT: usize = 512;

struct Target {
    addr: libc::sockaddr_in,
    /// Byte range of this server's request in the shared request text.
    req: (usize, usize),
}

struct Plan {
    targets: Vec<Target>,
    requests: Vec<u8>,
    interval: Duration,
    timeout: Duration,
}

fn value_after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        (w.next() == Some(key)).then(|| w.next()).flatten()
    })
}

fn plan(config: &str) -> Result<Plan, String> {
    let secs = |key: &str| -> Result<Duration, String> {
        let v = value_after(config, key).ok_or(format!("config has no {}", key))?;
        let s: f64 = v.parse().map_err(|_| format!("bad {} {:?}", key, v))?;
        Ok(Duration::from_secs_f64(s))
    };
    let path = value_after(config, "path").unwrap_or("/");
    let mut targets = Vec::new();
    let mut requests = Vec::new();
    for (n, line) in config.lines().enumerate() {
        let mut w = line.split_whitespace();
        if w.next() != Some("real_server") {
            continue;
        }
        let (a, p) = (w.next().unwrap_or(""), w.next().unwrap_or(""));
        let ip: std::net::Ipv4Addr = a
            .parse()
            .map_err(|_| format!("line {}: not an IPv4 address: {:?}", n + 1, a))?;
        let port: u16 = p
            .parse()
            .map_err(|_| format!("line {}: not a port: {:?}", n + 1, p))?;
        let start = requests.len();
        // The bytes lvsmon's HTTP_GET sends (src/probe/http.rs).
        requests.extend_from_slice(
            format!(
                "GET {} HTTP/1.0\r\nUser-Agent: lvsmon\r\nHost: {}:{}\r\nConnection: close\r\n\r\n",
                path, ip, port
            )
            .as_bytes(),
        );
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from(ip).to_be(),
            },
            sin_zero: [0; 8],
        };
        targets.push(Target {
            addr,
            req: (start, requests.len()),
        });
    }
    if targets.is_empty() {
        return Err("config has no real_server".into());
    }
    Ok(Plan {
        targets,
        requests,
        interval: secs("delay_loop")?,
        timeout: secs("connect_timeout")?,
    })
}

/// One check in flight, indexed by its file descriptor.
#[derive(Clone, Copy)]
struct Probe {
    target: u32,
    started: Option<Instant>,
    sent: bool,
    /// Position in `Floor::active`, for O(1) removal.
    pos: u32,
}

struct Floor {
    plan: Plan,
    epfd: i32,
    probes: Vec<Probe>,
    active: Vec<i32>,
    ok: u64,
    failed: u64,
    timeouts: u64,
}

enum Outcome {
    Ok,
    Failed,
    TimedOut,
}

const IDLE: Probe = Probe {
    target: 0,
    started: None,
    sent: false,
    pos: 0,
};

impl Floor {
    fn start(&mut self, t: usize, now: Instant) {
        // SAFETY: plain socket calls on a descriptor this function owns until registered.
        let fd = unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        };
        if fd < 0 || fd as usize >= self.probes.len() {
            if fd >= 0 {
                unsafe { libc::close(fd) };
            }
            self.failed += 1;
            return;
        }
        let sa = &self.plan.targets[t].addr;
        let rc = unsafe {
            libc::connect(
                fd,
                sa as *const libc::sockaddr_in as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        };
        if rc != 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINPROGRESS) {
            unsafe { libc::close(fd) };
            self.failed += 1;
            return;
        }
        let mut ev = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLET) as u32,
            u64: fd as u64,
        };
        if unsafe { libc::epoll_ctl(self.epfd, libc::EPOLL_CTL_ADD, fd, &mut ev) } != 0 {
            unsafe { libc::close(fd) };
            self.failed += 1;
            return;
        }
        self.probes[fd as usize] = Probe {
            target: t as u32,
            started: Some(now),
            sent: false,
            pos: self.active.len() as u32,
        };
        self.active.push(fd);
    }

    fn finish(&mut self, fd: i32, outcome: Outcome) {
        // Closing the descriptor also takes it out of the epoll set.
        unsafe { libc::close(fd) };
        let pos = self.probes[fd as usize].pos as usize;
        self.probes[fd as usize] = IDLE;
        self.active.swap_remove(pos);
        if let Some(&moved) = self.active.get(pos) {
            self.probes[moved as usize].pos = pos as u32;
        }
        match outcome {
            Outcome::Ok => self.ok += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::TimedOut => self.timeouts += 1,
        }
    }

    fn event(&mut self, fd: i32, events: u32, buf: &mut [u8]) {
        let p = match self.probes.get(fd as usize) {
            Some(p) if p.started.is_some() => *p,
            _ => return,
        };
        if !p.sent {
            if events & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0 {
                return self.finish(fd, Outcome::Failed);
            }
            if events & libc::EPOLLOUT as u32 == 0 {
                return;
            }
            let (a, b) = self.plan.targets[p.target as usize].req;
            let req = &self.plan.requests[a..b];
            let n = unsafe { libc::send(fd, req.as_ptr().cast(), req.len(), libc::MSG_NOSIGNAL) };
            if n != req.len() as isize {
                return self.finish(fd, Outcome::Failed);
            }
            self.probes[fd as usize].sent = true;
            // The reply comes as a new edge; reading now would only find nothing yet.
            return;
        }
        if events & (libc::EPOLLIN | libc::EPOLLHUP | libc::EPOLLERR) as u32 == 0 {
            return;
        }
        // Like lvsmon without a digest: the status line is the verdict and the rest is
        // not waited for. The bench responder's status line always comes in one piece.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EAGAIN) {
            return;
        }
        let head = &buf[..n.max(0) as usize];
        let ok = head.starts_with(b"HTTP/1.") && head.get(8..13) == Some(b" 200 ");
        self.finish(fd, if ok { Outcome::Ok } else { Outcome::Failed })
    }

    fn expire(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.active.len() {
            let fd = self.active[i];
            let started = self.probes[fd as usize].started;
            if started.is_some_and(|s| now.duration_since(s) >= self.plan.timeout) {
                self.finish(fd, Outcome::TimedOut);
            } else {
                i += 1;
            }
        }
    }
}

pub fn run(args: &[String]) -> ! {
    let (conf, secs) = match args {
        [c, s] => (c, s.parse::<u64>().unwrap_or(0)),
        _ => {
            eprintln!("usage: responder floor CONFIG SECONDS");
            std::process::exit(2)
        }
    };
    let text = std::fs::read_to_string(conf).unwrap_or_else(|e| {
        eprintln!("floor: {}: {}", conf, e);
        std::process::exit(2)
    });
    let plan = plan(&text).unwrap_or_else(|e| {
        eprintln!("floor: {}: {}", conf, e);
        std::process::exit(2)
    });
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    let fds = (lim.rlim_cur as usize).clamp(1024, 1 << 20);
    let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if epfd < 0 {
        eprintln!("floor: epoll_create1: {}", std::io::Error::last_os_error());
        std::process::exit(2)
    }
    let n = plan.targets.len();
    let step_ns = plan.interval.as_nanos() as u64 / n as u64;
    let mut f = Floor {
        plan,
        epfd,
        probes: vec![IDLE; fds],
        active: Vec::with_capacity(fds),
        ok: 0,
        failed: 0,
        timeouts: 0,
    };
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    let mut buf = vec![0u8; 16 * 1024];
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs(secs);
    let mut next: u64 = 0; // check number k goes to server k % n at due(k)
    let due = |k: u64| t0 + Duration::from_nanos(k.saturating_mul(step_ns));
    let mut last_expire = t0;
    println!(
        "FLOOR ready servers={} interval_ms={}",
        n,
        f.plan.interval.as_millis()
    );
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        // At most one round at once if the loop fell behind, and at most MAX_IN_FLIGHT
        // connections open, as lvsmon (a check not started yet waits for a free slot).
        for _ in 0..n {
            if due(next) > now || f.active.len() >= MAX_IN_FLIGHT {
                break;
            }
            f.start((next % n as u64) as usize, now);
            next += 1;
        }
        if now.duration_since(last_expire) >= Duration::from_millis(100) {
            f.expire(now);
            last_expire = now;
        }
        // With every slot taken, the next event (a check ending) is what frees one.
        let wait = if f.active.len() >= MAX_IN_FLIGHT {
            Duration::from_millis(100)
        } else {
            due(next)
                .saturating_duration_since(now)
                .min(Duration::from_millis(100))
        };
        // Round up: a 0 ms wait for a deadline 0.4 ms away would spin.
        let ms = (wait.as_micros() as i32 + 999) / 1000;
        let got = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), events.len() as i32, ms) };
        for ev in &events[..got.max(0) as usize] {
            let (fd, bits) = (ev.u64 as i32, ev.events);
            f.event(fd, bits, &mut buf);
        }
    }
    println!(
        "FLOOR checks={} ok={} failed={} timeouts={}",
        f.ok + f.failed + f.timeouts,
        f.ok,
        f.failed,
        f.timeouts
    );
    std::process::exit(0)
}
