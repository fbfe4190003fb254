//! agent_check (HAProxy's agent protocol) against loopback agents: one line read and
//! parsed, in one piece or several, ended by a line end or by the agent's close; a line
//! of 64 KB, a silent agent, an agent that closes without a word, and a refused
//! connection each end in a reason the director ignores (an agent that cannot be heard
//! changes nothing).

mod support;

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use lvsmon::model::config::CheckKind;
use lvsmon::probe::outcome::{Admin, AgentReply, Up};
use support::*;

/// An agent that, for each of `conns` connections, writes `pieces` (pausing 20 ms
/// between them), then holds the connection for `hold` and closes it.
fn agent(pieces: Vec<Vec<u8>>, hold: Duration) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((mut c, _)) = l.accept() else {
            return;
        };
        for p in &pieces {
            if c.write_all(p).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(hold);
    });
    addr
}

fn reply_of(pieces: &[&str]) -> Result<AgentReply, String> {
    let addr = agent(
        pieces.iter().map(|p| p.as_bytes().to_vec()).collect(),
        Duration::ZERO,
    );
    let o = run(&check(CheckKind::Agent, addr, 1000));
    match o.result {
        Ok(Up {
            agent: Some(r),
            weight: None,
        }) => Ok(r),
        Ok(other) => panic!("an agent check came back up without a reply: {other:?}"),
        Err(r) => Err(r.to_string()),
    }
}

#[test]
fn one_line_is_read_whole_or_in_pieces() {
    let r = |percent, admin, up| Ok(AgentReply { percent, admin, up });
    assert_eq!(reply_of(&["drain\n"]), r(None, Some(Admin::Drain), None));
    assert_eq!(reply_of(&["50%\r\n"]), r(Some(50), None, None));
    assert_eq!(
        reply_of(&["u", "p 7", "5%\n"]),
        r(Some(75), None, Some(true))
    );
    // Only the first line counts.
    assert_eq!(
        reply_of(&["ready\nstopped\n"]),
        r(None, Some(Admin::Ready), None)
    );
    // Closed without a line end: what came is the reply.
    assert_eq!(reply_of(&["maint"]), r(None, Some(Admin::Maint), None));
    assert_eq!(
        reply_of(&["stopped#by the operator\r"]),
        r(None, None, Some(false))
    );
}

#[test]
fn lines_that_are_not_the_protocol_are_refused() {
    assert_eq!(
        reply_of(&["120%\n"]),
        Err("bad reply: percentage over 100".into())
    );
    assert_eq!(
        reply_of(&["up and away\n"]),
        Err("bad reply: unknown word".into())
    );
    assert_eq!(reply_of(&["\n"]), Err("bad reply: empty reply".into()));
}

#[test]
fn a_64_kib_line_is_refused_after_the_bound() {
    let line = vec![b'9'; 64 * 1024];
    let addr = agent(vec![line], Duration::from_millis(200));
    let o = run(&check(CheckKind::Agent, addr, 1000));
    assert_eq!(verdict(&o), "bad reply: agent reply longer than 512 bytes");
}

#[test]
fn silent_closing_and_refusing_agents_give_no_reply() {
    let silent = agent(vec![], Duration::from_millis(800));
    assert_eq!(
        verdict(&run(&check(CheckKind::Agent, silent, 300))),
        "timeout after 300 ms"
    );
    let mute = agent(vec![], Duration::ZERO);
    assert_eq!(
        verdict(&run(&check(CheckKind::Agent, mute, 1000))),
        "connection closed before a complete reply"
    );
    assert_eq!(
        verdict(&run(&check(CheckKind::Agent, closed_port(), 1000))),
        "connection refused"
    );
}
