//! A differential harness: shell snippets run natively and under `husk do`
//! must print the same stdout and stderr and end with the same status.
//!
//! A [`Batch`] is a list of cases run by one shell driver per side, so a
//! batch costs one sandbox start. Each case is a script file run by its
//! own shell process (`bash FILE` by default) in a fresh, empty directory
//! of its own, with stdin from /dev/null, stdout the driver's pipe and
//! stderr a file the driver prints after it. Both sides use the *same*
//! host path: the native run goes first, then the directory is emptied and
//! recreated for the sandbox (which sees it through its root overlay, so
//! what it writes stays in the sandbox; the harness checks that nothing
//! reached the host).
//!
//! The only normalization is what a case asks for with [`Case::sub`]
//! (regex replacements on both sides, for pids, times, inode numbers and
//! the like, which legitimately differ); the harness itself changes
//! nothing. A failure lists every differing case with its script and the
//! first differing lines of each stream.

#![allow(dead_code)]

use crate::common::*;
use regex::Regex;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// One snippet and how to compare it.
pub struct Case {
    name: String,
    script: String,
    shell: Vec<String>,
    busybox_path: bool,
    subs: Vec<(Regex, String)>,
}

impl Case {
    /// A bash script (`bash FILE`).
    pub fn new(name: &str, script: &str) -> Case {
        Case {
            name: name.to_string(),
            script: script.to_string(),
            shell: vec!["/bin/bash".into()],
            busybox_path: false,
            subs: Vec::new(),
        }
    }

    /// A script for busybox's shell (`busybox sh FILE`), with a directory
    /// of links to every busybox applet first in its PATH, so `ls`, `cp`...
    /// are busybox's.
    pub fn busybox(name: &str, script: &str) -> Case {
        let mut c = Case::new(name, script);
        c.shell = vec![BUSYBOX.into(), "sh".into()];
        c.busybox_path = true;
        c
    }

    /// Replaces every match of `re` by `with` in stdout and stderr of both
    /// sides before comparing: only for what legitimately differs.
    pub fn sub(mut self, re: &str, with: &str) -> Case {
        let re = Regex::new(re).unwrap_or_else(|e| panic!("case {}: bad regex {re:?}: {e}", self.name));
        self.subs.push((re, with.to_string()));
        self
    }

    fn normalize(&self, text: &str) -> String {
        self.subs.iter().fold(text.to_string(), |t, (re, with)| re.replace_all(&t, with.as_str()).into_owned())
    }
}

/// What one case printed, as the driver reported it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Result {
    stdout: String,
    stderr: String,
    status: String,
}

/// Cases run together: one native run and one sandbox run.
pub struct Batch {
    what: String,
    cases: Vec<Case>,
    timeout: Duration,
    husk_args: Vec<String>,
    bind_work: bool,
}

/// Marks that frame the driver's report; no case prints them.
const MARK: &str = "\u{1}@conform@";

impl Batch {
    pub fn new(what: &str) -> Batch {
        Batch {
            what: what.to_string(),
            cases: Vec::new(),
            timeout: default_timeout(),
            husk_args: Vec::new(),
            bind_work: false,
        }
    }

    pub fn case(mut self, c: Case) -> Batch {
        assert!(
            c.name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'),
            "case name {:?}: use [A-Za-z0-9_-]",
            c.name
        );
        assert!(self.cases.iter().all(|o| o.name != c.name), "duplicate case {}", c.name);
        self.cases.push(c);
        self
    }

    /// A bash case.
    pub fn bash(self, name: &str, script: &str) -> Batch {
        self.case(Case::new(name, script))
    }

    /// A busybox sh case.
    pub fn bb(self, name: &str, script: &str) -> Batch {
        self.case(Case::busybox(name, script))
    }

    pub fn timeout(mut self, t: Duration) -> Batch {
        self.timeout = t;
        self
    }

