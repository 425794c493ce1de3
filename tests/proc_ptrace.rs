//! ptrace(2) and process_vm_readv/writev between sandboxed processes,
//! checked against Linux: each group of `tests/c/ptrace.c` runs natively
//! (where every check must pass) and under `husk do`, and must print the
//! same lines.

mod common;

use common::*;

c_groups! { "ptrace":
    process_vm_readv_writev_partial_and_errors => "vm",
    process_vm_access_rule => "vm_perms",
}

c_groups! { "ptrace":
    syscall_stops_change_and_skip_calls => "syscalls",
    peek_poke_registers_and_errors => "peekpoke",
    signal_delivery_stops_suppress_and_inject => "signals",
    attach_proc_status_and_detach => "attach",
    seize_interrupt_and_fork_exec_exit_events => "seize",
    exitkill_kills_tracee_when_tracer_exits => "exitkill",
    single_step_int3_and_breakpoints => "step",
    group_stop_listen_and_sigcont => "groupstop",
    tracer_exit_lets_stopped_tracee_go => "tracer_exit",
    seccomp_ret_trace_stops_for_the_tracer => "seccomp_trace",
}
