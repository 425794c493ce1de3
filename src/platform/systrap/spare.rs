//! Empty stub processes made ahead of time. Every exec needs a fresh
//! address space: a fork of the template, a first application thread and
//! its first trap, 300-600 µs on these VMs, most of it waiting for the
//! host. A thread of its own keeps `SPARES` of them ready, so an exec
//! takes one and only pins it to its CPU; when none is ready it makes its
//! own as before.

use std::sync::{Arc, Condvar, Mutex, OnceLock};

use super::thread::StubThread;

/// How many ready stubs the maker keeps.
const SPARES: usize = 2;

/// The ready stubs and the maker's wake-up.
struct Pool {
    ready: Mutex<Vec<StubThread>>,
    wanted: Condvar,
}

static POOL: OnceLock<Arc<Pool>> = OnceLock::new();

/// A ready stub process with one application thread, its threads moved
/// to `cpu`; None when none is ready (or the maker cannot run).
pub fn take(cpu: usize) -> Option<StubThread> {
    let pool = POOL.get_or_init(start);
    let mut ready = pool.ready.lock().unwrap_or_else(|e| e.into_inner());
    let mut taken = None;
    while let Some(t) = ready.pop() {
        // One killed from outside meanwhile is dropped (and reaped).
        if t.space().alive() {
            taken = Some(t);
            break;
        }
    }
    drop(ready);
    pool.wanted.notify_one();
    let t = taken?;
    crate::platform::pin_to_cpu(t.pid(), cpu);
    crate::platform::pin_to_cpu(t.tid(), cpu);
    Some(t)
}

/// Makes the pool and starts its maker thread.
fn start() -> Arc<Pool> {
    let pool = Arc::new(Pool { ready: Mutex::new(Vec::new()), wanted: Condvar::new() });
    let maker = pool.clone();
    let spawned = std::thread::Builder::new().name("stub-maker".into()).spawn(move || make_spares(&maker));
    if let Err(e) = spawned {
        tracing::warn!("no thread to make spare stubs: {e}");
    }
    pool
}

/// The maker: keeps `SPARES` stubs ready, making one whenever fewer are.
fn make_spares(pool: &Pool) {
    loop {
        {
            let mut ready = pool.ready.lock().unwrap_or_else(|e| e.into_inner());
            while ready.len() >= SPARES {
                ready = pool.wanted.wait(ready).unwrap_or_else(|e| e.into_inner());
            }
        }
        match StubThread::fresh_process(None) {
            Ok(t) => pool.ready.lock().unwrap_or_else(|e| e.into_inner()).push(t),
            Err(e) => {
                // Execs make their own; try again later (the host may be
                // short of processes for a while).
                tracing::warn!("cannot make a spare stub: {e}");
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
    }
}