    /// Runs the sandbox side with the work directory bind-mounted read-write
    /// from the host (`--mount W:W`) instead of seen through the root
    /// overlay: the same cases then exercise the host file system's paths.
    pub fn bind_work(mut self) -> Batch {
        self.bind_work = true;
        self
    }

    /// Extra `husk do` options (before `--`).
    pub fn husk_arg(mut self, arg: &str) -> Batch {
        self.husk_args.push(arg.to_string());
        self
    }

    /// Runs every case on both sides and panics with all differences.
    #[track_caller]
    pub fn check(self) {
        let base = ScratchDir::new(&format!("conform-{}", self.what));
        let scripts = base.path().join("cases");
        fs::create_dir_all(&scripts).expect("mkdir cases");
        for c in &self.cases {
            fs::write(scripts.join(format!("{}.sh", c.name)), &c.script).expect("write case");
        }
        let work = base.path().join("w");
        let applets = base.path().join("bb");
        if self.cases.iter().any(|c| c.busybox_path) {
            require_busybox();
            link_applets(&applets);
        }
        let driver = self.driver(&scripts, &work, &applets);

        fs::create_dir_all(&work).expect("mkdir work");
        let n = Run::native(&["/bin/sh", "-c", &driver]).cwd(&work).timeout(self.timeout).run();
        fs::remove_dir_all(&work).expect("clean work");
        fs::create_dir_all(&work).expect("mkdir work");
        let bind = format!("{0}:{0}", work.display());
        let mut args: Vec<&str> = self.husk_args.iter().map(String::as_str).collect();
        if self.bind_work {
            args.extend(["--mount", &bind]);
        }
        args.extend(["--", "/bin/sh", "-c", &driver]);
        let h = Run::husk_do(&args).cwd(&work).timeout(self.timeout).run();
        // Through the overlay nothing may reach the host; a bind mount writes there by design.
        let leaked: Vec<_> = if self.bind_work {
            Vec::new()
        } else {
            fs::read_dir(&work).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default()
        };

        let (nr, hr) = (parse(&n, &self.cases, "native"), parse(&h, &self.cases, "husk"));
        let mut report = String::new();
        for (c, (nres, hres)) in self.cases.iter().zip(nr.iter().zip(&hr)) {
            // HUSK_CONFORM_SHOW=1 (with --nocapture) shows what each case printed natively.
            if std::env::var_os("HUSK_CONFORM_SHOW").is_some() {
                eprintln!("== {} (status {})\n{}-- stderr\n{}", c.name, nres.status, nres.stdout, nres.stderr);
            }
            let norm = |r: &Result| Result {
                stdout: c.normalize(&r.stdout),
                stderr: c.normalize(&r.stderr),
                status: r.status.clone(),
            };
            let (a, b) = (norm(nres), norm(hres));
            if a != b {
                let _ = writeln!(report, "\n##### case {} differs #####\n--- script ---\n{}", c.name, c.script.trim());
                for (what, x, y) in [
                    ("status", &a.status, &b.status),
                    ("stdout", &a.stdout, &b.stdout),
                    ("stderr", &a.stderr, &b.stderr),
                ] {
                    if x != y {
                        let _ = writeln!(report, "--- {what} ---\n{}", line_diff(x, y));
                    }
                }
            }
        }
        if !leaked.is_empty() {
            let _ = writeln!(report, "\nthe sandbox wrote to the host directory: {leaked:?}");
        }
        // What the sentry logged (errors by default) explains a rare failure
        // that cannot be run again.
        if !report.is_empty() && !h.stderr.is_empty() {
            let _ = writeln!(report, "\n--- husk's own stderr ---\n{}", String::from_utf8_lossy(&h.stderr));
        }
        assert!(report.is_empty(), "{}: husk differs from native in batch {}:{report}", self.what, self.what);
    }

