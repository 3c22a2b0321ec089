//! Runs the `funnelcake` binary: exit codes, help, and the JSON of `check`.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::tree;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_funnelcake"))
        .args(args)
        .output()
        .unwrap()
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn help_and_version() {
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    for command in ["new", "build", "check", "serve", "funnel"] {
        assert!(
            text.contains(&format!("\n  {command} ")),
            "{command} in {text}"
        );
    }
    for (command, flags) in [
        ("new", &["--theme"][..]),
        ("build", &["--output", "--base-url", "--drafts", "--force"]),
        ("check", &["--format"]),
        ("serve", &["--port", "--interface", "--drafts", "--open"]),
        ("funnel", &[]),
    ] {
        let help = run(&[command, "--help"]);
        assert_eq!(help.status.code(), Some(0), "{command} --help");
        let text = String::from_utf8_lossy(&help.stdout);
        for flag in flags {
            assert!(text.contains(flag), "{flag} in {command} --help:\n{text}");
        }
    }
    let version = run(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("funnelcake {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_wrong_command_line_exits_2() {
    assert_eq!(run(&["build", "--no-such-flag"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        run(&["check", ".", "--format", "xml"]).status.code(),
        Some(2)
    );
}

#[test]
fn build_succeeds_with_0_and_fails_with_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let ok = run(&["build", &fixture("full"), "-o", out.to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stderr(&ok).contains("built 6 pages into"));

    let bad = run(&[
        "build",
        &fixture("unknown-stage"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let text = stderr(&bad);
    assert!(
        text.starts_with(
            "error: content/index.md:3:8: unknown stage \"subscibe\" (did you mean \"subscribe\"?)"
        ),
        "{text}"
    );
    assert!(text.contains("1 error, 0 warnings; nothing was written"));
    assert!(!text.contains("panicked"));
}

#[test]
fn missing_site_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["build", "check", "funnel", "serve"] {
        let output = run(&[command, dir.path().to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{command}");
        let text = stderr(&output);
        assert!(text.contains("no site.yaml in"), "{text}");
        let hint = format!("(`funnelcake {command} my-site`)");
        assert!(text.contains(&hint), "the hint names {command}: {text}");
    }
}

#[test]
fn an_output_that_is_a_file_is_refused_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "mine").unwrap();
    let output = run(&["build", &fixture("full"), "-o", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    let expected = format!(
        "error: {0}: the output folder {0} is a file, not a folder\n  = help: name a folder with -o (it is created if it does not exist)\n",
        file.display()
    );
    assert!(text.starts_with(&expected), "{text}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn two_builds_into_one_folder_at_once_never_mix() {
    let dir = tempfile::tempdir().unwrap();
    let (_a, other) = support::copy_fixture("full");
    std::fs::remove_file(other.join("content/offers/class.md")).unwrap();
    support::edit_file(&other.join("content/guide.md"), |t| {
        t.replace("Guide", "Other guide")
    });
    let sites = [fixture("full"), other.display().to_string()];
    let expected: Vec<_> = sites
        .iter()
        .enumerate()
        .map(|(i, site)| {
            let out = dir.path().join(format!("alone-{i}"));
            let built = run(&["build", site, "-o", out.to_str().unwrap()]);
            assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
            tree(&out)
        })
        .collect();
    assert_ne!(expected[0], expected[1]);
    let out = dir.path().join("out");
    for round in 0..4 {
        let children: Vec<_> = sites
            .iter()
            .map(|site| {
                Command::new(env!("CARGO_BIN_EXE_funnelcake"))
                    .args(["build", site, "-o", out.to_str().unwrap()])
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            let text = stderr(&output);
            let refused = text.contains("another funnelcake build is writing into");
            assert!(output.status.success() || refused, "round {round}: {text}");
        }
        let now = tree(&out);
        assert!(
            now == expected[0] || now == expected[1],
            "round {round}: a mix of two builds"
        );
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 3, "no staging folder is left: {names:?}");
}

#[test]
fn check_writes_nothing_and_prints_json() {
    let output = run(&["check", &fixture("broken-link"), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["file"], "content/index.md");
    assert_eq!(errors[0]["line"], 6);
    assert_eq!(errors[0]["column"], 5);
    assert_eq!(errors[0]["code"], "broken-reference");
    assert!(json["warnings"].as_array().unwrap().is_empty());
    assert!(!Path::new(&fixture("broken-link")).join("public").exists());

    let clean = run(&["check", &fixture("full")]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
}

#[test]
fn funnel_prints_the_journey_map_without_colour_off_a_terminal() {
    let output = run(&["funnel", &fixture("journey-warnings")]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    let expected = "\
Warnings: 5 stages, 6 pages

1. Discover (discover)
  / Home  [landing]
    → /offer/ (next)
    → /sale/ (link)

2. Consider (consider)
  /early/ Still thinking?  [landing]
    ✗ dead end: no way onward

3. Sign up (signup)
  /landing-thanks/ Thanks  [landing]
    → /offer/ (next)
  /optin/ Sign up  [optin]
    → /landing-thanks/ (form)

4. Buy (buy)
  /offer/ The offer  [landing]
    → /early/ (next)
  /sale/ Sale  [landing]
    → / (link)

5. Refer (refer)
  (no page: a gap in the journey)
";
    assert_eq!(text, expected);
    assert!(
        stderr(&output).contains("dead end"),
        "warnings go to stderr"
    );
    let broken = run(&["funnel", &fixture("unknown-stage")]);
    assert_eq!(broken.status.code(), Some(1));
}

#[test]
fn serve_stops_cleanly_on_ctrl_c() {
    let (_dir, site) = support::copy_fixture("full");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_funnelcake"))
        .args(["serve", site.to_str().unwrap(), "--port", "0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    while !log.contains("serving ") {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() == 0 {
            panic!("serve ended before it started:\n{log}");
        }
        log.push_str(&line);
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "serve did not stop within 10 s of Ctrl-C"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    std::io::Read::read_to_string(&mut stderr, &mut log).unwrap();
    assert!(exit.success(), "exit status {exit:?}\n{log}");
    assert!(log.contains("stopped"), "{log}");
    // `--port 0` asks for any free port: it was never busy.
    assert!(!log.contains("is busy"), "{log}");
    assert!(!site.join("public").exists(), "serve never writes public/");
}

#[test]
fn new_creates_a_site_that_checks_clean_and_builds() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("my-funnel");
    let site_arg = site.to_str().unwrap();
    let created = run(&["new", site_arg]);
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    assert!(
        stderr(&created).contains("funnelcake serve"),
        "it says what to do next"
    );
    let check = run(&["check", site_arg, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    assert_eq!(report["warnings"], serde_json::json!([]), "{report}");
    // Its Netlify form is on Netlify hosting, where Netlify collects it.
    let config = std::fs::read_to_string(site.join("site.yaml")).unwrap();
    assert!(config.contains("deploy: netlify\nforms:\n  provider: netlify\n"));
    let build = run(&["build", site_arg]);
    assert_eq!(build.status.code(), Some(0), "{}", stderr(&build));
    for page in [
        "index.html",
        "guide/index.html",
        "guide-thanks/index.html",
        "offer/index.html",
        "privacy/index.html",
    ] {
        assert!(site.join("public").join(page).is_file(), "{page}");
    }
    let guide = std::fs::read_to_string(site.join("public/guide/index.html")).unwrap();
    assert_eq!(guide.matches("<form").count(), 1, "the form is placed once");

    let again = run(&["new", site_arg]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));
    let other = dir.path().join("other");
    let bad = run(&["new", other.to_str().unwrap(), "--theme", "nope"]);
    assert_eq!(bad.status.code(), Some(2), "a wrong command line");
    assert!(
        stderr(&bad).contains("invalid value 'nope' for '--theme <NAME>'")
            && stderr(&bad).contains("[possible values: launch, starter]"),
        "{}",
        stderr(&bad)
    );
    assert!(!other.exists(), "nothing is written for a bad theme");
}

#[test]
fn the_example_sites_check_clean() {
    for example in ["example-site", "example-site-fa"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(example);
        let check = run(&["check", path.to_str().unwrap(), "--format", "json"]);
        let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
        assert_eq!(
            report["errors"],
            serde_json::json!([]),
            "{example}: {report}"
        );
        assert_eq!(
            report["warnings"],
            serde_json::json!([]),
            "{example}: {report}"
        );
    }
}

#[test]
fn a_closed_output_pipe_ends_the_output_not_the_run() {
    // `funnelcake check --format json | head`: the reader is gone before
    // anything is written, so every write fails. Exit code 101 is a panic.
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        writer
    };
    let broken = fixture("broken-link");
    let journey = fixture("journey-warnings");
    for (args, code) in [
        (vec!["check", &broken, "--format", "json"], 1),
        (vec!["check", &broken], 1),
        (vec!["funnel", &journey], 0),
    ] {
        let status = Command::new(env!("CARGO_BIN_EXE_funnelcake"))
            .args(&args)
            .stdout(closed())
            .stderr(closed())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
}
