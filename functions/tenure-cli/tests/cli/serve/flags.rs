//! `tenure serve`'s flags: refused with the reason, the address printed.

use super::harness::*;
use crate::helpers::stderr;

#[test]
fn bad_flags_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let serve = |args: &[&str]| {
        let mut command = tenure(dir.path(), &["serve"]);
        command.args(args);
        command.output().expect("tenure runs")
    };

    let nonsense = serve(&["--listen", "nonsense"]);
    assert_eq!(nonsense.status.code(), Some(2), "{}", stderr(&nonsense));
    assert!(
        stderr(&nonsense).contains("'nonsense' for '--listen <ADDR:PORT>'"),
        "{}",
        stderr(&nonsense)
    );

    let no_url = serve(&["--public-url", "tenure.example.test"]);
    assert_eq!(no_url.status.code(), Some(1), "{}", stderr(&no_url));
    assert!(
        stderr(&no_url).contains("must be an http:// or https:// URL"),
        "{}",
        stderr(&no_url)
    );

    let often = serve(&["--sync-every", "5s"]);
    assert_eq!(often.status.code(), Some(2), "{}", stderr(&often));
    assert!(stderr(&often).contains("at least 1m"), "{}", stderr(&often));

    for size in ["4GB", "0", "MiB"] {
        let bad = serve(&["--max-request-bytes", size]);
        assert_eq!(bad.status.code(), Some(2), "{size}: {}", stderr(&bad));
        assert!(
            stderr(&bad).contains("is not a size such as 4194304, 512KiB or 4MiB")
                || stderr(&bad).contains("a request must carry at least one byte"),
            "{size}: {}",
            stderr(&bad)
        );
    }

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = taken.local_addr().expect("bound").to_string();
    let busy = serve(&["--listen", &address]);
    assert_eq!(busy.status.code(), Some(1), "{}", stderr(&busy));
    assert!(
        stderr(&busy).contains(&format!("cannot listen on {address}")),
        "{}",
        stderr(&busy)
    );
}

#[test]
fn a_public_url_is_printed_once_slashed_beside_the_port_listened_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let served = Running::start(tenure(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "https://tenure.example.test/",
        ],
    ));
    let first = &served.first_line;
    assert!(
        first.starts_with(
            "Tenure is serving on https://tenure.example.test, listening on http://127.0.0.1:"
        ),
        "{first}"
    );
    let port = first
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default();
    assert!(port.parse::<u16>().is_ok_and(|p| p != 0), "{first}");
    let routes = served
        .wait_for_lines(5)
        .lines()
        .skip(1)
        .take(4)
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert!(
        routes
            .iter()
            .all(|l| l.contains("https://tenure.example.test/") && !l.contains(".test//")),
        "{routes:?}"
    );
}