    /// The driver: one shell script that runs each case in its own
    /// directory and frames what it printed.
    fn driver(&self, scripts: &Path, work: &Path, applets: &Path) -> String {
        let mut d = String::from("exec </dev/null\n");
        for c in &self.cases {
            let dir = work.join(&c.name);
            let err = work.join(format!(".{}.stderr", c.name));
            let file = scripts.join(format!("{}.sh", c.name));
            let mut shell: Vec<String> = c.shell.iter().map(|s| sh_quote(s)).collect();
            if c.busybox_path {
                shell.insert(0, format!("PATH={}:\"$PATH\"", sh_quote(&applets.to_string_lossy())));
            }
            let _ = write!(
                d,
                "printf '{MARK}case %s\\n' {name}\nmkdir {dir} && cd {dir} && {shell} {file} 2>{err}\n\
                 printf '\\n{MARK}status %s\\n' $?\ncat {err}\nprintf '\\n{MARK}end\\n'\ncd /\n",
                name = sh_quote(&c.name),
                dir = sh_quote(&dir.to_string_lossy()),
                shell = shell.join(" "),
                file = sh_quote(&file.to_string_lossy()),
                err = sh_quote(&err.to_string_lossy()),
            );
        }
        d
    }
}

/// Makes `dir` a directory of symlinks to busybox, one per applet.
fn link_applets(dir: &Path) {
    let list = Run::native(&[BUSYBOX, "--list"]).run();
    assert_exit(&list, 0);
    fs::create_dir_all(dir).expect("mkdir applets");
    for name in stdout_text(&list).lines().filter(|n| !n.is_empty() && !n.contains('/')) {
        std::os::unix::fs::symlink(BUSYBOX, dir.join(name)).expect("link applet");
    }
}

/// Splits a driver's output into one result per case; panics if the
/// driver itself did not finish (naming the case that was running).
fn parse(out: &Output, cases: &[Case], side: &str) -> Vec<Result> {
    let text = stdout_text(out);
    let mut results = Vec::new();
    let mut rest = text.as_str();
    for c in cases {
        let head = format!("{MARK}case {}\n", c.name);
        let start = rest.find(&head).unwrap_or_else(|| {
            panic!("{side}: the driver never started case {} (status {}):\n{}", c.name, exit_code(out), describe(out))
        });
        rest = &rest[start + head.len()..];
        let status_at = rest.find(&format!("\n{MARK}status ")).unwrap_or_else(|| {
            panic!("{side}: case {} did not finish:\n{}", c.name, describe(out));
        });
        let stdout = rest[..status_at].to_string();
        rest = &rest[status_at + 1 + MARK.len() + "status ".len()..];
        let nl = rest.find('\n').unwrap_or(rest.len());
        let status = rest[..nl].to_string();
        rest = &rest[nl + 1..];
        let end = rest.find(&format!("\n{MARK}end\n")).unwrap_or_else(|| {
            panic!("{side}: case {} has no end mark:\n{}", c.name, describe(out));
        });
        let stderr = rest[..end].to_string();
        rest = &rest[end + 1 + MARK.len() + "end\n".len()..];
        results.push(Result { stdout, stderr, status });
    }
    assert!(
        out.status.success() && rest.is_empty() && out.stderr.is_empty(),
        "{side}: the driver did not end cleanly (left: {rest:?}):\n{}",
        describe(out)
    );
    results
}

/// Single-quotes a word for sh.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A short, readable difference between two texts: the lines around the
/// first one that differs, both sides.
fn line_diff(native: &str, husk: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (native.lines().collect(), husk.lines().collect());
    let first = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let from = first.saturating_sub(3);
    let show = |v: &[&str]| -> String {
        let to = (first + 12).min(v.len());
        let mut s: String = v[from..to].iter().map(|l| format!("  | {l}\n")).collect();
        if to < v.len() {
            let _ = writeln!(s, "  | ... ({} more lines)", v.len() - to);
        }
        s
    };
    format!(
        "first difference at line {} (native {} lines, husk {} lines; trailing newline: {} vs {})\nnative:\n{}husk:\n{}",
        first + 1,
        a.len(),
        b.len(),
        native.ends_with('\n'),
        husk.ends_with('\n'),
        show(&a),
        show(&b)
    )
}
