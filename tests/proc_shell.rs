//! Shells under husk: pipelines, command substitution, subshells,
//! background jobs and `wait`, traps, many external commands, exit
//! statuses. Every script runs with busybox sh and with bash, natively and
//! under husk, and stdout and status must match. (Under husk the shell is
//! PID 1 of the sandbox; no script here depends on that: the signals it
//! sends itself are trapped.)

mod common;

use common::*;

/// Runs `shell... script` natively and under husk and compares.
#[track_caller]
fn compare(shell: &[&str], script: &str) {
    let mut cmd = shell.to_vec();
    cmd.push(script);
    let n = Run::native(&cmd).timeout(proc_timeout()).run();
    assert!(n.status.success() && !n.stdout.is_empty(), "native run of {script:?} failed\n{}", describe(&n));
    let mut args = vec!["--"];
    args.extend_from_slice(&cmd);
    let h = Run::husk_do(&args).timeout(proc_timeout()).run();
    assert_same_as_native(&n, &h);
}

/// Each entry becomes `busybox_sh::NAME` and `bash::NAME`.
macro_rules! shell_tests {
    ($($(#[$doc:meta])* $name:ident: $script:expr;)*) => {
        mod busybox_sh {
            use super::*;
            $($(#[$doc])* #[test] fn $name() {
                require_busybox();
                compare(&[BUSYBOX, "sh", "-c"], $script);
            })*
        }
        mod bash {
            use super::*;
            $($(#[$doc])* #[test] fn $name() {
                compare(&["/bin/bash", "-c"], $script);
            })*
        }
    };
}

shell_tests! {
    /// A three-stage pipeline.
    pipeline: "echo a | tr a b | cat";
    /// Ten processes connected by pipes.
    pipeline_many_stages: "echo x | cat | cat | cat | cat | cat | cat | cat | cat | tr x y";
    /// A pipeline whose last stage exits early (SIGPIPE upstream).
    pipeline_sort_head: "seq 1 2000 | sort -rn | head -n 3 | tr '\\n' ' '; echo";
    /// `yes` dies of SIGPIPE when `head` is done; the pipeline's status is 0.
    yes_head: "yes | head -n 3; echo status=$?";
    /// $(...) and backquotes, with a trailing newline stripped.
    command_substitution: "x=$(echo hi); echo \"[$x]\"; y=`echo back`; echo $y; echo \"$(printf 'a\\nb\\n')\"";
    /// $(...) nested four deep.
    nested_substitution: "echo $(echo a $(echo b $(echo c $(echo d))))";
    /// A subshell's variables and exit status.
    subshell: "x=1; (x=2; echo in $x; exit 3); echo out $x $?";
    /// A subshell's cd does not affect the parent.
    subshell_cwd: "(cd / && pwd); cd /tmp && (cd / && pwd) && pwd";
    /// `sleep 1 & wait`.
    background_wait: "sleep 1 & wait; echo waited $?";
    /// `wait $!` returns the job's exit status.
    wait_pid_status: "(exit 7) & wait $!; echo $?";
    /// Waiting for two jobs in the opposite order of their start.
    wait_two_statuses: "(exit 1) & a=$!; (exit 2) & b=$!; wait $b; y=$?; wait $a; echo $? $y";
    /// A job killed with SIGTERM: `wait` gives 143.
    wait_killed_job: "sleep 10 & p=$!; kill $p; wait $p; echo $?";
    /// Children that kill themselves: 137 and 143.
    child_kills_itself: "sh -c 'kill -9 $$'; echo $?; sh -c 'kill -TERM $$'; echo $?";
    /// A stopped job killed with SIGKILL.
    stopped_job_killed: "sleep 10 & p=$!; kill -STOP $p; kill -KILL $p; wait $p; echo $?";
    /// A job stopped and continued finishes normally.
    stop_and_continue: "sleep 0.3 & p=$!; kill -STOP $p; kill -CONT $p; wait $p; echo $?";
    /// `trap 'echo got' USR1; kill -USR1 $$`.
    trap_usr1: "trap 'echo got' USR1; kill -USR1 $$; echo after";
    /// A trapped signal sent by a child runs the trap after the child ends.
    trap_from_child: "trap 'echo term' TERM; sh -c \"kill -TERM $$\"; echo after";
    /// The EXIT trap.
    trap_exit: "trap 'echo bye' EXIT; echo hi";
    /// 200 external commands in a loop.
    loop_200_commands: "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done; echo done";
    /// A pipeline's status is its last command's; `!` negates it.
    pipeline_status: "false | true; echo $?; true | false; echo $?; ! true | false; echo $?";
    /// With pipefail, the last failing stage's status.
    pipefail: "set -o pipefail; false | true; echo $?; (exit 3) | true; echo $?; true | true; echo $?";
    /// Five background subshells, then wait.
    many_background_jobs: "{ for i in 1 2 3 4 5; do (echo $i) & done; wait; } | sort; echo all";
    /// A here-document.
    heredoc: "cat <<EOT\nline $((1+1))\nEOT";
    /// `read` in a pipeline stage.
    read_from_pipe: "echo hi | { read x; echo got $x; }";
    /// xargs runs a command per line.
    xargs: "printf '1\\n2\\n3\\n' | xargs -n1 echo n";
    /// exec replaces the shell.
    exec_replaces: "sh -c 'exec echo replaced; echo not-here'; echo $?";
    /// 42, 127 (not found), 126 (not executable).
    exit_codes: "sh -c 'exit 42'; echo $?; /nonexistent/cmd 2>/dev/null; echo $?; /etc/passwd 2>/dev/null; echo $?";
    /// `timeout` kills a command that runs too long (timers and signals).
    timeout_kills: "timeout 0.5 sleep 5; echo $?";
    /// A lowered descriptor limit is inherited by a child shell.
    ulimit_inherited: "ulimit -n 50; ulimit -n; sh -c 'ulimit -n'";
    /// Duplicating and closing descriptors with exec.
    redirect_fds: "exec 3>&1; echo to3 >&3; exec 3>&-; echo closed";
    /// kill -0 on oneself.
    kill_zero: "kill -0 $$ && echo alive";
    /// A fractional sleep.
    sleep_fraction: "sleep 0.1; echo slept";
}

/// RLIMIT_FSIZE holds for a regular file the caller passes as stdout
/// (`husk do cmd >> file`, a host descriptor): a write past the limit fails
/// with EFBIG and SIGXFSZ ends the writer (status 153), as natively; it used
/// to go through to the host file.
#[test]
fn fsize_limit_on_a_host_stdout_file() {
    let dir = ScratchDir::new("fsize-stdout");
    let husk = husk_bin();
    // The writer is not the sandbox's init, which Linux spares SIGXFSZ.
    let inner =
        dir.write("inner.sh", b"/bin/sh -c 'ulimit -f 1; echo past-the-limit' 2>/dev/null\necho st=$? >&2\n", 0o644);
    let run = |prefix: &str, name: &str| {
        let file = dir.join(name);
        let script = format!(
            "head -c 2000 /dev/zero > {file}; {prefix} /bin/sh {inner} >> {file}; wc -c < {file}",
            inner = inner.display()
        );
        let out = Run::native(&["/bin/sh", "-c", &script]).timeout(proc_timeout()).run();
        (stdout_text(&out), stderr_text(&out))
    };
    let native = run("", "native");
    let inside = run(&format!("{husk} do --"), "husk");
    assert_eq!(native, ("2000\n".to_string(), "st=153\n".to_string()), "native run");
    assert_eq!(inside, native, "under husk");
}
